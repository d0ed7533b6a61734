#!/usr/bin/python
# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: gallery_image
short_description: Create, update and delete image definitions in an Azure Compute Gallery
version_added: 1.0.0
description:
  - Keeps a gallery image definition in the state you describe. A definition groups the
    versions of one image and says what they are, namely publisher, offer and SKU, operating system,
    generation, architecture, security type and the other features, and the recommendations
    shown to whoever deploys it.
  - Options you leave out are left as they are in Azure.
  - The module reads the definition once; when nothing differs it reports no change and sends
    nothing else. The gallery is read only when a definition must be created and O(location)
    is not set.
  - Azure cannot change the identifier (O(publisher), O(offer), O(sku)), O(os_type),
    O(os_state), O(hyper_v_generation), O(architecture) or the location of an existing
    definition, nor its features (O(security_type), O(accelerated_networking),
    O(disk_controller_types), O(hibernation), O(features)) unless O(allow_update_image=true).
    The module finds such changes before writing anything and fails with a message that lists
    each field with its current and requested value.
author:
  - goldenimage.azure contributors (@goldenimage)
options:
  name:
    description:
      - Name of the image definition.
      - 1 to 80 letters, digits, underscores, hyphens and periods; it starts with a letter or
        digit and does not end with a hyphen or period.
    type: str
    required: true
  gallery_name:
    description:
      - Name of the gallery that holds the definition.
    type: str
    required: true
  resource_group:
    description:
      - Name of the resource group of the gallery.
    type: str
    required: true
  location:
    description:
      - Azure region of the definition; it must be the gallery's region.
      - When not set, the gallery's region is used.
      - A region the subscription does not offer is refused before any write.
    type: str
  description:
    description:
      - Description of the definition.
    type: str
  publisher:
    description:
      - Publisher part of the definition's identifier. Required with O(state=present).
    type: str
  offer:
    description:
      - Offer part of the definition's identifier. Required with O(state=present).
    type: str
  sku:
    description:
      - SKU part of the definition's identifier. Required with O(state=present).
    type: str
  os_type:
    description:
      - Operating system of the images. Required with O(state=present).
    type: str
    choices: [Linux, Windows]
  os_state:
    description:
      - Whether the images are generalized (deprovisioned) or specialized.
      - A new definition is V(Generalized) when not set.
    type: str
    choices: [Generalized, Specialized]
  hyper_v_generation:
    description:
      - Hyper-V generation of the virtual machines created from the images.
      - Azure makes a new definition V(V1) when not set. Every O(security_type) other than
        V(Standard) and O(architecture=Arm64) need V(V2).
    type: str
    choices: [V1, V2]
  architecture:
    description:
      - CPU architecture of the images. Azure makes a new definition V(x64) when not set.
    type: str
    choices: [x64, Arm64]
  security_type:
    description:
      - Security type of the virtual machines the images support (the C(SecurityType) feature).
      - V(Standard) means no security feature; it is what Azure reports for a definition
        without one.
    type: str
    choices:
      - Standard
      - TrustedLaunch
      - TrustedLaunchSupported
      - ConfidentialVM
      - ConfidentialVMSupported
      - TrustedLaunchAndConfidentialVMSupported
  accelerated_networking:
    description:
      - Whether the images support accelerated networking (the C(IsAcceleratedNetworkSupported) feature).
    type: bool
  disk_controller_types:
    description:
      - Disk controllers the images support (the C(DiskControllerTypes) feature).
    type: list
    elements: str
    choices: [SCSI, NVMe]
  hibernation:
    description:
      - Whether the images support hibernation (the C(IsHibernateSupported) feature).
    type: bool
  features:
    description:
      - Other features, for those that have no option of their own yet.
      - When set, the definition ends with exactly these other features; the features that have
        options (O(security_type) and the like) cannot be listed here.
    type: list
    elements: dict
    suboptions:
      name:
        description: Name of the feature.
        type: str
        required: true
      value:
        description: Value of the feature.
        type: str
        required: true
      starts_at_version:
        description: The first image version that supports the feature.
        type: str
  allow_update_image:
    description:
      - Allow the features of an existing definition to change.
      - Sent to Azure with the update; not compared, so it never causes a change by itself.
    type: bool
    default: false
  recommended_vcpus:
    description:
      - Recommended number of virtual CPUs of the virtual machines.
    type: dict
    suboptions:
      min:
        description: Minimum.
        type: int
      max:
        description: Maximum.
        type: int
  recommended_memory:
    description:
      - Recommended memory, in GB, of the virtual machines.
    type: dict
    suboptions:
      min:
        description: Minimum.
        type: int
      max:
        description: Maximum.
        type: int
  disallowed_disk_types:
    description:
      - Disk types the OS disk of the virtual machines must not use, for example V(Standard_LRS).
    type: list
    elements: str
  purchase_plan:
    description:
      - Marketplace purchase plan of the images.
    type: dict
    suboptions:
      name:
        description: Plan id.
        type: str
        required: true
      publisher:
        description: Publisher id.
        type: str
        required: true
      product:
        description: Product id.
        type: str
        required: true
  eula:
    description:
      - End-user license agreement of the images.
    type: str
  privacy_statement_uri:
    description:
      - HTTP or HTTPS link to the privacy statement.
    type: str
  release_note_uri:
    description:
      - HTTP or HTTPS link to the release notes.
    type: str
  end_of_life_date:
    description:
      - When the definition reaches its end of life, as an ISO 8601 date or date and time, for
        example V(2030-12-31) or V(2030-12-31T00:00:00Z). A time without offset is UTC.
      - Compared as an instant, so V(2030-12-31) and V(2030-12-31T00:00:00+00:00) are the same.
    type: str
  state:
    description:
      - V(present) creates or updates the definition; V(absent) deletes it.
      - Azure refuses to delete a definition that still holds versions.
    type: str
    default: present
    choices: [present, absent]
notes:
  - Creating, updating and deleting are long-running operations in Azure; O(wait) and
    O(wait_timeout) bound them.
extends_documentation_fragment:
  - goldenimage.azure.auth
  - goldenimage.azure.wait
  - goldenimage.azure.tags
  - goldenimage.azure.attributes
  - goldenimage.azure.attributes.ACTIONS
seealso:
  - module: goldenimage.azure.gallery_image_info
  - module: goldenimage.azure.gallery
  - name: Image definitions
    description: What an image definition holds and which fields are required.
    link: https://learn.microsoft.com/azure/virtual-machines/shared-image-galleries#image-definitions
  - name: Trusted launch
    description: Security types of virtual machines and their images.
    link: https://learn.microsoft.com/azure/virtual-machines/trusted-launch
requirements:
  - python >= 3.10
  - azure-identity
  - azure-mgmt-core
"""

EXAMPLES = r"""
- name: Define a trusted-launch Ubuntu image
  goldenimage.azure.gallery_image:
    name: ubuntu-2404
    gallery_name: contoso_images
    resource_group: rg-images
    publisher: contoso
    offer: ubuntu
    sku: 24_04-lts
    os_type: Linux
    hyper_v_generation: V2
    security_type: TrustedLaunchSupported
    accelerated_networking: true
    disk_controller_types: [SCSI, NVMe]
    recommended_vcpus: {min: 2, max: 16}
    recommended_memory: {min: 4, max: 64}
    end_of_life_date: "2029-06-30"
    description: Hardened Ubuntu 24.04
    tags:
      os: ubuntu

- name: Change a feature of an existing definition
  goldenimage.azure.gallery_image:
    name: ubuntu-2404
    gallery_name: contoso_images
    resource_group: rg-images
    publisher: contoso
    offer: ubuntu
    sku: 24_04-lts
    os_type: Linux
    hibernation: true
    allow_update_image: true

- name: Delete the definition (its versions must be gone)
  goldenimage.azure.gallery_image:
    name: ubuntu-2404
    gallery_name: contoso_images
    resource_group: rg-images
    state: absent
"""

RETURN = r"""
duration:
  description:
    - Seconds spent waiting for Azure to finish the requests; V(0) when nothing was awaited
      (no change, check mode, or O(wait=false) for a single request).
  returned: always
  type: float
  sample: 2.417
image:
  description:
    - The image definition as Azure returns it (in check mode, as it would be), with keys named
      after the options.
    - V(null) with O(state=absent).
  returned: always
  type: dict
  sample:
    id: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/contoso_images/images/ubuntu-2404
    name: ubuntu-2404
    gallery_name: contoso_images
    resource_group: rg-images
    location: eastus
    description: Hardened Ubuntu 24.04
    tags: {os: ubuntu}
    publisher: contoso
    offer: ubuntu
    sku: 24_04-lts
    os_type: Linux
    os_state: Generalized
    hyper_v_generation: V2
    architecture: x64
    security_type: TrustedLaunchSupported
    accelerated_networking: true
    disk_controller_types: [NVMe, SCSI]
    hibernation: null
    features: []
    allow_update_image: null
    recommended_vcpus: {min: 2, max: 16}
    recommended_memory: {min: 4, max: 64}
    disallowed_disk_types: []
    purchase_plan: null
    eula: null
    privacy_statement_uri: null
    release_note_uri: null
    end_of_life_date: "2029-06-30T00:00:00Z"
    provisioning_state: Succeeded
  contains:
    id:
      description: Resource id of the definition.
      type: str
      returned: always
    name:
      description: Name of the definition.
      type: str
      returned: always
    gallery_name:
      description: Name of its gallery.
      type: str
      returned: always
    resource_group:
      description: Resource group of its gallery.
      type: str
      returned: always
    location:
      description: Region, in lower case without spaces.
      type: str
      returned: always
    security_type:
      description: Security type; V(Standard) when the definition has no security feature.
      type: str
      returned: always
    disk_controller_types:
      description: Supported disk controllers, sorted; V(null) when the feature is not set.
      type: list
      elements: str
      returned: always
    features:
      description: Features without an option of their own, sorted by name.
      type: list
      elements: dict
      returned: always
    end_of_life_date:
      description: End of life as a UTC instant (C(YYYY-MM-DDTHH:MM:SSZ)).
      type: str
      returned: always
    provisioning_state:
      description: Provisioning state of the definition.
      type: str
      returned: always
conflicts:
  description:
    - Fields Azure cannot change, each with C(field), C(current) and C(requested), when the
      module refuses to write.
  returned: on failure because of an unchangeable field
  type: list
  elements: dict
  sample:
    - {field: os_type, current: Linux, requested: Windows}
"""

from ansible_collections.goldenimage.azure.plugins.module_utils._gallery_image_runner import (  # noqa: E402
    GALLERY_IMAGE_REQUIRED_IF,
    GALLERY_IMAGE_SPEC,
    run_gallery_image,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule  # noqa: E402


def main() -> None:
    module = AzureModule(
        GALLERY_IMAGE_SPEC,
        wait=True,
        tags=True,
        result_key="image",
        required_if=GALLERY_IMAGE_REQUIRED_IF,
    )
    run_gallery_image(module)


if __name__ == "__main__":
    main()
