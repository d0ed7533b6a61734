# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""User-assigned identities, custom role definitions and role assignments over raw ARM.

Each ``run_*`` function is the whole state machine of one module: read, compare, write (or
predict in check mode), exit with the resource, ``changed`` and a diff. None of these resource
types needs an SDK beyond azure-core, so they go through :class:`~._arm.ArmClient`.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from ansible_collections.goldenimage.azure.plugins.module_utils._diff import DiffTracker
from ansible_collections.goldenimage.azure.plugins.module_utils._errors import get_or_none
from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule
from ansible_collections.goldenimage.azure.plugins.module_utils._regions import check_regions
from ansible_collections.goldenimage.azure.plugins.module_utils._tags import desired_tags

IDENTITY_API_VERSION = "2023-01-31"
AUTHORIZATION_API_VERSION = "2022-04-01"
# Role definition and assignment names are GUIDs; deriving them from what identifies the
# resource makes a re-run (or a second controller) pick the same name.
NAME_NAMESPACE = uuid.UUID("0b5c3f0e-6f4e-4c8a-9a4f-6f1d2a9e7c11")

IDENTITY_SPEC: dict[str, dict[str, Any]] = {
    "name": {"type": "str", "required": True},
    "resource_group": {"type": "str", "required": True},
    "location": {"type": "str"},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
}

# Azure's rule for user-assigned identity names: 3 to 128 alphanumerics, '-' or '_', starting
# with an alphanumeric.
IDENTITY_NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{2,127}"

ROLE_DEFINITION_SPEC: dict[str, dict[str, Any]] = {
    "name": {"type": "str", "required": True},
    "scope": {"type": "str"},
    "description": {"type": "str"},
    "actions": {"type": "list", "elements": "str"},
    "not_actions": {"type": "list", "elements": "str"},
    "data_actions": {"type": "list", "elements": "str"},
    "not_data_actions": {"type": "list", "elements": "str"},
    "assignable_scopes": {"type": "list", "elements": "str"},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
}

ROLE_ASSIGNMENT_SPEC: dict[str, dict[str, Any]] = {
    "scope": {"type": "str", "required": True},
    "principal_id": {"type": "str", "required": True},
    "role_definition": {"type": "str", "required": True},
    "principal_type": {
        "type": "str",
        "default": "ServicePrincipal",
        "choices": ["ServicePrincipal", "User", "Group", "ForeignGroup", "Device"],
    },
    "description": {"type": "str"},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
}


GUID_PATTERN = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# A subscription, optionally narrowed to a resource group and then to a provider's resource.
SCOPE_PATTERN = (
    rf"/?(?i:subscriptions)/{GUID_PATTERN}(/(?i:resourceGroups)/[-\w.()]+)?"
    r"(/(?i:providers)/[^/\s]+(/[^/\s]+)+)?/?"
)


def _scope(value: str) -> str:
    return "/" + value.strip("/")


def _guid_of(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1].lower()


def derived_name(*parts: str) -> str:
    """A GUID name that depends only on ``parts`` (compared without case)."""
    return str(uuid.uuid5(NAME_NAMESPACE, "|".join(part.lower().rstrip("/") for part in parts)))


# --- user-assigned identities ------------------------------------------------------------------


def identity_view(body: dict[str, Any]) -> dict[str, Any]:
    props = body.get("properties") or {}
    return {
        "id": body.get("id"),
        "name": body.get("name"),
        "location": body.get("location"),
        "tags": body.get("tags") or {},
        "principal_id": props.get("principalId"),
        "client_id": props.get("clientId"),
        "tenant_id": props.get("tenantId"),
    }


def run_identity(module: AzureModule) -> None:
    params = module.params
    module.validate_pattern(
        "name",
        IDENTITY_NAME_PATTERN,
        "3 to 128 letters, digits, '-' or '_', starting with a letter or digit",
    )
    label = (
        f"user-assigned identity '{params['name']}' in resource group '{params['resource_group']}'"
    )
    try:
        path = (
            f"/subscriptions/{module.subscription_id}/resourceGroups/{params['resource_group']}"
            f"/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{params['name']}"
        )
        current = get_or_none(module.arm.get, path, IDENTITY_API_VERSION, resource=label)
        if params["state"] == "absent":
            if current is None:
                module.exit(False, None)
            diff = DiffTracker()
            diff.add("state", "present", "absent")
            if not module.check_mode:
                module.arm.delete(path, IDENTITY_API_VERSION)
            module.exit(True, None, diff)
        tags = desired_tags((current or {}).get("tags"), params["tags"], params["purge_tags"])
        if current is None:
            # Only a new identity can ask for a region (an existing one cannot move).
            check_regions(module, [("location", params["location"])])
            location = params["location"] or _group_location(module, params["resource_group"])
            body: dict[str, Any] = {"location": location, "tags": tags.tags if tags else {}}
            diff = DiffTracker()
            diff.add("state", "absent", "present")
            if module.check_mode:
                predicted = {"id": path, "name": params["name"], **body, "properties": {}}
                module.exit(True, identity_view(predicted), diff)
            created = module.arm.put(path, IDENTITY_API_VERSION, body) or {}
            module.exit(True, identity_view(created), diff)
        diff = DiffTracker()
        if params["location"] and _region(params["location"]) != _region(current.get("location")):
            module.fail(
                f"The {label} is in {current.get('location')}; an identity cannot move to "
                f"{params['location']}.",
                option="location",
            )
        if tags is None or not tags.changed:
            module.exit(False, identity_view(current))
        diff.add("tags", current.get("tags") or {}, tags.tags)
        if module.check_mode:
            module.exit(True, {**identity_view(current), "tags": tags.tags}, diff)
        updated = module.arm.patch(path, IDENTITY_API_VERSION, {"tags": tags.tags}) or current
        module.exit(True, identity_view(updated), diff)
    except Exception as exc:
        module.fail_from(exc, verb="manage", resource=label)


def _region(value: Any) -> str:
    return str(value or "").replace(" ", "").lower()


def _group_location(module: AzureModule, resource_group: str) -> str:
    group = module.arm.get(
        f"/subscriptions/{module.subscription_id}/resourceGroups/{resource_group}", "2021-04-01"
    )
    return str((group or {}).get("location"))


# --- role definitions --------------------------------------------------------------------------


def definition_view(body: dict[str, Any]) -> dict[str, Any]:
    props = body.get("properties") or {}
    permissions = (props.get("permissions") or [{}])[0] if props.get("permissions") else {}
    return {
        "id": body.get("id"),
        "name": body.get("name"),
        "role_name": props.get("roleName"),
        "description": props.get("description"),
        "type": props.get("type"),
        "actions": permissions.get("actions") or [],
        "not_actions": permissions.get("notActions") or [],
        "data_actions": permissions.get("dataActions") or [],
        "not_data_actions": permissions.get("notDataActions") or [],
        "assignable_scopes": props.get("assignableScopes") or [],
    }


def find_role_definition(module: AzureModule, scope: str, role_name: str) -> dict[str, Any] | None:
    """The role definition named ``role_name`` visible at ``scope`` (built-in or custom)."""
    role_filter = quote(f"roleName eq '{role_name}'")
    path = f"{scope}/providers/Microsoft.Authorization/roleDefinitions?$filter={role_filter}"
    for role in module.arm.list(path, AUTHORIZATION_API_VERSION):
        if (role.get("properties") or {}).get("roleName") == role_name:
            return role
    return None


def run_role_definition(module: AzureModule) -> None:
    params = module.params
    label = f"role definition '{params['name']}'"
    try:
        scope = _scope(params["scope"] or f"/subscriptions/{module.subscription_id}")
        current = find_role_definition(module, scope, params["name"])
        if current is not None and (current.get("properties") or {}).get("type") == "BuiltInRole":
            module.fail(f"The {label} is a built-in role; it cannot be changed.", option="name")
        guid = current["name"] if current else derived_name(scope, params["name"])
        path = f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
        if params["state"] == "absent":
            if current is None:
                module.exit(False, None)
            diff = DiffTracker()
            diff.add("state", "present", "absent")
            if not module.check_mode:
                module.arm.delete(path, AUTHORIZATION_API_VERSION)
            module.exit(True, None, diff)
        desired = _desired_definition(params, scope, current)
        diff = DiffTracker()
        before = definition_view(current) if current else {}
        after = definition_view({"id": path, "name": guid, **desired})
        if current is None:
            diff.add("state", "absent", "present")
        for key in ("description", "actions", "not_actions", "data_actions", "not_data_actions"):
            if _normal(before.get(key)) != _normal(after[key]) and current is not None:
                diff.add(key, before.get(key), after[key])
        if current is not None and _scopes(before["assignable_scopes"]) != _scopes(
            after["assignable_scopes"]
        ):
            diff.add("assignable_scopes", before["assignable_scopes"], after["assignable_scopes"])
        if not diff.changed:
            module.exit(False, before)
        permissions = desired["properties"]["permissions"][0]
        given = params["actions"] is not None or params["data_actions"] is not None
        # Azure stores a role without actions, but it grants nothing: a mistake, not a wish. A
        # check mode run that gives neither option only looks the role up, so it may go on.
        if (
            not permissions["actions"]
            and not permissions["dataActions"]
            and (given or not module.check_mode)
        ):
            module.fail(
                f"The {label} needs at least one entry in actions or data_actions.",
                option="actions",
            )
        if module.check_mode:
            module.exit(True, after, diff)
        written = module.arm.put(path, AUTHORIZATION_API_VERSION, desired) or {}
        module.exit(True, definition_view(written), diff)
    except Exception as exc:
        module.fail_from(exc, verb="manage", resource=label)


def _desired_definition(
    params: dict[str, Any], scope: str, current: dict[str, Any] | None
) -> dict[str, Any]:
    """The full PUT body; options not given keep the current values."""
    old = definition_view(current) if current else {}

    def pick(option: str) -> list[str]:
        value = params[option]
        return list(value) if value is not None else list(old.get(option) or [])

    description = params["description"]
    if description is None:
        description = old.get("description") or ""
    return {
        "properties": {
            "roleName": params["name"],
            "description": description,
            "type": "CustomRole",
            "assignableScopes": pick("assignable_scopes") or [scope],
            "permissions": [
                {
                    "actions": pick("actions"),
                    "notActions": pick("not_actions"),
                    "dataActions": pick("data_actions"),
                    "notDataActions": pick("not_data_actions"),
                }
            ],
        }
    }


def _normal(value: Any) -> Any:
    if isinstance(value, list):
        return sorted(str(item).lower() for item in value)
    return value or ""


def _scopes(values: list[str]) -> list[str]:
    return sorted(_scope(value).lower() for value in values)


# --- role assignments --------------------------------------------------------------------------


def assignment_view(body: dict[str, Any]) -> dict[str, Any]:
    props = body.get("properties") or {}
    return {
        "id": body.get("id"),
        "name": body.get("name"),
        "scope": props.get("scope"),
        "principal_id": props.get("principalId"),
        "principal_type": props.get("principalType"),
        "role_definition_id": props.get("roleDefinitionId"),
        "description": props.get("description"),
    }


def run_role_assignment(module: AzureModule) -> None:
    params = module.params
    module.validate_pattern("principal_id", GUID_PATTERN, "an object id (a GUID)")
    module.validate_pattern(
        "scope",
        SCOPE_PATTERN,
        "/subscriptions/<subscription id>, optionally followed by /resourceGroups/<name> "
        "and /providers/<resource type>/<name>",
    )
    scope = _scope(params["scope"])
    label = f"role assignment of '{params['role_definition']}' to '{params['principal_id']}' at '{scope}'"
    try:
        definition_id = _definition_id(module, scope, params["role_definition"])
        current = _find_assignment(module, scope, params["principal_id"], definition_id)
        if params["state"] == "absent":
            if current is None:
                module.exit(False, None)
            diff = DiffTracker()
            diff.add("state", "present", "absent")
            if not module.check_mode:
                module.arm.delete(str(current["id"]), AUTHORIZATION_API_VERSION)
            module.exit(True, None, diff)
        if current is not None:
            module.exit(False, assignment_view(current))
        name = derived_name(scope, params["principal_id"], _guid_of(definition_id))
        path = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
        body = {
            "properties": {
                "roleDefinitionId": definition_id,
                "principalId": params["principal_id"],
                "principalType": params["principal_type"],
                **({"description": params["description"]} if params["description"] else {}),
            }
        }
        diff = DiffTracker()
        diff.add("state", "absent", "present")
        if module.check_mode:
            module.exit(
                True,
                assignment_view(
                    {
                        "id": path,
                        "name": name,
                        **body,
                        "properties": {**body["properties"], "scope": scope},
                    }
                ),
                diff,
            )
        created = module.arm.put(path, AUTHORIZATION_API_VERSION, body) or {}
        module.exit(True, assignment_view(created), diff)
    except Exception as exc:
        module.fail_from(exc, verb="manage", resource=label)


def _definition_id(module: AzureModule, scope: str, role: str) -> str:
    """A role definition id from an id, a GUID or a role name."""
    if "/providers/microsoft.authorization/roledefinitions/" in role.lower():
        return role
    try:
        guid = str(uuid.UUID(role))
    except ValueError:
        found = find_role_definition(module, scope, role)
        if found is None:
            module.fail(
                f"No role definition named '{role}' is visible at '{scope}'.",
                option="role_definition",
            )
        return str(found["id"])
    return f"/subscriptions/{module.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


def _find_assignment(
    module: AzureModule, scope: str, principal_id: str, definition_id: str
) -> dict[str, Any] | None:
    """The assignment of this role to this principal at exactly ``scope``."""
    principal_filter = quote(f"principalId eq '{principal_id}'")
    path = f"{scope}/providers/Microsoft.Authorization/roleAssignments?$filter={principal_filter}"
    for assignment in module.arm.list(path, AUTHORIZATION_API_VERSION):
        props = assignment.get("properties") or {}
        if _scope(str(props.get("scope") or "")).lower() == scope.lower() and _guid_of(
            str(props.get("roleDefinitionId") or "")
        ) == _guid_of(definition_id):
            return assignment
    return None
