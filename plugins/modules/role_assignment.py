#!/usr/bin/python
# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: role_assignment
short_description: Assign and unassign Azure roles
version_added: 1.0.0
description:
  - Keeps one role assignment (C(Microsoft.Authorization/roleAssignments)) of a role to a
    principal at a scope, such as a custom role to the identity Azure VM Image Builder builds as.
  - An assignment of the same role to the same principal at exactly the same scope is the one
    managed, whatever its name; a new one gets a GUID derived from the three.
  - Azure cannot change an assignment; there is nothing to update.
author:
  - goldenimage.azure contributors (@goldenimage)
options:
  scope:
    description: Resource id the role is assigned at (subscription, resource group or resource).
    type: str
    required: true
  principal_id:
    description: Object id of the principal, e.g. C(identity.principal_id) from M(goldenimage.azure.user_assigned_identity).
    type: str
    required: true
  role_definition:
    description: The role, by role definition id, by GUID, or by role name visible at O(scope).
    type: str
    required: true
  principal_type:
    description: Type of the principal; telling Azure avoids failures while a new identity replicates.
    type: str
    choices: [ServicePrincipal, User, Group, ForeignGroup, Device]
    default: ServicePrincipal
  description:
    description: Description of a new assignment.
    type: str
  state:
    description: V(present) assigns the role; V(absent) removes the assignment.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - goldenimage.azure.auth
  - goldenimage.azure.attributes
  - goldenimage.azure.attributes.ACTIONS
seealso:
  - module: goldenimage.azure.role_definition
  - module: goldenimage.azure.user_assigned_identity
  - name: Azure role assignments
    description: How roles are assigned.
    link: https://learn.microsoft.com/azure/role-based-access-control/role-assignments
"""

EXAMPLES = r"""
- name: Let the build identity read customization files
  goldenimage.azure.role_assignment:
    scope: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-images/providers/Microsoft.Storage/storageAccounts/stimagefiles
    principal_id: "{{ builder.identity.principal_id }}"
    role_definition: Storage Blob Data Reader
"""

RETURN = r"""
role_assignment:
  description: The assignment; V(null) when it does not exist.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id of the assignment.
      type: str
    name:
      description: The assignment's GUID.
      type: str
    scope:
      description: Scope of the assignment.
      type: str
    principal_id:
      description: Object id of the principal.
      type: str
    principal_type:
      description: Type of the principal.
      type: str
    role_definition_id:
      description: Resource id of the role definition.
      type: str
    description:
      description: Description.
      type: str
"""

from ansible_collections.goldenimage.azure.plugins.module_utils._identity_api import (  # noqa: E402
    ROLE_ASSIGNMENT_SPEC,
    run_role_assignment,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule  # noqa: E402


def main() -> None:
    module = AzureModule(ROLE_ASSIGNMENT_SPEC, result_key="role_assignment")
    run_role_assignment(module)


if __name__ == "__main__":
    main()
