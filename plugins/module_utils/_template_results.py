# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image templates and triggers as module results: snake_case keys named like the options."""

from __future__ import annotations

from typing import Any

from ansible_collections.goldenimage.azure.plugins.module_utils._build_progress import (
    build_result,
    definition_has_successful_run,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._diff import to_snake
from ansible_collections.goldenimage.azure.plugins.module_utils._imagebuilder_api import (
    resource_group_of,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._template_plan import (
    identity_ids_of,
)

# Maps of user data inside properties whose keys must not be converted.
_USER_MAPS = ("artifactTags", "managedResourceTags")
# Result keys that reuse the option name rather than the mechanical conversion.
_RENAMED = {"build_timeout_in_minutes": "build_timeout"}


def snake_properties(properties: dict[str, Any]) -> dict[str, Any]:
    """``properties`` in snake_case, keeping tag names and resource ids as they are."""
    shaped = to_snake(_protect_user_maps(properties))
    for old, new in _RENAMED.items():
        if old in shaped:
            shaped[new] = shaped.pop(old)
    restored: dict[str, Any] = _restore_user_maps(shaped)
    return restored


def _protect_user_maps(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: {"__user_map__": item} if key in _USER_MAPS else _protect_user_maps(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_protect_user_maps(item) for item in value]
    return value


def _restore_user_maps(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__user_map__"}:
            return value["__user_map__"]
        return {key: _restore_user_maps(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_restore_user_maps(item) for item in value]
    return value


_STATUS_KEYS = (
    "provisioningState",
    "provisioningError",
    "lastRunStatus",
    "exactStagingResourceGroup",
)


def template_result(
    template: dict[str, Any] | None, run_outputs: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The ``image_template`` result: definition, status, and the last build's outputs."""
    if not template:
        return {}
    properties = dict(template.get("properties") or {})
    status = {key: properties.pop(key, None) for key in _STATUS_KEYS}
    identities = identity_ids_of(template)
    result: dict[str, Any] = {
        "id": template.get("id"),
        "name": template.get("name"),
        "resource_group": resource_group_of(template.get("id") or ""),
        "location": template.get("location"),
        "tags": dict(template.get("tags") or {}),
        "identity": identities[0] if identities else None,
        **snake_properties(properties),
        "provisioning_state": status["provisioningState"],
        "provisioning_error": to_snake(status["provisioningError"]),
        "last_run_status": to_snake(status["lastRunStatus"]),
        "exact_staging_resource_group": status["exactStagingResourceGroup"],
        "definition_built": definition_has_successful_run(template),
    }
    if run_outputs is not None:
        result["run_outputs"] = build_result(template, run_outputs)["run_outputs"]
    return result


def trigger_result(trigger: dict[str, Any] | None) -> dict[str, Any]:
    """A source-image trigger with its status (a deactivated trigger says so in ``status``)."""
    if not trigger:
        return {}
    properties = trigger.get("properties") or {}
    status = properties.get("status") or {}
    return {
        "id": trigger.get("id"),
        "name": trigger.get("name"),
        "kind": properties.get("kind"),
        "provisioning_state": properties.get("provisioningState"),
        "status": {
            "code": status.get("code"),
            "message": status.get("message"),
            "time": status.get("time"),
        },
    }
