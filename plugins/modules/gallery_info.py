#!/usr/bin/python
# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: gallery_info
short_description: List Azure Compute Galleries
version_added: 1.0.0
description:
  - Returns one gallery, the galleries of a resource group, or every gallery of the subscription.
  - The result is always a list, empty when nothing matches. Errors (for example missing
    permissions) fail the task; they are never reported as an empty list.
author:
  - goldenimage.azure contributors (@goldenimage)
options:
  name:
    description:
      - Name of the gallery to return.
      - Without O(resource_group), every resource group of the subscription is searched.
    type: str
  resource_group:
    description:
      - Only return galleries of this resource group.
    type: str
notes:
  - Azure leaves sharing groups out of list answers, so for each directly shared gallery
    (permission V(Groups)) the module reads that gallery once more to return its
    subscriptions and tenants.
extends_documentation_fragment:
  - goldenimage.azure.auth
  - goldenimage.azure.attributes
  - goldenimage.azure.attributes.INFO_MODULE
seealso:
  - module: goldenimage.azure.gallery
  - module: goldenimage.azure.gallery_image_info
  - name: Azure Compute Gallery overview
    description: What galleries, image definitions and versions are.
    link: https://learn.microsoft.com/azure/virtual-machines/azure-compute-gallery
requirements:
  - python >= 3.10
  - azure-identity
  - azure-mgmt-core
"""

EXAMPLES = r"""
- name: Read one gallery
  goldenimage.azure.gallery_info:
    name: contoso_images
    resource_group: rg-images
  register: found

- name: Show where it lives and whom it is shared with
  ansible.builtin.debug:
    msg: "{{ found.galleries[0].location }} {{ found.galleries[0].sharing }}"
  when: found.galleries | length > 0

- name: List the galleries of a resource group
  goldenimage.azure.gallery_info:
    resource_group: rg-images

- name: List every gallery of the subscription
  goldenimage.azure.gallery_info:
"""

RETURN = r"""
galleries:
  description:
    - The galleries found, in the order Azure lists them, with the same keys as the C(gallery)
      result of M(goldenimage.azure.gallery).
  returned: always
  type: list
  elements: dict
  sample:
    - id: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/contoso_images
      name: contoso_images
      resource_group: rg-images
      location: eastus
      description: Golden images for Contoso
      tags: {}
      unique_name: 00000000-0000-0000-0000-000000000000-CONTOSO_IMAGES
      sharing: {permission: Private, subscriptions: [], tenants: [], community: null}
      sharing_state: null
      soft_delete: {enabled: false, retention_days: null, grace_days: null}
      provisioning_state: Succeeded
"""

from ansible_collections.goldenimage.azure.plugins.module_utils._gallery_runner import (  # noqa: E402
    GALLERY_INFO_SPEC,
    run_gallery_info,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule  # noqa: E402


def main() -> None:
    module = AzureModule(GALLERY_INFO_SPEC, result_key="galleries")
    run_gallery_info(module)


if __name__ == "__main__":
    main()
