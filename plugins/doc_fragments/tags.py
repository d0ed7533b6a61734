# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The matching argument spec is TAGS_ARGUMENT_SPEC in plugins/module_utils/_args.py.

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  tags:
    description:
      - Tags (name and value pairs) the resource should have.
      - When not set, the resource's tags are left as they are.
      - To remove every tag, set O(tags={}) with O(purge_tags=true).
    type: dict
  purge_tags:
    description:
      - Whether to remove tags that are not in O(tags).
      - With V(false), O(tags) is merged into the existing tags.
      - Has no effect when O(tags) is not set.
    type: bool
    default: true
"""
