"""Role-based access as ARM enforces it, driven through azure-mgmt-authorization and -msi."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from azure.identity import ClientSecretCredential
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.resource.resources import ResourceManagementClient

from azsim.client import AdminClient

READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"


@pytest.fixture(scope="module")
def authorization_client(make_client: Any) -> Any:
    return make_client(AuthorizationManagementClient)


@pytest.fixture
def stranger(admin: AdminClient, azsim: dict[str, Any]) -> dict[str, Any]:
    """A second service principal with no role anywhere."""
    secret = uuid.uuid4().hex
    added = admin.add_principal(secret=secret, display_name="stranger")
    credential = ClientSecretCredential(
        azsim["tenant_id"],
        added["client_id"],
        secret,
        authority=azsim["url"],
        disable_instance_discovery=True,
        connection_verify=azsim["ca_file"],
    )
    return {**added, "credential": credential}


def _role_id(subscription_id: str, guid: str) -> str:
    return (
        f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
    )


def test_built_in_roles_have_their_real_ids(
    authorization_client: Any, azsim: dict[str, Any]
) -> None:
    scope = f"/subscriptions/{azsim['subscription_id']}"
    roles = list(authorization_client.role_definitions.list(scope, filter="roleName eq 'Reader'"))
    assert [r.name for r in roles] == [READER]
    owner = authorization_client.role_definitions.get(scope, "8e3af657-a8ff-443c-a75c-2fe8c4bcb635")
    assert owner.role_name == "Owner"
    assert owner.permissions[0].actions == ["*"]


def test_no_role_is_403_then_an_assignment_grants_access(
    make_client: Any,
    authorization_client: Any,
    stranger: dict[str, Any],
    resource_group: str,
    azsim: dict[str, Any],
) -> None:
    theirs = make_client(ResourceManagementClient, credential_override=stranger["credential"])
    with pytest.raises(HttpResponseError) as raised:
        theirs.resource_groups.get(resource_group)
    error = raised.value
    assert error.status_code == 403
    assert error.error.code == "AuthorizationFailed"
    scope = f"/subscriptions/{azsim['subscription_id']}/resourceGroups/{resource_group}"
    # ARM names the scope as the request spelled it; the SDK lower-cases "resourcegroups"
    assert (
        f"The client '{stranger['client_id']}' with object id '{stranger['object_id']}' does not "
        "have authorization to perform action "
        f"'Microsoft.Resources/subscriptions/resourceGroups/read' over scope '{scope}' or the "
        "scope is invalid.".lower()
        in error.error.message.lower()
    )
    assignment = authorization_client.role_assignments.create(
        scope,
        str(uuid.uuid4()),
        {
            "role_definition_id": _role_id(azsim["subscription_id"], READER),
            "principal_id": stranger["object_id"],
        },
    )
    assert assignment.scope == scope
    assert theirs.resource_groups.get(resource_group).name == resource_group
    # Reader reads, but does not write
    with pytest.raises(HttpResponseError) as raised:
        theirs.resource_groups.create_or_update(
            resource_group, {"location": "eastus", "tags": {"x": "y"}}
        )
    assert raised.value.status_code == 403
    # and only inside the assigned scope
    with pytest.raises(HttpResponseError) as raised:
        list(theirs.resource_groups.list())
    assert raised.value.status_code == 403


def test_contributor_cannot_assign_roles(
    make_client: Any,
    authorization_client: Any,
    stranger: dict[str, Any],
    resource_group: str,
    azsim: dict[str, Any],
) -> None:
    scope = f"/subscriptions/{azsim['subscription_id']}/resourceGroups/{resource_group}"
    authorization_client.role_assignments.create(
        scope,
        str(uuid.uuid4()),
        {
            "role_definition_id": _role_id(azsim["subscription_id"], CONTRIBUTOR),
            "principal_id": stranger["object_id"],
        },
    )
    theirs = make_client(AuthorizationManagementClient, credential_override=stranger["credential"])
    with pytest.raises(HttpResponseError) as raised:
        theirs.role_assignments.create(
            scope,
            str(uuid.uuid4()),
            {
                "role_definition_id": _role_id(azsim["subscription_id"], READER),
                "principal_id": stranger["object_id"],
            },
        )
    assert raised.value.error.code == "AuthorizationFailed"
    assert "Microsoft.Authorization/roleAssignments/write" in raised.value.error.message


def test_assignments_list_with_filters_and_delete(
    authorization_client: Any,
    stranger: dict[str, Any],
    resource_group: str,
    azsim: dict[str, Any],
) -> None:
    sub_scope = f"/subscriptions/{azsim['subscription_id']}"
    scope = f"{sub_scope}/resourceGroups/{resource_group}"
    name = str(uuid.uuid4())
    authorization_client.role_assignments.create(
        scope,
        name,
        {
            "role_definition_id": _role_id(azsim["subscription_id"], READER),
            "principal_id": stranger["object_id"],
        },
    )
    with pytest.raises(ResourceExistsError):
        authorization_client.role_assignments.create(
            scope,
            str(uuid.uuid4()),
            {
                "role_definition_id": _role_id(azsim["subscription_id"], READER),
                "principal_id": stranger["object_id"],
            },
        )
    mine = list(
        authorization_client.role_assignments.list_for_scope(
            scope, filter=f"principalId eq '{stranger['object_id']}'"
        )
    )
    assert [a.name for a in mine] == [name]
    at_subscription = list(
        authorization_client.role_assignments.list_for_scope(sub_scope, filter="atScope()")
    )
    assert name not in [a.name for a in at_subscription]
    assert any(a.principal_id == azsim["object_id"] for a in at_subscription)
    below = list(authorization_client.role_assignments.list_for_scope(sub_scope))
    assert name in [a.name for a in below]
    authorization_client.role_assignments.delete(scope, name)
    assert not list(
        authorization_client.role_assignments.list_for_scope(
            scope, filter=f"principalId eq '{stranger['object_id']}'"
        )
    )


def test_custom_role_grants_only_its_actions(
    make_client: Any,
    authorization_client: Any,
    stranger: dict[str, Any],
    resource_group: str,
    azsim: dict[str, Any],
) -> None:
    sub_scope = f"/subscriptions/{azsim['subscription_id']}"
    role_guid = str(uuid.uuid4())
    authorization_client.role_definitions.create_or_update(
        sub_scope,
        role_guid,
        {
            "role_name": f"group reader {role_guid[:8]}",
            "description": "reads groups",
            "role_type": "CustomRole",
            "assignable_scopes": [sub_scope],
            "permissions": [
                {
                    "actions": ["Microsoft.Resources/subscriptions/resourceGroups/*"],
                    "not_actions": ["Microsoft.Resources/subscriptions/resourceGroups/delete"],
                }
            ],
        },
    )
    authorization_client.role_assignments.create(
        f"{sub_scope}/resourceGroups/{resource_group}",
        str(uuid.uuid4()),
        {
            "role_definition_id": _role_id(azsim["subscription_id"], role_guid),
            "principal_id": stranger["object_id"],
        },
    )
    theirs = make_client(ResourceManagementClient, credential_override=stranger["credential"])
    updated = theirs.resource_groups.create_or_update(
        resource_group, {"location": "eastus", "tags": {"by": "custom"}}
    )
    assert updated.tags == {"by": "custom"}
    with pytest.raises(HttpResponseError) as raised:
        theirs.resource_groups.begin_delete(resource_group)
    assert raised.value.status_code == 403


def test_unknown_principal_or_role_is_rejected(
    authorization_client: Any, resource_group: str, azsim: dict[str, Any]
) -> None:
    scope = f"/subscriptions/{azsim['subscription_id']}/resourceGroups/{resource_group}"
    with pytest.raises(HttpResponseError) as raised:
        authorization_client.role_assignments.create(
            scope,
            str(uuid.uuid4()),
            {
                "role_definition_id": _role_id(azsim["subscription_id"], READER),
                "principal_id": str(uuid.uuid4()),
            },
        )
    assert raised.value.error.code == "PrincipalNotFound"
    with pytest.raises(HttpResponseError) as raised:
        authorization_client.role_assignments.create(
            scope,
            str(uuid.uuid4()),
            {
                "role_definition_id": _role_id(azsim["subscription_id"], str(uuid.uuid4())),
                "principal_id": azsim["object_id"],
            },
        )
    assert raised.value.error.code == "RoleDefinitionDoesNotExist"


def test_user_assigned_identity_is_a_principal(
    make_client: Any,
    authorization_client: Any,
    resource_group: str,
    azsim: dict[str, Any],
) -> None:
    msi = make_client(ManagedServiceIdentityClient)
    identity = msi.user_assigned_identities.create_or_update(
        resource_group, "builder", {"location": "westeurope", "tags": {"a": "1"}}
    )
    assert identity.client_id and identity.principal_id
    assert identity.tenant_id == azsim["tenant_id"]
    assert msi.user_assigned_identities.get(resource_group, "builder").client_id == (
        identity.client_id
    )
    names = [i.name for i in msi.user_assigned_identities.list_by_resource_group(resource_group)]
    assert names == ["builder"]
    assert "builder" in [i.name for i in msi.user_assigned_identities.list_by_subscription()]
    # a role assignment needs no principalType: the principal exists
    authorization_client.role_assignments.create(
        f"/subscriptions/{azsim['subscription_id']}/resourceGroups/{resource_group}",
        str(uuid.uuid4()),
        {
            "role_definition_id": _role_id(azsim["subscription_id"], READER),
            "principal_id": identity.principal_id,
        },
    )
    msi.user_assigned_identities.delete(resource_group, "builder")
    assert not list(msi.user_assigned_identities.list_by_resource_group(resource_group))
