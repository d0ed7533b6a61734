#!/usr/bin/python
# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: role_definition
short_description: Create, update and delete Azure custom role definitions
version_added: 1.0.0
description:
  - Keeps one custom role (C(Microsoft.Authorization/roleDefinitions)) with exactly the
    actions listed, such as a least-privilege role for Azure VM Image Builder.
  - The role is found by its name at O(scope); a new role gets a GUID derived from the scope
    and the name, so re-running the task finds and keeps the same role.
  - Options not given keep the role's current values. Actions compare without case or order.
  - Built-in roles are never changed.
author:
  - goldenimage.azure contributors (@goldenimage)
options:
  name:
    description: Name of the role (C(roleName)), unique in the directory.
    type: str
    required: true
  scope:
    description:
      - Scope the role is created at, a subscription or resource group id.
      - When not set, the subscription.
    type: str
  description:
    description: Description of the role.
    type: str
  actions:
    description: Control-plane actions the role allows, e.g. V(Microsoft.Compute/images/read).
    type: list
    elements: str
  not_actions:
    description: Actions excluded from O(actions).
    type: list
    elements: str
  data_actions:
    description: Data-plane actions the role allows.
    type: list
    elements: str
  not_data_actions:
    description: Data actions excluded from O(data_actions).
    type: list
    elements: str
  assignable_scopes:
    description: Where the role may be assigned. When not set on a new role, O(scope).
    type: list
    elements: str
  state:
    description: V(present) creates or updates the role; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - goldenimage.azure.auth
  - goldenimage.azure.attributes
  - goldenimage.azure.attributes.ACTIONS
seealso:
  - module: goldenimage.azure.role_assignment
  - name: Azure custom roles
    description: How custom roles are defined.
    link: https://learn.microsoft.com/azure/role-based-access-control/custom-roles
  - name: Image Builder permissions
    description: The actions Azure VM Image Builder needs.
    link: https://learn.microsoft.com/azure/virtual-machines/linux/image-builder-permissions-cli
"""

EXAMPLES = r"""
- name: A role that lets Image Builder write gallery versions
  goldenimage.azure.role_definition:
    name: Image Builder distribution
    scope: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-images
    description: Read sources and write images for Azure VM Image Builder
    actions:
      - Microsoft.Compute/galleries/read
      - Microsoft.Compute/galleries/images/read
      - Microsoft.Compute/galleries/images/versions/read
      - Microsoft.Compute/galleries/images/versions/write
      - Microsoft.Compute/images/read
      - Microsoft.Compute/images/write
      - Microsoft.Compute/images/delete
"""

RETURN = r"""
role_definition:
  description: The role; V(null) when it does not exist.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id of the role definition, for role assignments.
      type: str
    name:
      description: The role's GUID.
      type: str
    role_name:
      description: The role's name.
      type: str
    description:
      description: Description.
      type: str
    type:
      description: V(CustomRole).
      type: str
    actions:
      description:
        - Allowed actions.
        - A role needs at least one entry in O(actions) or O(data_actions); a write that would
          leave it with neither is refused before any request to change it. In check mode
          without either option the module only reports whether the role exists.
      type: list
      elements: str
    not_actions:
      description: Excluded actions.
      type: list
      elements: str
    data_actions:
      description: Allowed data actions.
      type: list
      elements: str
    not_data_actions:
      description: Excluded data actions.
      type: list
      elements: str
    assignable_scopes:
      description: Where the role may be assigned.
      type: list
      elements: str
"""

from ansible_collections.goldenimage.azure.plugins.module_utils._identity_api import (  # noqa: E402
    ROLE_DEFINITION_SPEC,
    run_role_definition,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule  # noqa: E402


def main() -> None:
    module = AzureModule(ROLE_DEFINITION_SPEC, result_key="role_definition")
    run_role_definition(module)


if __name__ == "__main__":
    main()
