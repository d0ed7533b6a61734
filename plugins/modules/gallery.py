#!/usr/bin/python
# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: gallery
short_description: Create, update, share and delete Azure Compute Galleries
version_added: 1.0.0
description:
  - Keeps an Azure Compute Gallery (formerly Shared Image Gallery) in the state you describe, that is
    its description, tags, soft-delete policy and whom it is shared with.
  - Options you leave out are left as they are in Azure.
  - The module reads the gallery once; when nothing differs it reports no change and sends
    nothing else. The resource group is read only when a gallery must be created and
    O(location) is not set.
  - Sharing is desired state. Direct sharing (O(sharing.permission=Groups)) adds and removes
    subscriptions and tenants through the gallery's share action until the lists match;
    V(Private) resets the gallery to private; V(Community) publishes it to the community
    gallery with the information in O(sharing.community).
  - With O(state=absent) the module refuses to delete a gallery that still holds image
    definitions, unless O(force=true).
author:
  - goldenimage.azure contributors (@goldenimage)
options:
  name:
    description:
      - Name of the gallery.
      - 1 to 80 letters, digits, underscores, hyphens and periods; it starts with a letter or
        digit and does not end with a hyphen or period.
    type: str
    required: true
  resource_group:
    description:
      - Name of the resource group that holds the gallery.
    type: str
    required: true
  location:
    description:
      - Azure region of the gallery, for example V(eastus) or V(East US).
      - When not set, a new gallery is created in the region of its resource group.
      - A gallery cannot move; a different region for an existing gallery is an error.
      - A region the subscription does not offer is refused before any write.
    type: str
  description:
    description:
      - Description of the gallery.
    type: str
  sharing:
    description:
      - Whom the gallery is shared with.
      - When not set, sharing is left as it is.
    type: dict
    suboptions:
      permission:
        description:
          - V(Private) shares with nobody (and removes any direct or community sharing).
          - V(Groups) shares directly with O(sharing.subscriptions) and O(sharing.tenants).
          - V(Community) shares with every Azure user through a community gallery.
        type: str
        required: true
        choices: [Private, Groups, Community]
      subscriptions:
        description:
          - Subscription ids to share with when O(sharing.permission=Groups).
          - The module adds and removes ids until the gallery is shared with exactly these.
          - When not set, the subscriptions the gallery is shared with are left as they are.
        type: list
        elements: str
      tenants:
        description:
          - Microsoft Entra tenant ids to share with when O(sharing.permission=Groups).
          - The module adds and removes ids until the gallery is shared with exactly these.
          - When not set, the tenants the gallery is shared with are left as they are.
        type: list
        elements: str
      community:
        description:
          - What the community gallery shows; required when O(sharing.permission=Community).
        type: dict
        suboptions:
          publisher_uri:
            description:
              - Link to the publisher's website, visible to everyone.
            type: str
            required: true
          publisher_contact:
            description:
              - E-mail address of the publisher's support, visible to everyone.
            type: str
            required: true
          eula:
            description:
              - End-user license agreement (or a link to it) for the gallery's images.
            type: str
            required: true
          public_name_prefix:
            description:
              - Prefix of the public gallery name; Azure appends a unique suffix.
            type: str
            required: true
  soft_delete:
    description:
      - Soft-delete policy. Deleted image versions can be restored within the retention period.
      - When not set, the policy is left as it is.
    type: dict
    suboptions:
      enabled:
        description:
          - Whether soft delete is on.
        type: bool
        required: true
      retention_days:
        description:
          - Days a soft-deleted image version can be restored. Azure's default applies when not set.
        type: int
      grace_days:
        description:
          - Days after the retention period during which a version is unusable but still
            recoverable.
        type: int
  force:
    description:
      - With O(state=absent), also delete every image version and image definition of the
        gallery (versions first, then definitions, then the gallery).
      - Without it, a gallery that holds definitions is not deleted and the module fails
        without changing anything.
      - In check mode the result's RV(deleted) lists what would be deleted, in order.
    type: bool
    default: false
  state:
    description:
      - V(present) creates or updates the gallery; V(absent) deletes it.
    type: str
    default: present
    choices: [present, absent]
notes:
  - Every write is a long-running operation in Azure; O(wait) and O(wait_timeout) bound it.
    Requests that depend on one another (reset, update, share) are always awaited in turn;
    O(wait=false) only leaves the last one running.
  - Lists of subscription and tenant ids compare without case or order.
extends_documentation_fragment:
  - goldenimage.azure.auth
  - goldenimage.azure.wait
  - goldenimage.azure.tags
  - goldenimage.azure.attributes
  - goldenimage.azure.attributes.ACTIONS
seealso:
  - module: goldenimage.azure.gallery_info
  - module: goldenimage.azure.gallery_image
  - name: Azure Compute Gallery overview
    description: What galleries, image definitions and versions are.
    link: https://learn.microsoft.com/azure/virtual-machines/azure-compute-gallery
  - name: Share a gallery
    description: Direct sharing with subscriptions and tenants, and community galleries.
    link: https://learn.microsoft.com/azure/virtual-machines/share-gallery
requirements:
  - python >= 3.10
  - azure-identity
  - azure-mgmt-core
"""

EXAMPLES = r"""
- name: Create a gallery in the region of its resource group
  goldenimage.azure.gallery:
    name: contoso_images
    resource_group: rg-images
    description: Golden images for Contoso
    tags:
      owner: platform-team

- name: Share it with two subscriptions and one tenant, and keep deleted versions 14 days
  goldenimage.azure.gallery:
    name: contoso_images
    resource_group: rg-images
    sharing:
      permission: Groups
      subscriptions:
        - 11111111-2222-3333-4444-555555555555
        - 66666666-7777-8888-9999-000000000000
      tenants:
        - aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
    soft_delete:
      enabled: true
      retention_days: 14

- name: Publish the gallery to the community
  goldenimage.azure.gallery:
    name: contoso_images
    resource_group: rg-images
    sharing:
      permission: Community
      community:
        publisher_uri: https://contoso.example
        publisher_contact: images@contoso.example
        eula: https://contoso.example/eula
        public_name_prefix: contoso

- name: Stop sharing
  goldenimage.azure.gallery:
    name: contoso_images
    resource_group: rg-images
    sharing:
      permission: Private

- name: Delete the gallery with all its definitions and versions
  goldenimage.azure.gallery:
    name: contoso_images
    resource_group: rg-images
    state: absent
    force: true
"""

RETURN = r"""
duration:
  description:
    - Seconds spent waiting for Azure to finish the requests; V(0) when nothing was awaited
      (no change, check mode, or O(wait=false) for a single request).
  returned: always
  type: float
  sample: 2.417
gallery:
  description:
    - The gallery as Azure returns it (in check mode, as it would be), with keys named after
      the options.
    - V(null) with O(state=absent).
  returned: always
  type: dict
  sample:
    id: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/contoso_images
    name: contoso_images
    resource_group: rg-images
    location: eastus
    description: Golden images for Contoso
    tags: {owner: platform-team}
    unique_name: 00000000-0000-0000-0000-000000000000-CONTOSO_IMAGES
    sharing:
      permission: Groups
      subscriptions: [11111111-2222-3333-4444-555555555555]
      tenants: []
      community: null
    sharing_state: Succeeded
    soft_delete: {enabled: true, retention_days: 14, grace_days: null}
    provisioning_state: Succeeded
  contains:
    id:
      description: Resource id of the gallery.
      type: str
      returned: always
    name:
      description: Name of the gallery.
      type: str
      returned: always
    resource_group:
      description: Resource group of the gallery.
      type: str
      returned: always
    location:
      description: Region of the gallery, in lower case without spaces.
      type: str
      returned: always
    description:
      description: Description of the gallery.
      type: str
      returned: always
    tags:
      description: Tags of the gallery.
      type: dict
      returned: always
    unique_name:
      description: Unique name Azure gives the gallery; not known in check mode before creation.
      type: str
      returned: always
    sharing:
      description: Whom the gallery is shared with.
      type: dict
      returned: always
      contains:
        permission:
          description: V(Private), V(Groups) or V(Community).
          type: str
          returned: always
        subscriptions:
          description: Subscription ids the gallery is shared with, in lower case and sorted.
          type: list
          elements: str
          returned: always
        tenants:
          description: Tenant ids the gallery is shared with, in lower case and sorted.
          type: list
          elements: str
          returned: always
        community:
          description:
            - Community gallery information, with C(enabled) and the C(public_names) Azure assigned.
            - Azure makes up the public names when it enables community sharing, so check mode
              cannot predict them.
          type: dict
          returned: always
    sharing_state:
      description: Aggregated state of the last sharing change, when Azure reports one.
      type: str
      returned: always
    soft_delete:
      description: Soft-delete policy.
      type: dict
      returned: always
      contains:
        enabled:
          description: Whether soft delete is on.
          type: bool
          returned: always
        retention_days:
          description: Retention period in days.
          type: int
          returned: always
        grace_days:
          description: Grace period in days.
          type: int
          returned: always
    provisioning_state:
      description: Provisioning state of the gallery.
      type: str
      returned: always
deleted:
  description:
    - Resource ids deleted (or, in check mode, to be deleted), in order; with O(force=true) the
      image versions and definitions come before the gallery.
  returned: when O(state=absent)
  type: list
  elements: str
conflicts:
  description: Fields Azure cannot change, with current and requested values, when the module refuses.
  returned: on failure because of an unchangeable field
  type: list
  elements: dict
image_definitions:
  description: Names of the definitions that keep the gallery from being deleted without O(force).
  returned: on failure because the gallery is not empty
  type: list
  elements: str
"""

from ansible_collections.goldenimage.azure.plugins.module_utils._gallery_runner import (  # noqa: E402
    GALLERY_SPEC,
    run_gallery,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule  # noqa: E402


def main() -> None:
    module = AzureModule(GALLERY_SPEC, wait=True, tags=True, result_key="gallery")
    run_gallery(module)


if __name__ == "__main__":
    main()
