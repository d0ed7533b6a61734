# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""user_assigned_identity, role_definition and role_assignment: ``main()`` with Azure faked at HTTP level."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("azure.mgmt.core", reason="azure-mgmt-core is not installed")

from ansible_collections.goldenimage.azure.plugins.module_utils import _identity_api
from ansible_collections.goldenimage.azure.plugins.modules import (
    role_assignment,
    role_definition,
    user_assigned_identity,
)
from ansible_collections.goldenimage.azure.tests.unit.azure_fakes import (
    FakeTransport,
    Reply,
    arm_error,
    fake_azure,
    page,
)
from ansible_collections.goldenimage.azure.tests.unit.harness import ModuleResult

SUB = "00000000-0000-0000-0000-000000000001"
GROUP = f"/subscriptions/{SUB}/resourceGroups/rg"
IDENTITY_PATH = f"{GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/builder"
READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
READER_ID = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{READER}"
PRINCIPAL = "11111111-2222-3333-4444-555555555555"
WRITES = ("PUT", "PATCH", "DELETE", "POST")

Runner = Callable[..., ModuleResult]


@pytest.fixture
def azure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeTransport:
    transport = fake_azure(monkeypatch, tmp_path, SUB)
    return transport


def writes(azure: FakeTransport) -> list[str]:
    return [call for call in azure.calls() if call.split(" ", 1)[0] in WRITES]


def identity_body(tags: dict[str, str] | None = None) -> dict[str, Any]:
    """An identity as ARM returns it (2023-01-31 shape)."""
    return {
        "id": IDENTITY_PATH,
        "name": "builder",
        "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
        "location": "eastus",
        "tags": tags or {},
        "properties": {"principalId": PRINCIPAL, "clientId": "c-1", "tenantId": "t-1"},
    }


NOT_FOUND = arm_error(404, "ResourceNotFound", "not found")
LOCATIONS = Reply(
    200,
    {
        "value": [
            {"name": "eastus", "displayName": "East US"},
            {"name": "westeurope", "displayName": "West Europe"},
        ]
    },
)


# --- user_assigned_identity -------------------------------------------------------------------


def test_identity_is_created_in_the_groups_region(
    azure: FakeTransport, module_runner: Runner
) -> None:
    azure.add("GET", r"/userAssignedIdentities/builder\?", NOT_FOUND)
    azure.add("GET", r"/resourceGroups/rg\?", Reply(200, {"location": "westeurope"}))
    azure.add("PUT", r"/userAssignedIdentities/builder\?", Reply(201, identity_body()))
    result = module_runner(
        user_assigned_identity.main, {"name": "builder", "resource_group": "rg"}, diff=True
    )
    assert not result.failed, result.msg
    assert result.changed
    assert result["identity"]["principal_id"] == PRINCIPAL
    assert result["diff"] == {"before": {"state": "absent"}, "after": {"state": "present"}}
    put = [request for request in azure.requests if request.method == "PUT"][0]
    assert json.loads(put.body)["location"] == "westeurope"
    assert "api-version=2023-01-31" in put.url


@pytest.mark.parametrize("name", ["bad name?", "ab", "-builder", "a" * 129])
def test_an_invalid_identity_name_fails_naming_it_before_any_request(
    azure: FakeTransport, module_runner: Runner, name: str
) -> None:
    result = module_runner(
        user_assigned_identity.main, {"name": name, "resource_group": "rg", "location": "eastus"}
    )
    assert result.failed and result.msg.startswith("Invalid name "), result.msg
    assert azure.requests == []


def test_identity_in_check_mode_sends_no_write(azure: FakeTransport, module_runner: Runner) -> None:
    azure.add("GET", r"/userAssignedIdentities/builder\?", NOT_FOUND)
    azure.add("GET", rf"/subscriptions/{SUB}/locations\?", LOCATIONS)
    result = module_runner(
        user_assigned_identity.main,
        {"name": "builder", "resource_group": "rg", "location": "East US"},
        check_mode=True,
    )
    assert result.changed and not result.failed
    assert writes(azure) == []


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_new_identity_in_an_unknown_region_fails_naming_it_before_any_write(
    azure: FakeTransport, module_runner: Runner, check_mode: bool
) -> None:
    azure.add("GET", r"/userAssignedIdentities/builder\?", NOT_FOUND)
    azure.add("GET", rf"/subscriptions/{SUB}/locations\?", LOCATIONS)
    result = module_runner(
        user_assigned_identity.main,
        {"name": "builder", "resource_group": "rg", "location": "eastuss"},
        check_mode=check_mode,
    )
    assert result.failed
    assert result.msg.startswith("Invalid location 'eastuss'"), result.msg
    assert "did you mean 'eastus'" in result.msg
    assert writes(azure) == []


def test_an_existing_identity_needs_no_region_list(
    azure: FakeTransport, module_runner: Runner
) -> None:
    azure.add("GET", r"/userAssignedIdentities/builder\?", Reply(200, identity_body()))
    result = module_runner(
        user_assigned_identity.main,
        {"name": "builder", "resource_group": "rg", "location": "East US"},
    )
    assert not result.failed and not result.changed, result.msg
    assert len(azure.calls()) == 1


def test_unchanged_identity_costs_one_read(azure: FakeTransport, module_runner: Runner) -> None:
    azure.add("GET", r"/userAssignedIdentities/builder\?", Reply(200, identity_body({"a": "1"})))
    result = module_runner(
        user_assigned_identity.main, {"name": "builder", "resource_group": "rg", "tags": {"a": "1"}}
    )
    assert not result.changed and not result.failed
    assert len(azure.calls()) == 1


def test_identity_tags_are_patched(azure: FakeTransport, module_runner: Runner) -> None:
    azure.add("GET", r"/userAssignedIdentities/builder\?", Reply(200, identity_body({"a": "1"})))
    azure.add("PATCH", r"/userAssignedIdentities/builder\?", Reply(200, identity_body({"a": "2"})))
    result = module_runner(
        user_assigned_identity.main,
        {"name": "builder", "resource_group": "rg", "tags": {"a": "2"}},
        diff=True,
    )
    assert result.changed
    assert result["diff"]["after"] == {"tags": {"a": "2"}}
    assert [call.split(" ")[0] for call in writes(azure)] == ["PATCH"]


def test_identity_cannot_move(azure: FakeTransport, module_runner: Runner) -> None:
    azure.add("GET", r"/userAssignedIdentities/builder\?", Reply(200, identity_body()))
    result = module_runner(
        user_assigned_identity.main,
        {"name": "builder", "resource_group": "rg", "location": "West US"},
    )
    assert result.failed and "cannot move" in result.msg
    assert writes(azure) == []


def test_absent_identity_is_deleted_once(azure: FakeTransport, module_runner: Runner) -> None:
    azure.add("GET", r"/userAssignedIdentities/builder\?", Reply(200, identity_body()), NOT_FOUND)
    azure.add("DELETE", r"/userAssignedIdentities/builder\?", Reply(200, None))
    params = {"name": "builder", "resource_group": "rg", "state": "absent"}
    first = module_runner(user_assigned_identity.main, params)
    second = module_runner(user_assigned_identity.main, params)
    assert first.changed and not second.changed
    assert len(writes(azure)) == 1


# --- role_definition --------------------------------------------------------------------------

ROLE_PARAMS: dict[str, Any] = {
    "name": "Image Builder",
    "scope": GROUP,
    "description": "builds",
    "actions": ["Microsoft.Compute/images/read", "Microsoft.Compute/images/write"],
}


def role_body(
    actions: list[str], guid: str = "9c3b0a4e-0000-4000-8000-000000000001"
) -> dict[str, Any]:
    return {
        "id": f"{GROUP}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
        "name": guid,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": "Image Builder",
            "type": "CustomRole",
            "description": "builds",
            "assignableScopes": [GROUP],
            "permissions": [
                {"actions": actions, "notActions": [], "dataActions": [], "notDataActions": []}
            ],
        },
    }


def test_new_role_gets_a_name_derived_from_scope_and_role_name(
    azure: FakeTransport, module_runner: Runner
) -> None:
    guid = _identity_api.derived_name(GROUP, "Image Builder")
    azure.add("GET", r"/roleDefinitions\?", page([]))
    azure.add(
        "PUT", rf"/roleDefinitions/{guid}\?", Reply(201, role_body(ROLE_PARAMS["actions"], guid))
    )
    result = module_runner(role_definition.main, ROLE_PARAMS)
    assert result.changed and not result.failed, result.msg
    assert result["role_definition"]["name"] == guid
    assert "filter=roleName%20eq%20%27Image%20Builder%27" in azure.calls("GET")[0]


def test_same_actions_in_another_order_and_case_change_nothing(
    azure: FakeTransport, module_runner: Runner
) -> None:
    azure.add(
        "GET",
        r"/roleDefinitions\?",
        page([role_body(["microsoft.compute/images/write", "Microsoft.Compute/images/read"])]),
    )
    result = module_runner(role_definition.main, ROLE_PARAMS)
    assert not result.changed and not result.failed
    assert writes(azure) == []


def test_an_extra_action_updates_the_existing_role(
    azure: FakeTransport, module_runner: Runner
) -> None:
    existing = role_body(["Microsoft.Compute/images/read"])
    azure.add("GET", r"/roleDefinitions\?", page([existing]))
    azure.add(
        "PUT",
        r"/roleDefinitions/9c3b0a4e-0000-4000-8000-000000000001\?",
        Reply(201, role_body(ROLE_PARAMS["actions"])),
    )
    result = module_runner(role_definition.main, ROLE_PARAMS, diff=True)
    assert result.changed
    assert result["diff"]["after"]["actions"] == ROLE_PARAMS["actions"]
    assert len(writes(azure)) == 1


def test_check_mode_predicts_an_update_without_writing(
    azure: FakeTransport, module_runner: Runner
) -> None:
    azure.add("GET", r"/roleDefinitions\?", page([role_body(["Microsoft.Compute/images/read"])]))
    result = module_runner(role_definition.main, ROLE_PARAMS, check_mode=True)
    assert result.changed and writes(azure) == []


def test_a_built_in_role_is_never_changed(azure: FakeTransport, module_runner: Runner) -> None:
    built_in = role_body([])
    built_in["properties"]["type"] = "BuiltInRole"
    azure.add("GET", r"/roleDefinitions\?", page([built_in]))
    result = module_runner(role_definition.main, ROLE_PARAMS)
    assert result.failed and "built-in" in result.msg
    assert writes(azure) == []


# --- role_assignment --------------------------------------------------------------------------


def assignment_body(scope: str = GROUP, role: str = READER_ID) -> dict[str, Any]:
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/a-1",
        "name": "a-1",
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "scope": scope,
            "principalId": PRINCIPAL,
            "principalType": "ServicePrincipal",
            "roleDefinitionId": role,
        },
    }


ASSIGN_PARAMS = {"scope": GROUP, "principal_id": PRINCIPAL, "role_definition": READER}


def test_existing_assignment_at_the_scope_is_kept(
    azure: FakeTransport, module_runner: Runner
) -> None:
    azure.add("GET", r"/roleAssignments\?", page([assignment_body()]))
    result = module_runner(role_assignment.main, ASSIGN_PARAMS)
    assert not result.changed and not result.failed, result.msg
    assert result["role_assignment"]["name"] == "a-1"
    assert writes(azure) == []


def test_an_inherited_assignment_does_not_count(
    azure: FakeTransport, module_runner: Runner
) -> None:
    guid = _identity_api.derived_name(GROUP, PRINCIPAL, READER)
    azure.add("GET", r"/roleAssignments\?", page([assignment_body(scope=f"/subscriptions/{SUB}")]))
    azure.add("PUT", rf"/roleAssignments/{guid}\?", Reply(201, assignment_body()))
    result = module_runner(role_assignment.main, ASSIGN_PARAMS, diff=True)
    assert result.changed and not result.failed, result.msg
    assert result["diff"] == {"before": {"state": "absent"}, "after": {"state": "present"}}
    put = [request for request in azure.requests if request.method == "PUT"][0]
    assert json.loads(put.body)["properties"]["principalType"] == "ServicePrincipal"


def test_a_role_name_is_resolved_at_the_scope(azure: FakeTransport, module_runner: Runner) -> None:
    reader = {
        "id": READER_ID,
        "name": READER,
        "properties": {"roleName": "Reader", "type": "BuiltInRole"},
    }
    azure.add("GET", r"/roleDefinitions\?", page([reader]))
    azure.add("GET", r"/roleAssignments\?", page([assignment_body()]))
    result = module_runner(role_assignment.main, {**ASSIGN_PARAMS, "role_definition": "Reader"})
    assert not result.changed and not result.failed, result.msg


def test_an_unknown_role_name_fails_naming_it(azure: FakeTransport, module_runner: Runner) -> None:
    azure.add("GET", r"/roleDefinitions\?", page([]))
    result = module_runner(role_assignment.main, {**ASSIGN_PARAMS, "role_definition": "Nope"})
    assert result.failed and "Nope" in result.msg
    assert writes(azure) == []


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("principal_id", "alice"),
        ("scope", "subscriptions/x"),
        ("scope", f"/subscriptions/{SUB}/resourceGroups"),
        ("scope", "/resourceGroups/rg"),
    ],
)
def test_a_malformed_principal_or_scope_fails_naming_it_before_any_request(
    azure: FakeTransport, module_runner: Runner, option: str, value: str
) -> None:
    result = module_runner(role_assignment.main, {**ASSIGN_PARAMS, option: value})
    assert result.failed and result.msg.startswith(f"Invalid {option} "), result.msg
    assert azure.requests == []


@pytest.mark.parametrize(
    "scope",
    [
        f"/subscriptions/{SUB}",
        f"subscriptions/{SUB}/",
        GROUP,
        f"{GROUP}/providers/Microsoft.Compute/galleries/g1",
        f"{GROUP}/providers/Microsoft.Compute/galleries/g1/images/img",
    ],
)
def test_scopes_azure_accepts_pass_the_check(scope: str) -> None:
    import re

    assert re.fullmatch(_identity_api.SCOPE_PATTERN, scope)


def test_a_role_without_actions_fails_before_any_write(
    azure: FakeTransport, module_runner: Runner
) -> None:
    azure.add("GET", r"/roleDefinitions\?", page([]))
    result = module_runner(role_definition.main, {**ROLE_PARAMS, "actions": []})
    assert result.failed and "actions" in result.msg, result.msg
    assert writes(azure) == []


def test_absent_assignment_is_deleted_in_place(azure: FakeTransport, module_runner: Runner) -> None:
    azure.add("GET", r"/roleAssignments\?", page([assignment_body()]))
    azure.add("DELETE", r"/roleAssignments/a-1\?", Reply(200, assignment_body()))
    result = module_runner(
        role_assignment.main, {**ASSIGN_PARAMS, "state": "absent"}, check_mode=True
    )
    assert result.changed and writes(azure) == []
    result = module_runner(role_assignment.main, {**ASSIGN_PARAMS, "state": "absent"})
    assert result.changed and len(writes(azure)) == 1


def test_derived_names_ignore_case_and_trailing_slashes() -> None:
    assert _identity_api.derived_name("/A/", "B") == _identity_api.derived_name("/a", "b")
