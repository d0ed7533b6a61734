"""Helpers the Image Builder integration tests share: template bodies, an identity with or
without rights, a gallery image definition, and raw ARM calls for what no SDK sends."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from azsim.client import AdminClient

IB_API = "2025-10-01"
IDENTITY_API = "2023-01-31"
AUTHZ_API = "2022-04-01"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
TEST_TIME_SCALE = 3600
UBUNTU = {
    "type": "PlatformImage",
    "publisher": "Canonical",
    "offer": "ubuntu-24_04-lts",
    "sku": "server",
    "version": "latest",
}


@dataclass
class Identity:
    id: str
    principal_id: str


class Ib:
    """Raw ARM calls for Image Builder paths, role assignments and the admin API."""

    def __init__(self, arm_request: Callable[..., Any], admin: AdminClient, subscription: str):
        self.call_raw = arm_request
        self.admin = admin
        self.subscription = subscription

    def group_id(self, group: str) -> str:
        return f"/subscriptions/{self.subscription}/resourceGroups/{group}"

    def template_id(self, group: str, name: str) -> str:
        return (
            f"{self.group_id(group)}/providers/Microsoft.VirtualMachineImages/imageTemplates/{name}"
        )

    def call(
        self, method: str, path: str, body: Any = None, api_version: str = IB_API, query: str = ""
    ) -> tuple[int, Any, dict[str, str]]:
        return self.call_raw(method, f"{path}?api-version={api_version}{query}", body)

    def identity(self, group: str, name: str = "aib") -> Identity:
        path = (
            f"{self.group_id(group)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
            f"{name}"
        )
        status, body, _ = self.call("PUT", path, {"location": "eastus"}, IDENTITY_API)
        assert status in (200, 201), body
        return Identity(body["id"], body["properties"]["principalId"])

    def grant(self, principal_id: str, role: str, scope: str) -> None:
        path = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}"
        body = {
            "properties": {
                "roleDefinitionId": f"/subscriptions/{self.subscription}/providers/"
                f"Microsoft.Authorization/roleDefinitions/{role}",
                "principalId": principal_id,
                "principalType": "ServicePrincipal",
            }
        }
        status, answer, _ = self.call("PUT", path, body, AUTHZ_API)
        assert status == 201, answer

    def advance(self, seconds: float) -> None:
        self.admin.advance(seconds)

    def fail(self, template: str, sub_state: str, message: str = "", count: int = 1) -> Any:
        return self.admin.call(
            "POST",
            "imagebuilder/failures",
            {"template": template, "sub_state": sub_state, "message": message, "count": count},
        )


def template_body(
    identity: Identity,
    distribute: list[dict[str, Any]] | None = None,
    source: dict[str, Any] | None = None,
    **properties: Any,
) -> dict[str, Any]:
    body_properties: dict[str, Any] = {
        "source": dict(source or UBUNTU),
        "customize": [{"type": "Shell", "name": "update", "inline": ["sudo apt-get update"]}],
        "distribute": distribute or [{"type": "VHD", "runOutputName": "vhd"}],
    }
    body_properties.update(properties)
    return {
        "location": "eastus",
        "tags": {"purpose": "test"},
        "identity": {"type": "UserAssigned", "userAssignedIdentities": {identity.id: {}}},
        "properties": body_properties,
    }


def error_of(call: Callable[[], Any]) -> HttpResponseError:
    """The service error a call (or the long-running operation it starts) ends with."""
    with pytest.raises(HttpResponseError) as caught:
        result = call()
        if hasattr(result, "result"):
            result.result()
    return caught.value
