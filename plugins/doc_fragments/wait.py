# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The matching argument spec is WAIT_ARGUMENT_SPEC in plugins/module_utils/_args.py.

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  wait:
    description:
      - Whether to wait until Azure finishes the operation.
      - With V(false) the module returns once Azure has accepted the request.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait at most when O(wait=true).
      - On timeout the module fails, returning the last state it saw.
    type: int
    default: 1800
"""
