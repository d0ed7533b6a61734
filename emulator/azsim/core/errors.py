"""ARM error responses."""

from __future__ import annotations

from typing import Any

from azsim.core import ids

NOT_FOUND_HELP = "For more details please go to https://aka.ms/ARMResourceNotFoundFix"


class ArmError(Exception):
    """Raised anywhere in a handler; becomes ARM's `{"error": {...}}` body with `status`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, Any]] | None = None,
        target: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.target = target
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target is not None:
            error["target"] = self.target
        if self.details:
            error["details"] = self.details
        return {"error": error}


def not_found(resource_id: str) -> ArmError:
    """ARM's 404 for a missing resource, with the message Azure uses."""
    parsed = ids.parse(resource_id)
    type_and_names = ids.type_with_names(resource_id)
    if parsed.resource_group:
        message = (
            f"The Resource '{type_and_names}' under resource group "
            f"'{parsed.resource_group}' was not found. {NOT_FOUND_HELP}"
        )
    else:
        message = f"The Resource '{type_and_names}' was not found. {NOT_FOUND_HELP}"
    return ArmError(404, "ResourceNotFound", message)


def resource_group_not_found(name: str) -> ArmError:
    return ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")


def subscription_not_found(subscription_id: str) -> ArmError:
    return ArmError(
        404, "SubscriptionNotFound", f"The subscription '{subscription_id}' could not be found."
    )
