#!/usr/bin/python
# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: managed_image
short_description: Capture, tag and delete Azure managed images
version_added: 1.0.0
description:
  - Creates a managed image (C(Microsoft.Compute/images)) from a generalized virtual machine or
    from an OS disk given as a managed disk, a snapshot or a VHD blob, with optional data disks.
  - Before any write the module checks what Azure would refuse, and fails naming the option
    without sending a write request. The source must exist, a virtual machine must be
    generalized, and the image must be in the source's region.
  - Afterwards Azure changes only an image's tags. Asking for another source, OS type or state,
    Hyper-V generation, zone resilience or region fails and lists each field with its current
    and requested value.
  - The module reads the image once; when nothing differs it reports no change and sends nothing
    else.
author:
  - goldenimage.azure contributors (@goldenimage)
options:
  name:
    description:
      - Name of the managed image.
      - 1 to 80 letters, digits, V(_), V(.) or V(-), starting with a letter or digit and ending
        with a letter, digit or V(_); any other name is refused before any request.
    type: str
    required: true
  resource_group:
    description:
      - Resource group of the image. Sources given by name are looked up here too.
    type: str
    required: true
  location:
    description:
      - Region of the image. When not set, the source's region.
      - It must be the source's region; an image cannot move.
    type: str
  virtual_machine:
    description:
      - A generalized virtual machine to capture, by resource id, by name in O(resource_group),
        or as a dictionary with C(name), C(resource_group) and C(subscription_id).
      - Mutually exclusive with O(os_disk).
    type: raw
  os_disk:
    description:
      - The OS disk of the image, given by exactly one of O(os_disk.disk), O(os_disk.snapshot)
        or O(os_disk.blob_uri).
    type: dict
    suboptions:
      disk:
        description: A managed disk, by resource id, name or dictionary.
        type: raw
      snapshot:
        description: A snapshot, by resource id, name or dictionary.
        type: raw
      blob_uri:
        description: URI of a VHD blob.
        type: str
      os_type:
        description: Operating system on the disk; required for a new image made from a disk.
        type: str
        choices: [Linux, Windows]
      os_state:
        description: Whether the OS is generalized. V(Generalized) when not set.
        type: str
        choices: [Generalized, Specialized]
      caching:
        description: Host caching of the disk.
        type: str
        choices: [None, ReadOnly, ReadWrite]
      storage_account_type:
        description: Storage account type of disks made from the image.
        type: str
        choices: [Standard_LRS, Premium_LRS, StandardSSD_LRS, UltraSSD_LRS, Premium_ZRS, StandardSSD_ZRS, PremiumV2_LRS]
  data_disks:
    description:
      - Data disks that accompany O(os_disk), each with a unique O(data_disks[].lun) and one of
        O(data_disks[].disk), O(data_disks[].snapshot) or O(data_disks[].blob_uri).
    type: list
    elements: dict
    suboptions:
      lun:
        description: Logical unit number of the disk.
        type: int
        required: true
      disk:
        description: A managed disk, by resource id, name or dictionary.
        type: raw
      snapshot:
        description: A snapshot, by resource id, name or dictionary.
        type: raw
      blob_uri:
        description: URI of a VHD blob.
        type: str
      caching:
        description: Host caching of the disk.
        type: str
        choices: [None, ReadOnly, ReadWrite]
      storage_account_type:
        description: Storage account type of disks made from the image.
        type: str
        choices: [Standard_LRS, Premium_LRS, StandardSSD_LRS, UltraSSD_LRS, Premium_ZRS, StandardSSD_ZRS, PremiumV2_LRS]
  hyper_v_generation:
    description:
      - Hyper-V generation of the image. When not set, Azure takes the source's.
    type: str
    choices: [V1, V2]
  zone_resilient:
    description:
      - Whether the image is stored zone-redundantly in regions with availability zones.
    type: bool
  state:
    description:
      - V(present) creates the image (or updates its tags); V(absent) deletes it.
    type: str
    default: present
    choices: [present, absent]
extends_documentation_fragment:
  - goldenimage.azure.auth
  - goldenimage.azure.wait
  - goldenimage.azure.tags
  - goldenimage.azure.attributes
  - goldenimage.azure.attributes.ACTIONS
seealso:
  - module: goldenimage.azure.managed_image_info
  - module: goldenimage.azure.gallery_image_version
  - name: Create a managed image of a generalized VM
    description: How Azure captures a VM into a managed image.
    link: https://learn.microsoft.com/azure/virtual-machines/capture-image-resource
requirements:
  - python >= 3.10
  - azure-identity
  - azure-mgmt-core
"""

EXAMPLES = r"""
- name: Capture a generalized VM
  goldenimage.azure.managed_image:
    name: ubuntu-24-build-17
    resource_group: rg-build
    virtual_machine: build-vm-17
    tags:
      build: "17"

- name: Make an image from a snapshot and a data disk
  goldenimage.azure.managed_image:
    name: app-image
    resource_group: rg-build
    os_disk:
      snapshot: app-os-snapshot
      os_type: Linux
    data_disks:
      - lun: 0
        disk: app-data

- name: Delete an image
  goldenimage.azure.managed_image:
    name: ubuntu-24-build-16
    resource_group: rg-build
    state: absent
"""

RETURN = r"""
managed_image:
  description:
    - The image as Azure returns it (in check mode, as it will be), with snake_case keys and the
      ARM C(properties) flattened. V(null) with O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: Resource id of the image.
      type: str
      returned: always
    name:
      description: Name of the image.
      type: str
      returned: always
    location:
      description: Region of the image.
      type: str
      returned: always
    tags:
      description: Tags of the image.
      type: dict
      returned: always
    hyper_v_generation:
      description: Hyper-V generation.
      type: str
      returned: always
    source_virtual_machine:
      description: The captured VM's C(id), when the image was made from one.
      type: dict
      returned: when made from a VM
    storage_profile:
      description: OS disk (with C(os_type) and C(os_state)), data disks and zone resilience.
      type: dict
      returned: always
    provisioning_state:
      description: Provisioning state.
      type: str
      returned: always
conflicts:
  description: Fields Azure cannot change, with current and requested values, when the module refuses.
  returned: on failure because of an unchangeable field
  type: list
  elements: dict
option:
  description: The option that was refused, when the module fails before any write.
  returned: on failure because of an invalid option
  type: str
"""

from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule  # noqa: E402
from ansible_collections.goldenimage.azure.plugins.module_utils._version_managed_image_runner import (  # noqa: E402
    IMAGE_SPEC,
    RESULT_KEY,
    run_image,
)


def main() -> None:
    module = AzureModule(
        IMAGE_SPEC,
        wait=True,
        tags=True,
        result_key=RESULT_KEY,
        mutually_exclusive=[("virtual_machine", "os_disk")],
    )
    run_image(module)


if __name__ == "__main__":
    main()
