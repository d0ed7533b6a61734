#!/usr/bin/python
# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: managed_image_info
short_description: Read Azure managed images
version_added: 1.0.0
description:
  - Returns one managed image, the images of a resource group, or every image of the
    subscription.
author:
  - goldenimage.azure contributors (@goldenimage)
options:
  name:
    description:
      - Name of the image. Without O(resource_group), images of that name in any resource group.
    type: str
  resource_group:
    description:
      - Resource group of the images. When not set, the whole subscription is listed.
    type: str
extends_documentation_fragment:
  - goldenimage.azure.auth
  - goldenimage.azure.attributes
  - goldenimage.azure.attributes.INFO_MODULE
seealso:
  - module: goldenimage.azure.managed_image
  - module: goldenimage.azure.gallery_image_version_info
requirements:
  - python >= 3.10
  - azure-identity
  - azure-mgmt-core
"""

EXAMPLES = r"""
- name: Read one image
  goldenimage.azure.managed_image_info:
    name: ubuntu-24-build-17
    resource_group: rg-build
  register: image

- name: List the images of a resource group
  goldenimage.azure.managed_image_info:
    resource_group: rg-build
"""

RETURN = r"""
managed_image:
  description:
    - The images found, with the keys M(goldenimage.azure.managed_image) returns, sorted by
      resource id; V([]) when nothing matches.
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule  # noqa: E402
from ansible_collections.goldenimage.azure.plugins.module_utils._version_managed_image_runner import (  # noqa: E402
    IMAGE_INFO_SPEC,
    RESULT_KEY,
    run_image_info,
)


def main() -> None:
    module = AzureModule(IMAGE_INFO_SPEC, result_key=RESULT_KEY)
    run_image_info(module)


if __name__ == "__main__":
    main()
