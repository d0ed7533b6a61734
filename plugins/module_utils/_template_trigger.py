# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""image_template_trigger: source-image triggers of an image template, as desired state.

A trigger has nothing to update: it exists or not, with a kind that cannot change. The
service deactivates a trigger whose builds keep failing; that is reported (``active``) and,
when asked, repaired by deleting and recreating the trigger.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

from ansible_collections.goldenimage.azure.plugins.module_utils._imagebuilder_api import (
    ImageBuilderApi,
    template_label,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule
from ansible_collections.goldenimage.azure.plugins.module_utils._template_model import (
    TemplateOptionError,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._template_results import (
    trigger_result,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._template_rules import (
    validate_name,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._waiter import Waiter

TRIGGER_KINDS = ("SourceImage",)
HEALTHY = "Healthy"
# Recreating deletes first, and the new trigger needs the old one gone.
RECREATE_DELETE_TIMEOUT = 600

TRIGGER_ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "name": {"type": "str", "required": True},
    "template_name": {"type": "str", "required": True},
    "resource_group": {"type": "str", "required": True},
    "kind": {"type": "str", "default": "SourceImage", "choices": list(TRIGGER_KINDS)},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    "recreate_inactive": {"type": "bool", "default": False},
}


def is_active(trigger: dict[str, Any] | None) -> bool:
    status = ((trigger or {}).get("properties") or {}).get("status") or {}
    return bool(status.get("code", HEALTHY) == HEALTHY)


@dataclass(frozen=True)
class TriggerPlan:
    """``none``, ``create``, ``delete`` or ``recreate`` (delete, then create)."""

    action: str

    @property
    def changed(self) -> bool:
        return self.action != "none"


def plan_trigger(
    current: dict[str, Any] | None, state: str, kind: str, recreate_inactive: bool
) -> TriggerPlan:
    if state == "absent":
        return TriggerPlan("delete" if current else "none")
    if current is None:
        return TriggerPlan("create")
    current_kind = (current.get("properties") or {}).get("kind")
    if current_kind != kind or (recreate_inactive and not is_active(current)):
        return TriggerPlan("recreate")
    return TriggerPlan("none")


def shaped(trigger: dict[str, Any] | None) -> dict[str, Any]:
    result = trigger_result(trigger)
    if result:
        result["active"] = is_active(trigger)
    return result


def run_template_trigger(module: AzureModule) -> NoReturn:
    params = module.params
    name, template, group = params["name"], params["template_name"], params["resource_group"]
    try:
        validate_name("name", name)
        validate_name("template_name", template)
    except TemplateOptionError as error:
        module.fail(f"Invalid {error.option}: {error.problem}.")
    api = ImageBuilderApi(module.arm, module.subscription_id)
    label = f"trigger {name} of {template_label(group, template)}"
    try:
        current = api.get_trigger(group, template, name)
        plan = plan_trigger(current, params["state"], params["kind"], params["recreate_inactive"])
        if current and not is_active(current) and plan.action == "none":
            module.warn(f"The service deactivated {label}: {shaped(current)['status']['message']}")
        if not plan.changed or module.check_mode:
            module.exit(plan.changed, shaped(current), action=plan.action)
        final = _execute(module, api, plan)
    except Exception as exc:  # fail_from translates and reports every error once
        module.fail_from(exc, verb="manage", resource=label)
    module.exit(True, shaped(final), action=plan.action)


def _execute(module: AzureModule, api: ImageBuilderApi, plan: TriggerPlan) -> dict[str, Any] | None:
    params = module.params
    name, template, group = params["name"], params["template_name"], params["resource_group"]
    waiter = module.waiter()
    if plan.action in ("delete", "recreate"):
        deleting = (
            waiter if plan.action == "delete" or waiter.enabled else Waiter(RECREATE_DELETE_TIMEOUT)
        )
        deleting.poller(
            api.begin_delete_trigger(group, template, name), f"deletion of trigger {name}"
        )
    if plan.action == "delete":
        return None
    body = {"properties": {"kind": params["kind"]}}
    poller = api.begin_create_trigger(group, template, name, body)
    final = waiter.poller(poller, f"creation of trigger {name}")
    return final or api.get_trigger(group, template, name)
