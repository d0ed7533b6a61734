#!/usr/bin/python
# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: gallery_image_version_info
short_description: Read Azure Compute Gallery image versions and resolve latest
version_added: 1.0.0
description:
  - Returns one version of an image definition, every version in semantic order (so V(1.10.0)
    comes after V(1.9.0)), or the version C(latest) resolves to.
  - C(latest) is resolved as Azure resolves it when a VM is deployed, as the highest version that
    is not excluded from latest, that did not fail, and that is not soft-deleted. For a region,
    the version must be replicated there, and a target region's own exclusion flag overrides
    the version's.
  - Replication state per region is read on request (one more read per version).
author:
  - goldenimage.azure contributors (@goldenimage)
options:
  name:
    description:
      - Name of one version (V(Major.Minor.Patch)), or V(latest) for the version C(latest)
        resolves to (in O(region) when set).
      - When not set, every version of the definition is returned.
    type: str
  gallery_name:
    description:
      - Name of the gallery.
    type: str
    required: true
  gallery_image_name:
    description:
      - Name of the image definition.
    type: str
    required: true
  resource_group:
    description:
      - Resource group of the gallery.
    type: str
    required: true
  region:
    description:
      - The region in which O(name=latest) is resolved. When not set, it is resolved globally.
    type: str
  replication_status:
    description:
      - Whether to read and return each version's replication state per region.
    type: bool
    default: false
extends_documentation_fragment:
  - goldenimage.azure.auth
  - goldenimage.azure.attributes
  - goldenimage.azure.attributes.INFO_MODULE
seealso:
  - module: goldenimage.azure.gallery_image_version
  - module: goldenimage.azure.gallery_image_info
  - name: Image versions and latest
    description: How Azure chooses the version a VM gets when it asks for latest.
    link: https://learn.microsoft.com/azure/virtual-machines/image-version
requirements:
  - python >= 3.10
  - azure-identity
  - azure-mgmt-core
"""

EXAMPLES = r"""
- name: List every version of a definition in semantic order
  goldenimage.azure.gallery_image_version_info:
    gallery_name: contoso_images
    gallery_image_name: ubuntu-24
    resource_group: rg-images
  register: versions

- name: Which version does latest give a VM in West Europe?
  goldenimage.azure.gallery_image_version_info:
    name: latest
    region: westeurope
    gallery_name: contoso_images
    gallery_image_name: ubuntu-24
    resource_group: rg-images
  register: latest

- name: Follow replication of one version
  goldenimage.azure.gallery_image_version_info:
    name: 1.0.3
    replication_status: true
    gallery_name: contoso_images
    gallery_image_name: ubuntu-24
    resource_group: rg-images
"""

RETURN = r"""
gallery_image_version:
  description:
    - The versions found, lowest first, with the keys M(goldenimage.azure.gallery_image_version)
      returns; V([]) when nothing matches.
  returned: always
  type: list
  elements: dict
latest:
  description: The version C(latest) resolves to globally; V(null) when no version qualifies or when O(name) names one version.
  returned: always
  type: str
  sample: 1.0.3
latest_by_region:
  description: For each region any version targets, the version C(latest) resolves to there; V(null) when O(name) names one version.
  returned: always
  type: dict
  sample: {eastus: 1.0.3, westeurope: 1.0.2}
"""

from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule  # noqa: E402
from ansible_collections.goldenimage.azure.plugins.module_utils._version_runner import (  # noqa: E402
    RESULT_KEY,
    VERSION_INFO_SPEC,
    run_version_info,
)


def main() -> None:
    module = AzureModule(VERSION_INFO_SPEC, result_key=RESULT_KEY)
    run_version_info(module)


if __name__ == "__main__":
    main()
