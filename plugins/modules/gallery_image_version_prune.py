#!/usr/bin/python
# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: gallery_image_version_prune
short_description: Delete old versions of an Azure Compute Gallery image definition
version_added: 1.0.0
description:
  - Keeps the newest O(keep_newest) versions and/or the versions published within the last
    O(older_than_days) days, and deletes the others. With both options, a version is deleted
    only when it is outside the newest ones and older than the age.
  - Versions are ordered semantically (V(1.10.0) is newer than V(1.9.0)).
  - A version that C(latest) resolves to, globally or in any region, is never deleted unless
    O(include_latest=true). Versions with an operation in progress are skipped. Soft-deleted
    versions are reported and not counted.
  - A version whose deletion is blocked until its end of life is skipped with the reason, or,
    with O(force=true), unblocked first and then deleted.
  - The plan (what is deleted, kept and skipped, each with its reason) is returned in every
    mode; in check mode nothing is deleted.
  - Deletions are sent in parallel, at most O(max_parallel) requests at a time, without polling
    each deletion's operation; with O(wait=true) one list of the versions per round (after the
    interval Azure suggests, then backing off to 30 seconds) confirms them all, until each is gone
    or reports a failed state, or O(wait_timeout) passes. A version whose deletion is blocked is
    unblocked (with O(force=true)) and that change awaited before its delete is sent.
  - One failed deletion does not stop the others; the module then fails naming each version
    that could not be deleted, and why, in RV(failures).
author:
  - goldenimage.azure contributors (@goldenimage)
options:
  gallery_name:
    description:
      - Name of the gallery.
    type: str
    required: true
  gallery_image_name:
    description:
      - Name of the image definition whose versions are pruned.
    type: str
    required: true
  resource_group:
    description:
      - Resource group of the gallery.
    type: str
    required: true
  keep_newest:
    description:
      - How many of the newest versions to keep. At least one of O(keep_newest) and
        O(older_than_days) is required.
    type: int
  older_than_days:
    description:
      - Delete only versions published more than this many days ago.
    type: float
  include_latest:
    description:
      - Whether a version that C(latest) resolves to may be deleted.
    type: bool
    default: false
  force:
    description:
      - Whether to lift C(block_deletion_before_end_of_life) from a version that would otherwise
        be deleted, and then delete it.
    type: bool
    default: false
  max_parallel:
    description:
      - How many delete (and unblock) requests are sent at the same time (1 to 16).
    type: int
    default: 4
extends_documentation_fragment:
  - goldenimage.azure.auth
  - goldenimage.azure.wait
  - goldenimage.azure.attributes
  - goldenimage.azure.attributes.ACTIONS
seealso:
  - module: goldenimage.azure.gallery_image_version
  - module: goldenimage.azure.gallery_image_version_info
  - name: Gallery image versions
    description: End of life, deletion protection and soft delete of image versions.
    link: https://learn.microsoft.com/azure/virtual-machines/image-version
requirements:
  - python >= 3.10
  - azure-identity
  - azure-mgmt-core
"""

EXAMPLES = r"""
- name: See what keeping the five newest versions would delete
  goldenimage.azure.gallery_image_version_prune:
    gallery_name: contoso_images
    gallery_image_name: ubuntu-24
    resource_group: rg-images
    keep_newest: 5
  check_mode: true
  register: prune_plan

- name: Delete versions older than 90 days, keeping at least three
  goldenimage.azure.gallery_image_version_prune:
    gallery_name: contoso_images
    gallery_image_name: ubuntu-24
    resource_group: rg-images
    keep_newest: 3
    older_than_days: 90
    max_parallel: 8
"""

RETURN = r"""
plan:
  description: What the module deletes, keeps and skips, each entry with C(name), C(reason), C(published_date) and C(unblock_first).
  returned: always
  type: dict
  contains:
    delete:
      description: Versions deleted (in check mode, to be deleted), newest first.
      type: list
      elements: dict
    keep:
      description: Versions kept by the rules.
      type: list
      elements: dict
    skipped:
      description: Versions the rules would delete but that are protected, in progress or already soft-deleted.
      type: list
      elements: dict
deleted:
  description: Names of the versions deleted by this run; V([]) in check mode.
  returned: always
  type: list
  elements: str
failures:
  description:
    - Version names with the error that kept each from being deleted (C(failed) is Ansible's
      own flag, always true when the module fails).
  returned: when a deletion failed
  type: dict
timed_out:
  description: True when O(wait_timeout) passed before every deletion was confirmed.
  returned: when the wait timed out
  type: bool
"""

from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule  # noqa: E402
from ansible_collections.goldenimage.azure.plugins.module_utils._version_prune_runner import (  # noqa: E402
    PRUNE_SPEC,
    run_prune,
)


def main() -> None:
    module = AzureModule(
        PRUNE_SPEC,
        wait=True,
        result_key="plan",
        required_one_of=[("keep_newest", "older_than_days")],
    )
    run_prune(module)


if __name__ == "__main__":
    main()
