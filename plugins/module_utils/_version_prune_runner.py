# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state machine of ``gallery_image_version_prune``: read, plan, delete the plan, confirm."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NoReturn

from ansible_collections.goldenimage.azure.plugins.module_utils._gallery_service import image_label
from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule
from ansible_collections.goldenimage.azure.plugins.module_utils._prune import (
    MAX_PARALLEL_LIMIT,
    PrunePlan,
    PruneRules,
    confirm_deleted,
    plan_prune,
    start_deletes,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._version_api import UTC
from ansible_collections.goldenimage.azure.plugins.module_utils._version_service import (
    VersionService,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._version_spec import OptionError
from ansible_collections.goldenimage.azure.plugins.module_utils._waiter import Waiter

PRUNE_SPEC: dict[str, dict[str, Any]] = {
    "gallery_name": {"type": "str", "required": True},
    "gallery_image_name": {"type": "str", "required": True},
    "resource_group": {"type": "str", "required": True},
    "keep_newest": {"type": "int"},
    "older_than_days": {"type": "float"},
    "include_latest": {"type": "bool", "default": False},
    "force": {"type": "bool", "default": False},
    "max_parallel": {"type": "int", "default": 4},
}


def rules_of(params: dict[str, Any]) -> PruneRules:
    rules = PruneRules(
        keep_newest=params.get("keep_newest"),
        older_than_days=params.get("older_than_days"),
        include_latest=bool(params["include_latest"]),
        force=bool(params["force"]),
    )
    rules.validate()
    if not 1 <= params["max_parallel"] <= MAX_PARALLEL_LIMIT:
        raise OptionError(
            "max_parallel",
            f"must be between 1 and {MAX_PARALLEL_LIMIT}, got {params['max_parallel']}",
        )
    return rules


def run_prune(module: AzureModule) -> NoReturn:
    params = module.params
    label = image_label(
        params["resource_group"], params["gallery_name"], params["gallery_image_name"]
    )
    service = VersionService(
        module, params["resource_group"], params["gallery_name"], params["gallery_image_name"]
    )
    try:
        rules = rules_of(params)
        versions = service.list_all()
        soft_deleted = service.list_soft_deleted()
        plan = plan_prune(versions, rules, now=datetime.now(UTC), soft_deleted=soft_deleted)
        if module.check_mode or not plan.changed:
            exit_with(module, plan, [])
        deleted = delete_planned(module, service, plan)
    except OptionError as exc:
        module.fail(f"Invalid {exc}", option=exc.option)
    except Exception as exc:
        module.fail_from(exc, verb="prune", resource=f"versions of {label}")
    exit_with(module, plan, deleted)


def delete_planned(module: AzureModule, service: VersionService, plan: PrunePlan) -> list[str]:
    """Delete the plan's versions; fail naming each version that could not be deleted."""
    final = module.waiter()
    # Lifting a deletion block must finish before the delete, whatever ``wait`` says.
    between = final if final.enabled else Waiter(module.params["wait_timeout"])

    def unblock(name: str) -> None:
        service.wait(service.start_unblock(name), between, verb="unblock deletion of", name=name)

    outcome = start_deletes(
        plan,
        unblock=unblock,
        delete=service.send_delete,
        max_parallel=module.params["max_parallel"],
    )
    if final.enabled:
        confirm_deleted(
            outcome,
            lambda: service.list_all(missing_ok=True),
            final,
            f"Azure to delete {len(outcome.pending)} versions of {service_label(service)}",
        )
    else:
        # wait: false: an accepted delete counts as done; Azure finishes it on its own.
        outcome.deleted.extend(outcome.pending)
        outcome.pending = []
    if outcome.failed:
        failures = "; ".join(f"{name}: {error}" for name, error in sorted(outcome.failed.items()))
        extra = {"timed_out": True} if outcome.timed_out else {}
        module.fail(
            f"{len(outcome.failed)} of {len(plan.delete)} versions could not be deleted: {failures}",
            changed=bool(outcome.deleted),
            plan=plan.to_result(),
            deleted=sorted(outcome.deleted),
            # Not ``failed``: fail_json sets that key to true.
            failures=outcome.failed,
            **extra,
        )
    return sorted(outcome.deleted)


def service_label(service: VersionService) -> str:
    return image_label(service.resource_group, service.gallery, service.image)


def exit_with(module: AzureModule, plan: PrunePlan, deleted: list[str]) -> NoReturn:
    module.exit(
        changed=plan.changed,
        resource=plan.to_result(),
        deleted=deleted,
        diff={
            "before": {"versions": sorted(d.name for d in plan.delete + plan.keep + plan.skipped)},
            "after": {"versions": sorted(d.name for d in plan.keep + plan.skipped)},
        },
    )
