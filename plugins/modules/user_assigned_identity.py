#!/usr/bin/python
# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: user_assigned_identity
short_description: Create, tag and delete user-assigned managed identities
version_added: 1.0.0
description:
  - Keeps one user-assigned managed identity (C(Microsoft.ManagedIdentity/userAssignedIdentities)),
    such as the identity Azure VM Image Builder builds as.
  - Afterwards Azure changes only an identity's tags; asking for another region fails.
  - The module reads the identity once; when nothing differs it reports no change and sends
    nothing else.
author:
  - goldenimage.azure contributors (@goldenimage)
options:
  name:
    description:
      - Name of the identity.
      - 3 to 128 letters, digits, V(-) or V(_), starting with a letter or digit; any other
        name is refused before any request.
    type: str
    required: true
  resource_group:
    description: Resource group of the identity; it must exist.
    type: str
    required: true
  location:
    description:
      - Region of a new identity. When not set, the resource group's region.
      - A region the subscription does not offer is refused before any write.
    type: str
  state:
    description: V(present) creates or updates the identity; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - goldenimage.azure.auth
  - goldenimage.azure.tags
  - goldenimage.azure.attributes
  - goldenimage.azure.attributes.ACTIONS
seealso:
  - module: goldenimage.azure.role_assignment
  - module: goldenimage.azure.image_template
  - name: Managed identities for Azure resources
    description: What user-assigned identities are.
    link: https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/overview
"""

EXAMPLES = r"""
- name: Create the identity Image Builder builds as
  goldenimage.azure.user_assigned_identity:
    name: id-image-builder
    resource_group: rg-images
    tags:
      purpose: image-builds
  register: builder

- name: Use its principal id in a role assignment
  goldenimage.azure.role_assignment:
    scope: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-images
    principal_id: "{{ builder.identity.principal_id }}"
    role_definition: Image Builder distribution
"""

RETURN = r"""
identity:
  description: The identity; V(null) when it does not exist. In check mode, what it would be (a new one has no principal, client or tenant id yet).
  returned: always
  type: dict
  contains:
    id:
      description: Resource id.
      type: str
    name:
      description: Name.
      type: str
    location:
      description: Region.
      type: str
    tags:
      description: Tags.
      type: dict
    principal_id:
      description: Object id of the identity's service principal, for role assignments.
      type: str
    client_id:
      description: Client (application) id.
      type: str
    tenant_id:
      description: Tenant of the identity.
      type: str
"""

from ansible_collections.goldenimage.azure.plugins.module_utils._identity_api import (  # noqa: E402
    IDENTITY_SPEC,
    run_identity,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule  # noqa: E402


def main() -> None:
    module = AzureModule(IDENTITY_SPEC, tags=True, result_key="identity")
    run_identity(module)


if __name__ == "__main__":
    main()
