# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Requests to Microsoft.VirtualMachineImages, as raw ARM JSON.

Templates travel as JSON rather than SDK models so that a raw ``template`` with fields newer
than the SDK reaches Azure untouched and comes back untouched for comparing. Requests go
through the collection's ARM client (same credential, user agent, CA bundle, retries, and
azure-core's ARM poller for long-running operations).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from ansible_collections.goldenimage.azure.plugins.module_utils._arm import ArmClient
from ansible_collections.goldenimage.azure.plugins.module_utils._errors import get_or_none

API_VERSION = "2025-10-01"
PROVIDER = "Microsoft.VirtualMachineImages"
TEMPLATE_TYPE = f"{PROVIDER}/imageTemplates"


def template_path(subscription_id: str, resource_group: str, name: str) -> str:
    return (
        f"/subscriptions/{subscription_id}/resourceGroups/{quote(resource_group)}"
        f"/providers/{TEMPLATE_TYPE}/{quote(name)}"
    )


def template_label(resource_group: str, name: str) -> str:
    """How messages name a template."""
    return f"image template {name} in resource group {resource_group}"


class ImageBuilderApi:
    """The calls the Image Builder modules make, one method per REST operation."""

    def __init__(self, arm: ArmClient, subscription_id: str) -> None:
        self.arm = arm
        self.subscription_id = subscription_id

    def path(self, resource_group: str, name: str, *suffix: str) -> str:
        parts = [template_path(self.subscription_id, resource_group, name), *map(quote, suffix)]
        return "/".join(parts)

    # --- templates ---------------------------------------------------------------------------

    def get_template(self, resource_group: str, name: str) -> dict[str, Any] | None:
        return get_or_none(
            self.arm.get,
            self.path(resource_group, name),
            API_VERSION,
            resource=template_label(resource_group, name),
        )

    def list_templates(self, resource_group: str | None = None) -> Iterator[dict[str, Any]]:
        scope = f"/subscriptions/{self.subscription_id}"
        if resource_group:
            scope += f"/resourceGroups/{quote(resource_group)}"
        return self.arm.list(f"{scope}/providers/{TEMPLATE_TYPE}", API_VERSION)

    def begin_create(self, resource_group: str, name: str, body: dict[str, Any]) -> Any:
        return self.arm.begin("PUT", self.path(resource_group, name), API_VERSION, body)

    def begin_update(self, resource_group: str, name: str, patch: dict[str, Any]) -> Any:
        return self.arm.begin("PATCH", self.path(resource_group, name), API_VERSION, patch)

    def begin_delete(self, resource_group: str, name: str) -> Any:
        return self.arm.begin("DELETE", self.path(resource_group, name), API_VERSION)

    # --- builds ------------------------------------------------------------------------------

    def start_run(self, resource_group: str, name: str) -> Any:
        """POST ``/run``; returns the pipeline response (the build goes on in Azure)."""
        return self.arm.send("POST", self.path(resource_group, name, "run"), API_VERSION)

    def cancel_run(self, resource_group: str, name: str) -> Any:
        return self.arm.send("POST", self.path(resource_group, name, "cancel"), API_VERSION)

    def list_run_outputs(self, resource_group: str, name: str) -> list[dict[str, Any]]:
        return list(self.arm.list(self.path(resource_group, name, "runOutputs"), API_VERSION))

    # --- triggers ----------------------------------------------------------------------------

    def get_trigger(self, resource_group: str, name: str, trigger: str) -> dict[str, Any] | None:
        return get_or_none(
            self.arm.get,
            self.path(resource_group, name, "triggers", trigger),
            API_VERSION,
            resource=f"trigger {trigger} of {template_label(resource_group, name)}",
        )

    def list_triggers(self, resource_group: str, name: str) -> list[dict[str, Any]]:
        return list(self.arm.list(self.path(resource_group, name, "triggers"), API_VERSION))

    def begin_create_trigger(
        self, resource_group: str, name: str, trigger: str, body: dict[str, Any]
    ) -> Any:
        path = self.path(resource_group, name, "triggers", trigger)
        return self.arm.begin("PUT", path, API_VERSION, body)

    def begin_delete_trigger(self, resource_group: str, name: str, trigger: str) -> Any:
        path = self.path(resource_group, name, "triggers", trigger)
        return self.arm.begin("DELETE", path, API_VERSION)


def resource_group_of(resource_id: str) -> str | None:
    """The resource group segment of an ARM id."""
    parts = resource_id.strip("/").split("/")
    lowered = [part.lower() for part in parts]
    if "resourcegroups" not in lowered:
        return None
    index = lowered.index("resourcegroups") + 1
    return parts[index] if index < len(parts) else None
