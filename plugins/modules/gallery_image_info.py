#!/usr/bin/python
# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: gallery_image_info
short_description: List image definitions of Azure Compute Galleries
version_added: 1.0.0
description:
  - Returns one image definition, the definitions of a gallery, those of every gallery of a
    resource group, or those of every gallery of the subscription.
  - The result is always a list, empty when nothing matches (including when the gallery does
    not exist). Errors (for example missing permissions) fail the task; they are never reported
    as an empty list.
author:
  - goldenimage.azure contributors (@goldenimage)
options:
  name:
    description:
      - Name of the definition to return. Needs O(gallery_name).
    type: str
  gallery_name:
    description:
      - Only return definitions of this gallery. Needs O(resource_group).
    type: str
  resource_group:
    description:
      - Only return definitions of the galleries of this resource group.
    type: str
extends_documentation_fragment:
  - goldenimage.azure.auth
  - goldenimage.azure.attributes
  - goldenimage.azure.attributes.INFO_MODULE
seealso:
  - module: goldenimage.azure.gallery_image
  - module: goldenimage.azure.gallery_info
  - name: Image definitions
    description: What an image definition holds.
    link: https://learn.microsoft.com/azure/virtual-machines/shared-image-galleries#image-definitions
requirements:
  - python >= 3.10
  - azure-identity
  - azure-mgmt-core
"""

EXAMPLES = r"""
- name: Read one definition
  goldenimage.azure.gallery_image_info:
    name: ubuntu-2404
    gallery_name: contoso_images
    resource_group: rg-images
  register: found

- name: Fail unless it supports trusted launch
  ansible.builtin.assert:
    that:
      - found.images | length == 1
      - found.images[0].security_type in ['TrustedLaunch', 'TrustedLaunchSupported']

- name: List the definitions of a gallery
  goldenimage.azure.gallery_image_info:
    gallery_name: contoso_images
    resource_group: rg-images

- name: List every definition of the subscription
  goldenimage.azure.gallery_image_info:
"""

RETURN = r"""
images:
  description:
    - The definitions found; the same keys as the result of M(goldenimage.azure.gallery_image).
  returned: always
  type: list
  elements: dict
  sample:
    - id: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/contoso_images/images/ubuntu-2404
      name: ubuntu-2404
      gallery_name: contoso_images
      resource_group: rg-images
      location: eastus
      publisher: contoso
      offer: ubuntu
      sku: 24_04-lts
      os_type: Linux
      os_state: Generalized
      hyper_v_generation: V2
      architecture: x64
      security_type: TrustedLaunchSupported
      provisioning_state: Succeeded
"""

from ansible_collections.goldenimage.azure.plugins.module_utils._gallery_image_runner import (  # noqa: E402
    GALLERY_IMAGE_INFO_REQUIRED_BY,
    GALLERY_IMAGE_INFO_SPEC,
    run_gallery_image_info,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule  # noqa: E402


def main() -> None:
    module = AzureModule(
        GALLERY_IMAGE_INFO_SPEC, result_key="images", required_by=GALLERY_IMAGE_INFO_REQUIRED_BY
    )
    run_gallery_image_info(module)


if __name__ == "__main__":
    main()
