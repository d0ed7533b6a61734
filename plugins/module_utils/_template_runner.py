# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image_template state machine: validate, read once, plan, then act on the plan.

Every rule is checked before the first request; a no-op costs one GET; check mode and diff
mode report the same plan the real run executes.
"""

from __future__ import annotations

import copy
from typing import Any, NoReturn

from ansible_collections.goldenimage.azure.plugins.module_utils._build_progress import is_running
from ansible_collections.goldenimage.azure.plugins.module_utils._imagebuilder_api import (
    ImageBuilderApi,
    template_label,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule
from ansible_collections.goldenimage.azure.plugins.module_utils._regions import check_regions
from ansible_collections.goldenimage.azure.plugins.module_utils._tags import desired_tags
from ansible_collections.goldenimage.azure.plugins.module_utils._template_model import (
    OptionNamer,
    TemplateOptionError,
    identity_to_arm,
    properties_from_options,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._template_plan import (
    DesiredTemplate,
    TemplatePlan,
    plan_template,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._template_results import (
    template_result,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._template_rules import (
    regions_of_template,
    validate_identity,
    validate_name,
    validate_properties,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._waiter import Waiter

RESOURCE_GROUP_API_VERSION = "2021-04-01"
# Replacing deletes first, and Azure refuses to create a template while the old one exists:
# that deletion is always awaited, within this many seconds when wait=false.
REPLACE_DELETE_TIMEOUT = 1800


def desired_properties(module: AzureModule) -> dict[str, Any]:
    """ARM ``properties`` from the options or the raw ``template``, checked; fails naming the option."""
    params = module.params
    raw = params.get("template")
    try:
        validate_name("name", params["name"])
        if params["state"] == "absent":
            return {}
        validate_identity(params.get("identity"))
        if raw is not None:
            properties: dict[str, Any] = copy.deepcopy(raw)
            validate_properties(properties, OptionNamer(raw=True))
        else:
            properties = properties_from_options(params, module.subscription_id)
            validate_properties(properties)
    except TemplateOptionError as error:
        module.fail(f"Invalid {error.option}: {error.problem}.")
    return properties


def run_image_template(module: AzureModule) -> NoReturn:
    params = module.params
    name, resource_group = params["name"], params["resource_group"]
    properties = desired_properties(module)
    api = ImageBuilderApi(module.arm, module.subscription_id)
    label = template_label(resource_group, name)
    verb = "read"
    try:
        current = api.get_template(resource_group, name)
        desired = None
        if params["state"] == "present":
            desired = _desired(module, api, current, properties)
        plan = plan_template(
            name,
            desired,
            current,
            replace=params["replace"],
            cancel_running_build=params["cancel_running_build"],
        )
        report = {"action": plan.action, "changes": list(plan.changes)}
        if plan.refusal:
            module.fail(plan.refusal, diff=plan.diff, **report)
        if plan.changed and desired is not None:
            _check_new_regions(module, current, properties)
        if not plan.changed or module.check_mode:
            predicted = predicted_template(plan, current, api.path(resource_group, name), name)
            module.exit(plan.changed, template_result(predicted), diff=plan.diff, **report)
        verb = {"delete": "delete", "create": "create"}.get(plan.action, "update")
        final = _execute(module, api, plan)
    except Exception as exc:  # fail_from translates and reports every error once
        module.fail_from(exc, verb=verb, resource=label)
    module.exit(True, template_result(final), diff=plan.diff, **report)


def predicted_template(
    plan: TemplatePlan, current: dict[str, Any] | None, template_id: str, name: str
) -> dict[str, Any] | None:
    """The template as the plan would leave it (for check mode); status fields are unknown."""
    if plan.action == "delete":
        return None
    if plan.action in ("create", "replace") and plan.body is not None:
        return {"id": template_id, "name": name, **copy.deepcopy(plan.body)}
    if plan.action == "update" and current is not None and plan.patch is not None:
        predicted = copy.deepcopy(current)
        for key in ("identity", "tags"):
            if key in plan.patch:
                predicted[key] = copy.deepcopy(plan.patch[key])
        properties = predicted.setdefault("properties", {})
        for key, value in (plan.patch.get("properties") or {}).items():
            properties[key] = copy.deepcopy(value)
        return predicted
    return current


def _desired(
    module: AzureModule,
    api: ImageBuilderApi,
    current: dict[str, Any] | None,
    properties: dict[str, Any],
) -> DesiredTemplate:
    params = module.params
    identity = identity_to_arm(params["identity"]) or {}  # validate_identity made sure it is set
    tags = desired_tags((current or {}).get("tags"), params.get("tags"), params["purge_tags"])
    return DesiredTemplate(
        location=params.get("location") or _default_location(module, current),
        identity=identity,
        properties=properties,
        tags=None if tags is None else tags.tags,
    )


def _check_new_regions(
    module: AzureModule, current: dict[str, Any] | None, properties: dict[str, Any]
) -> None:
    """Refuse a region the subscription does not offer; those the template has need no check."""
    namer = OptionNamer(raw=module.params.get("template") is not None)
    wanted = regions_of_template(module.params.get("location"), properties, namer)
    existing = regions_of_template(
        (current or {}).get("location"), (current or {}).get("properties") or {}
    )
    check_regions(module, wanted, existing=[region for _option, region in existing])


def _default_location(module: AzureModule, current: dict[str, Any] | None) -> str:
    """The template's own location, or its resource group's for a new template."""
    if current is not None:
        return str(current["location"])
    path = (
        f"/subscriptions/{module.subscription_id}/resourcegroups/{module.params['resource_group']}"
    )
    group = module.arm.get(path, RESOURCE_GROUP_API_VERSION) or {}
    return str(group.get("location"))


def _execute(
    module: AzureModule, api: ImageBuilderApi, plan: TemplatePlan
) -> dict[str, Any] | None:
    name, resource_group = module.params["name"], module.params["resource_group"]
    waiter = module.waiter()
    if plan.cancel_first:
        _cancel_and_wait(api, resource_group, name, _always_waiting(waiter))
    if plan.action == "delete":
        waiter.poller(api.begin_delete(resource_group, name), f"deletion of {name}")
        return None
    if plan.action == "replace":
        _always_waiting(waiter).poller(
            api.begin_delete(resource_group, name), f"deletion of {name} before recreating it"
        )
    if plan.action == "update":
        poller = api.begin_update(resource_group, name, plan.patch or {})
    else:
        poller = api.begin_create(resource_group, name, plan.body or {})
    final = waiter.poller(poller, f"{plan.action} of image template {name}")
    return final or api.get_template(resource_group, name)


def _always_waiting(waiter: Waiter) -> Waiter:
    """Steps the next request depends on are awaited even with wait=false."""
    return waiter if waiter.enabled else Waiter(REPLACE_DELETE_TIMEOUT)


def _cancel_and_wait(api: ImageBuilderApi, resource_group: str, name: str, waiter: Waiter) -> None:
    api.cancel_run(resource_group, name)
    waiter.poll_until(
        lambda: api.get_template(resource_group, name),
        lambda template: not is_running(template),
        f"the build of {name} to cancel",
        interval=2.0,
    )
