"""Microsoft.Authorization role definitions and assignments at any scope, and
Microsoft.ManagedIdentity user-assigned identities (principals that can hold roles)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from azsim.core import ArmError, Request, Response, Sim, iso, route
from azsim.core.authz import (
    BUILT_IN_BY_ID,
    BUILT_IN_ROLES,
    ROLE_ASSIGNMENT_TYPE,
    ROLE_DEFINITION_TYPE,
    BuiltInRole,
)
from azsim.core.ids import is_under
from azsim.core.paging import list_routes
from azsim.core.principals import PrincipalRecord

AUTHZ_API_VERSIONS = (
    "2015-06-01",
    "2015-07-01",
    "2018-01-01-preview",
    "2018-07-01",
    "2018-09-01-preview",
    "2020-03-01-preview",
    "2020-04-01-preview",
    "2020-08-01-preview",
    "2020-10-01-preview",
    "2021-04-01-preview",
    "2022-01-01-preview",
    "2022-04-01",
    "2022-05-01-preview",
)
IDENTITY_API_VERSIONS = (
    "2015-08-31-preview",
    "2018-11-30",
    "2021-09-30-preview",
    "2022-01-31-preview",
    "2023-01-31",
    "2023-07-31-preview",
    "2024-11-30",
    "2025-01-31-preview",
)
ASSIGNMENTS = "/{scope:path}/providers/Microsoft.Authorization/roleAssignments"
DEFINITIONS = "/{scope:path}/providers/Microsoft.Authorization/roleDefinitions"
IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"
IDENTITIES = (
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
    "/providers/Microsoft.ManagedIdentity/userAssignedIdentities"
)
_GUID = re.compile(r"^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$", re.IGNORECASE)
BUILT_IN_CREATED = "2015-02-02T21:55:09.8806423Z"


def _body(req: Request) -> dict[str, Any]:
    return req.json if isinstance(req.json, dict) else {}


def _guid_of(definition_id: str) -> str:
    return definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


# -- role definitions ---------------------------------------------------------------------------


def _built_in(role: BuiltInRole, scope: str) -> dict[str, Any]:
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{role.id}",
        "name": role.id,
        "type": ROLE_DEFINITION_TYPE,
        "properties": {
            "roleName": role.name,
            "type": "BuiltInRole",
            "description": role.description,
            "assignableScopes": ["/"],
            "permissions": [
                {
                    "actions": list(role.actions),
                    "notActions": list(role.not_actions),
                    "dataActions": list(role.data_actions),
                    "notDataActions": [],
                }
            ],
            "createdOn": BUILT_IN_CREATED,
            "updatedOn": BUILT_IN_CREATED,
            "createdBy": None,
            "updatedBy": None,
        },
    }


def _custom_roles(sim: Sim) -> list[dict[str, Any]]:
    return sim.store.by_type(ROLE_DEFINITION_TYPE)


def _find_definition(sim: Sim, guid: str, scope: str) -> dict[str, Any] | None:
    guid = guid.lower()
    if guid in BUILT_IN_BY_ID:
        return _built_in(BUILT_IN_BY_ID[guid], scope)
    for role in _custom_roles(sim):
        if role["name"].lower() == guid:
            return role
    return None


def _definitions_at(sim: Sim, scope: str) -> list[dict[str, Any]]:
    customs = [
        r
        for r in _custom_roles(sim)
        if any(
            is_under(scope, s) or is_under(s, scope)
            for s in r["properties"].get("assignableScopes", [])
        )
    ]
    return [_built_in(r, scope) for r in BUILT_IN_ROLES] + customs


_ROLE_NAME_FILTER = re.compile(r"^\s*roleName\s+eq\s+'([^']*)'\s*$", re.IGNORECASE)
_TYPE_FILTER = re.compile(r"^\s*type\s+eq\s+'([^']*)'\s*$", re.IGNORECASE)


@route("GET", DEFINITIONS, api_versions=AUTHZ_API_VERSIONS)
def list_definitions(req: Request) -> Response:
    roles = _definitions_at(req.sim, req.params["scope"])
    raw = req.query.get("$filter")
    if raw:
        if matched := _ROLE_NAME_FILTER.match(raw):
            roles = [r for r in roles if r["properties"]["roleName"] == matched.group(1)]
        elif matched := _TYPE_FILTER.match(raw):
            roles = [r for r in roles if r["properties"]["type"] == matched.group(1)]
        else:
            raise ArmError(400, "InvalidFilter", f"The filter '{raw}' is not supported.")
    return req.sim.page(req, roles)


@route("GET", DEFINITIONS + "/{roleDefinitionId}", api_versions=AUTHZ_API_VERSIONS)
def get_definition(req: Request) -> Response:
    role = _find_definition(req.sim, req.params["roleDefinitionId"], req.params["scope"])
    if role is None:
        raise ArmError(
            404,
            "RoleDefinitionDoesNotExist",
            "The specified role definition with ID "
            f"'{req.params['roleDefinitionId']}' does not exist.",
        )
    return Response.ok(role)


@route(
    "PUT",
    DEFINITIONS + "/{roleDefinitionId}",
    api_versions=AUTHZ_API_VERSIONS,
    action="Microsoft.Authorization/roleDefinitions/write",
)
def put_definition(req: Request) -> Response:
    guid = req.params["roleDefinitionId"].lower()
    if not _GUID.match(guid):
        raise ArmError(
            400, "InvalidRoleDefinitionId", f"The role definition ID '{guid}' is not valid."
        )
    if guid in BUILT_IN_BY_ID:
        raise ArmError(
            403, "RoleDefinitionUpdateNotPermitted", "Built-in role definitions cannot be changed."
        )
    props = _body(req).get("properties") or {}
    name = props.get("roleName")
    if not name:
        raise ArmError(
            400,
            "RoleDefinitionNameNullOrEmpty",
            "The role definition name cannot be null or empty.",
        )
    scopes = props.get("assignableScopes") or [req.params["scope"]]
    for role in _definitions_at(req.sim, scopes[0]):
        if role["properties"]["roleName"] == name and role["name"].lower() != guid:
            raise ArmError(
                409,
                "RoleDefinitionWithSameNameExists",
                "A custom role with the same name already exists in this directory. "
                "Use a different name.",
            )
    existing = _find_definition(req.sim, guid, req.params["scope"])
    now = iso(req.sim.now())
    role = {
        "id": req.path,
        "name": guid,
        "type": ROLE_DEFINITION_TYPE,
        "properties": {
            "roleName": name,
            "type": "CustomRole",
            "description": props.get("description", ""),
            "assignableScopes": scopes,
            "permissions": props.get("permissions") or [],
            "createdOn": (existing or {}).get("properties", {}).get("createdOn", now),
            "updatedOn": now,
            "createdBy": req.principal.object_id if req.principal else None,
            "updatedBy": req.principal.object_id if req.principal else None,
        },
    }
    req.sim.store.put(req.path, role)
    return Response.created(role)


@route(
    "DELETE",
    DEFINITIONS + "/{roleDefinitionId}",
    api_versions=AUTHZ_API_VERSIONS,
    action="Microsoft.Authorization/roleDefinitions/delete",
)
def delete_definition(req: Request) -> Response:
    guid = req.params["roleDefinitionId"].lower()
    if guid in BUILT_IN_BY_ID:
        raise ArmError(
            403, "RoleDefinitionUpdateNotPermitted", "Built-in role definitions cannot be deleted."
        )
    role = _find_definition(req.sim, guid, req.params["scope"])
    if role is None:
        return Response.no_content()
    for assignment in req.sim.store.by_type(ROLE_ASSIGNMENT_TYPE):
        if _guid_of(assignment["properties"]["roleDefinitionId"]) == guid:
            raise ArmError(
                409,
                "RoleDefinitionHasAssignments",
                "There are existing role assignments referencing role "
                f"(code: RoleDefinitionHasAssignments) '{guid}'.",
            )
    req.sim.store.delete(role["id"])
    return Response.ok(role)


# -- role assignments -----------------------------------------------------------------------------


def _assignment_or_404(req: Request) -> dict[str, Any]:
    assignment = req.sim.store.get(req.path)
    if assignment is None:
        raise ArmError(
            404,
            "RoleAssignmentNotFound",
            f"The role assignment '{req.params['roleAssignmentName']}' is not found.",
        )
    return assignment


@route(
    "GET",
    ASSIGNMENTS + "/{roleAssignmentName}",
    api_versions=AUTHZ_API_VERSIONS,
    action="Microsoft.Authorization/roleAssignments/read",
)
def get_assignment(req: Request) -> Response:
    return Response.ok(_assignment_or_404(req))


@route(
    "PUT",
    ASSIGNMENTS + "/{roleAssignmentName}",
    api_versions=AUTHZ_API_VERSIONS,
    action="Microsoft.Authorization/roleAssignments/write",
)
def put_assignment(req: Request) -> Response:
    name, scope = req.params["roleAssignmentName"], req.params["scope"]
    if not _GUID.match(name):
        raise ArmError(
            400,
            "InvalidRoleAssignmentId",
            f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.",
        )
    props = _body(req).get("properties") or {}
    definition_id, principal_id = props.get("roleDefinitionId", ""), props.get("principalId", "")
    if _find_definition(req.sim, _guid_of(definition_id), scope) is None:
        raise ArmError(
            400,
            "RoleDefinitionDoesNotExist",
            f"The specified role definition with ID '{_guid_of(definition_id)}' does not exist.",
        )
    record = req.sim.principals.by_object_id(principal_id) if principal_id else None
    if record is None and not props.get("principalType"):
        raise ArmError(
            400,
            "PrincipalNotFound",
            f"Principal {principal_id.replace('-', '')} does not exist in the directory "
            f"{req.sim.tenant_id}. Check that you have the correct principal ID. If you are "
            "creating this principal and then immediately assigning a role, this error might be "
            "related to a replication delay. In this case, set the role assignment principalType "
            "property to a value, such as ServicePrincipal, User, or Group.  See "
            "https://aka.ms/docs-principaltype",
        )
    existing = req.sim.store.get(req.path)
    if existing is not None:
        old = existing["properties"]
        if old["principalId"].lower() != principal_id.lower() or _guid_of(
            old["roleDefinitionId"]
        ) != _guid_of(definition_id):
            raise ArmError(
                409,
                "RoleAssignmentUpdateNotPermitted",
                "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
            )
        return Response.created(existing)
    _reject_duplicate(req.sim, scope, principal_id, definition_id)
    now = iso(req.sim.now())
    assignment = {
        "id": req.path,
        "name": name,
        "type": ROLE_ASSIGNMENT_TYPE,
        "properties": {
            "roleDefinitionId": definition_id,
            "principalId": principal_id,
            "principalType": props.get("principalType") or "ServicePrincipal",
            "scope": scope,
            "condition": props.get("condition"),
            "conditionVersion": props.get("conditionVersion"),
            "description": props.get("description"),
            "createdOn": now,
            "updatedOn": now,
            "createdBy": req.principal.object_id if req.principal else None,
            "updatedBy": req.principal.object_id if req.principal else None,
            "delegatedManagedIdentityResourceId": None,
        },
    }
    req.sim.store.put(req.path, assignment)
    return Response.created(assignment)


def _reject_duplicate(sim: Sim, scope: str, principal_id: str, definition_id: str) -> None:
    for other in sim.store.by_type(ROLE_ASSIGNMENT_TYPE):
        props = other["properties"]
        if (
            props["principalId"].lower() == principal_id.lower()
            and _guid_of(props["roleDefinitionId"]) == _guid_of(definition_id)
            and props["scope"].rstrip("/").lower() == scope.rstrip("/").lower()
        ):
            raise ArmError(
                409,
                "RoleAssignmentExists",
                "The role assignment already exists.",
                details=[{"code": "RoleAssignmentExists", "message": other["name"]}],
            )


@route(
    "DELETE",
    ASSIGNMENTS + "/{roleAssignmentName}",
    api_versions=AUTHZ_API_VERSIONS,
    action="Microsoft.Authorization/roleAssignments/delete",
)
def delete_assignment(req: Request) -> Response:
    assignment = req.sim.store.get(req.path)
    if assignment is None:
        return Response.no_content()
    req.sim.store.delete(req.path)
    return Response.ok(assignment)


_AT_SCOPE = re.compile(r"atScope\(\)", re.IGNORECASE)
_PRINCIPAL = re.compile(r"(?:principalId\s+eq\s+|assignedTo\()\s*'([^']+)'", re.IGNORECASE)


@route(
    "GET",
    ASSIGNMENTS,
    api_versions=AUTHZ_API_VERSIONS,
    action="Microsoft.Authorization/roleAssignments/read",
)
def list_assignments(req: Request) -> Response:
    """At, above and below the scope; `atScope()` keeps at and above; `principalId eq`."""
    scope = req.params["scope"]
    raw = req.query.get("$filter") or ""
    at_scope = bool(_AT_SCOPE.search(raw))
    principal = _PRINCIPAL.search(raw)
    found = []
    for assignment in req.sim.store.by_type(ROLE_ASSIGNMENT_TYPE):
        props = assignment["properties"]
        above = is_under(scope, props["scope"])
        if not (above or (not at_scope and is_under(props["scope"], scope))):
            continue
        if principal and props["principalId"].lower() != principal.group(1).lower():
            continue
        found.append(assignment)
    return req.sim.page(req, found)


# -- user-assigned identities -------------------------------------------------------------------


@route(
    "PUT",
    IDENTITIES + "/{resourceName}",
    api_versions=IDENTITY_API_VERSIONS,
    action="Microsoft.ManagedIdentity/userAssignedIdentities/write",
)
def put_identity(req: Request) -> Response:
    body = _body(req)
    if not body.get("location"):
        raise ArmError(
            400, "LocationRequired", "The location property is required for this definition."
        )
    location = req.sim.normalize_location(body["location"], "userAssignedIdentities")
    existing = req.sim.store.get(req.path)
    if existing is None:
        client_id, object_id = str(uuid.uuid4()), str(uuid.uuid4())
        identity = {
            "id": req.path,
            "name": req.params["resourceName"],
            "type": IDENTITY_TYPE,
            "location": location,
            "tags": body.get("tags") or {},
            "properties": {
                "tenantId": req.sim.tenant_id,
                "principalId": object_id,
                "clientId": client_id,
                "isolationScope": "None",
            },
        }
        req.sim.principals.add(
            PrincipalRecord(
                client_id=client_id,
                object_id=object_id,
                tenant_id=req.sim.tenant_id,
                display_name=req.params["resourceName"],
                kind="ManagedIdentity",
                resource_id=req.path,
            )
        )
        req.sim.store.put(req.path, identity)
        return Response.created(identity)
    if existing["location"] != location:
        raise ArmError(
            400,
            "InvalidResourceLocation",
            f"The resource '{existing['name']}' already exists in location "
            f"'{existing['location']}' in resource group "
            f"'{req.params['resourceGroupName']}'. A resource with the same name "
            f"cannot be created in location '{location}'. Please select a new "
            "resource name.",
        )
    if "tags" in body:
        existing["tags"] = body["tags"] or {}
    req.sim.store.put(req.path, existing)
    return Response.ok(existing)


@route(
    "PATCH",
    IDENTITIES + "/{resourceName}",
    api_versions=IDENTITY_API_VERSIONS,
    action="Microsoft.ManagedIdentity/userAssignedIdentities/write",
)
def patch_identity(req: Request) -> Response:
    identity = req.sim.store.get_or_404(req.path)
    if "tags" in _body(req):
        identity["tags"] = _body(req)["tags"] or {}
    req.sim.store.put(req.path, identity)
    return Response.ok(identity)


@route(
    "GET",
    IDENTITIES + "/{resourceName}",
    api_versions=IDENTITY_API_VERSIONS,
    action="Microsoft.ManagedIdentity/userAssignedIdentities/read",
)
def get_identity(req: Request) -> Response:
    return Response.ok(req.sim.store.get_or_404(req.path))


@route(
    "DELETE",
    IDENTITIES + "/{resourceName}",
    api_versions=IDENTITY_API_VERSIONS,
    action="Microsoft.ManagedIdentity/userAssignedIdentities/delete",
)
def delete_identity(req: Request) -> Response:
    identity = req.sim.store.get(req.path)
    if identity is None:
        return Response.no_content()
    req.sim.principals.remove(identity["properties"]["clientId"])
    req.sim.store.delete(req.path)
    return Response.ok(None)


list_routes(
    IDENTITY_TYPE,
    api_versions=IDENTITY_API_VERSIONS,
    action="Microsoft.ManagedIdentity/userAssignedIdentities/read",
)
