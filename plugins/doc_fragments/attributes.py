# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attributes shared by the collection's modules (use ``attributes`` plus one of the others)."""

from __future__ import annotations


class ModuleDocFragment:
    # Every module: member of the action group, so module_defaults sets the connection once.
    DOCUMENTATION = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/goldenimage.azure.azure) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - goldenimage.azure.azure
"""

    # Modules that change resources.
    ACTIONS = r"""
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
    support: full
  idempotent:
    description: Running the module twice with the same options changes nothing the second time.
    support: full
"""

    # Modules that only read.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    description: This action does not modify state.
    support: full
    details: The module runs the same in check mode; it never changes anything.
  diff_mode:
    description: This action does not modify state.
    support: N/A
  idempotent:
    description: This action does not modify state.
    support: full
"""
