# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""image_template_info: one template, a resource group's, or the subscription's, with their builds."""

from __future__ import annotations

from typing import Any, NoReturn

from ansible_collections.goldenimage.azure.plugins.module_utils._build_progress import (
    last_run_status,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._imagebuilder_api import (
    ImageBuilderApi,
    resource_group_of,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule
from ansible_collections.goldenimage.azure.plugins.module_utils._template_model import (
    TemplateOptionError,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._template_results import (
    template_result,
    trigger_result,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._template_rules import (
    validate_name,
)

TEMPLATE_INFO_ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "name": {"type": "str"},
    "resource_group": {"type": "str"},
    "include_run_outputs": {"type": "bool", "default": True},
    # Off by default: a trigger read is one more request per template, and a no-op of this
    # module should cost one ARM read per template it reports.
    "include_triggers": {"type": "bool", "default": False},
}


def run_image_template_info(module: AzureModule) -> NoReturn:
    params = module.params
    name, resource_group = params.get("name"), params.get("resource_group")
    try:
        if name:
            validate_name("name", name)
    except TemplateOptionError as error:
        module.fail(f"Invalid {error.option}: {error.problem}.")
    api = ImageBuilderApi(module.arm, module.subscription_id)
    try:
        templates = _find(api, name, resource_group)
        results = [_describe(api, template, params) for template in templates]
    except Exception as exc:  # fail_from translates and reports every error once
        module.fail_from(exc, verb="read", resource="image templates")
    module.exit(changed=False, resource=results)


def _find(
    api: ImageBuilderApi, name: str | None, resource_group: str | None
) -> list[dict[str, Any]]:
    if name and resource_group:
        found = api.get_template(resource_group, name)
        return [found] if found else []
    templates = list(api.list_templates(resource_group))
    if name:
        templates = [t for t in templates if str(t.get("name", "")).lower() == name.lower()]
    return templates


def _describe(
    api: ImageBuilderApi, template: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    """The template's result, with run outputs (when it has run) and triggers when asked."""
    group = str(resource_group_of(str(template.get("id"))))
    name = str(template.get("name"))
    outputs = None
    if params["include_run_outputs"]:
        outputs = api.list_run_outputs(group, name) if last_run_status(template) else []
    result = template_result(template, outputs)
    if params["include_triggers"]:
        result["triggers"] = [trigger_result(t) for t in api.list_triggers(group, name)]
    return result
