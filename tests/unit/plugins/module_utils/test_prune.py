# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prune plans and their bounded parallel execution."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any

import pytest

from ansible_collections.goldenimage.azure.plugins.module_utils import _prune as prune
from ansible_collections.goldenimage.azure.plugins.module_utils._version_api import UTC
from ansible_collections.goldenimage.azure.plugins.module_utils._version_spec import OptionError

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def version(
    name: str,
    age_days: float,
    *,
    exclude: bool = False,
    regions: list[dict[str, Any]] | None = None,
    state: str = "Succeeded",
    block: bool = False,
    end_of_life: datetime | None = None,
) -> dict[str, Any]:
    publishing: dict[str, Any] = {
        "publishedDate": (NOW - timedelta(days=age_days)).isoformat(),
        "targetRegions": regions or [{"name": "eastus"}],
        "excludeFromLatest": exclude,
    }
    if end_of_life is not None:
        publishing["endOfLifeDate"] = end_of_life.isoformat()
    return {
        "name": name,
        "properties": {
            "provisioningState": state,
            "publishingProfile": publishing,
            "safetyProfile": {"blockDeletionBeforeEndOfLife": block},
        },
    }


def names(decisions: list[prune.PruneDecision]) -> list[str]:
    return [decision.name for decision in decisions]


def test_keep_newest_deletes_the_rest_semantically_ordered() -> None:
    versions = [
        version("1.9.0", 30),
        version("1.10.0", 20),
        version("1.2.0", 40),
        version("2.0.0", 1),
    ]
    plan = prune.plan_prune(versions, prune.PruneRules(keep_newest=2), now=NOW)
    assert names(plan.keep) == ["2.0.0", "1.10.0"]
    assert names(plan.delete) == ["1.9.0", "1.2.0"]
    assert plan.changed


def test_age_rule_alone_and_combined_with_keep_newest() -> None:
    versions = [
        version("1.0.0", 100),
        version("1.1.0", 50),
        version("1.2.0", 10),
        version("1.3.0", 1),
    ]
    by_age = prune.plan_prune(versions, prune.PruneRules(older_than_days=30), now=NOW)
    assert names(by_age.delete) == ["1.1.0", "1.0.0"]
    both = prune.plan_prune(versions, prune.PruneRules(keep_newest=3, older_than_days=30), now=NOW)
    assert names(both.delete) == ["1.0.0"]
    assert names(both.keep) == ["1.3.0", "1.2.0", "1.1.0"]
    young = prune.plan_prune(versions, prune.PruneRules(keep_newest=1, older_than_days=30), now=NOW)
    assert [(d.name, d.reason) for d in young.keep] == [
        ("1.3.0", "among the newest 1"),
        ("1.2.0", "published less than 30 days ago"),
    ]
    assert names(young.delete) == ["1.1.0", "1.0.0"]
    assert young.delete[0].reason == "outside the newest 1 and published more than 30 days ago"


def test_what_resolves_as_latest_is_never_deleted_unless_asked() -> None:
    # 2.0.0 is excluded globally, so 1.0.0 stays latest even though keep_newest would drop it.
    versions = [version("2.0.0", 1, exclude=True), version("1.0.0", 50)]
    plan = prune.plan_prune(versions, prune.PruneRules(keep_newest=1), now=NOW)
    assert names(plan.delete) == []
    assert names(plan.skipped) == ["1.0.0"]
    assert "resolves as latest (global, eastus)" in plan.skipped[0].reason
    asked = prune.plan_prune(
        versions, prune.PruneRules(keep_newest=1, include_latest=True), now=NOW
    )
    assert names(asked.delete) == ["1.0.0"]


def test_regional_latest_is_protected_too() -> None:
    versions = [
        version("3.0.0", 1, regions=[{"name": "eastus"}]),
        version("2.0.0", 60, regions=[{"name": "eastus"}, {"name": "westus"}]),
        version("1.0.0", 90, regions=[{"name": "eastus"}]),
    ]
    plan = prune.plan_prune(versions, prune.PruneRules(keep_newest=1), now=NOW)
    assert names(plan.skipped) == ["2.0.0"]
    assert "westus" in plan.skipped[0].reason
    assert names(plan.delete) == ["1.0.0"]


def test_blocked_versions_are_skipped_or_unblocked_with_force() -> None:
    future = NOW + timedelta(days=30)
    past = NOW - timedelta(days=1)
    versions = [
        version("3.0.0", 1),
        version("2.0.0", 40, block=True, end_of_life=future),
        version("1.0.0", 50, block=True, end_of_life=past),
    ]
    plan = prune.plan_prune(versions, prune.PruneRules(keep_newest=1), now=NOW)
    assert names(plan.skipped) == ["2.0.0"]
    assert "blocked until its end of life" in plan.skipped[0].reason
    assert [(d.name, d.unblock_first) for d in plan.delete] == [("1.0.0", False)]
    forced = prune.plan_prune(versions, prune.PruneRules(keep_newest=1, force=True), now=NOW)
    assert [(d.name, d.unblock_first) for d in forced.delete] == [("2.0.0", True), ("1.0.0", False)]


def test_soft_deleted_and_in_flight_versions_are_skipped_and_not_counted() -> None:
    versions = [version("4.0.0", 1), version("3.0.0", 2, state="Creating"), version("1.0.0", 90)]
    plan = prune.plan_prune(
        versions, prune.PruneRules(keep_newest=1), now=NOW, soft_deleted=["2.0.0"]
    )
    assert names(plan.keep) == ["4.0.0"]
    assert names(plan.skipped) == ["3.0.0", "2.0.0"]
    assert "in progress" in plan.skipped[0].reason
    assert "soft-deleted" in plan.skipped[1].reason
    assert names(plan.delete) == ["1.0.0"]


def test_plan_as_data() -> None:
    plan = prune.plan_prune(
        [version("2.0.0", 1), version("1.0.0", 5)], prune.PruneRules(keep_newest=1), now=NOW
    )
    result = plan.to_result()
    assert result["delete"][0]["name"] == "1.0.0"
    assert result["delete"][0]["published_date"] == "2026-11-17T12:00:00Z"
    assert result["keep"][0]["name"] == "2.0.0"
    assert result["skipped"] == []


@pytest.mark.parametrize(
    ("rules", "option"),
    [
        (prune.PruneRules(), "keep_newest"),
        (prune.PruneRules(keep_newest=-1), "keep_newest"),
        (prune.PruneRules(older_than_days=-3), "older_than_days"),
    ],
)
def test_rules_are_validated(rules: prune.PruneRules, option: str) -> None:
    with pytest.raises(OptionError) as error:
        prune.plan_prune([], rules, now=NOW)
    assert error.value.option == option


def plan_of(*entries: tuple[str, bool]) -> prune.PrunePlan:
    return prune.PrunePlan(
        delete=[
            prune.PruneDecision(name, "test", unblock_first=unblock) for name, unblock in entries
        ]
    )


def test_execution_unblocks_first_and_bounds_concurrency() -> None:
    lock = threading.Lock()
    in_flight = 0
    peak = 0
    calls: list[tuple[str, str]] = []

    def start(kind: str) -> Any:
        def call(name: str) -> tuple[str, str]:
            with lock:
                calls.append((kind, name))
            return (kind, name)

        return call

    def wait(name: str, poller: tuple[str, str]) -> None:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.02)
        with lock:
            in_flight -= 1

    plan = plan_of(
        ("1.0.0", True), ("1.1.0", False), ("1.2.0", False), ("1.3.0", False), ("1.4.0", False)
    )
    outcome = prune.execute_prune(
        plan, unblock=start("unblock"), delete=start("delete"), wait=wait, max_parallel=2
    )
    assert sorted(outcome.deleted) == ["1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"]
    assert outcome.failed == {}
    assert peak == 2
    assert calls.index(("unblock", "1.0.0")) < calls.index(("delete", "1.0.0"))
    assert ("unblock", "1.1.0") not in calls


def test_one_failure_does_not_stop_the_others() -> None:
    def delete(name: str) -> str:
        if name == "1.1.0":
            raise RuntimeError("Conflict: in use")
        return name

    outcome = prune.execute_prune(
        plan_of(("1.0.0", False), ("1.1.0", False)),
        unblock=lambda n: n,
        delete=delete,
        wait=lambda n, p: None,
    )
    assert outcome.deleted == ["1.0.0"]
    assert outcome.failed == {"1.1.0": "Conflict: in use"}


def test_parallelism_is_bounded() -> None:
    with pytest.raises(OptionError, match="max_parallel"):
        prune.execute_prune(
            plan_of(("1.0.0", False)),
            unblock=str,
            delete=str,
            wait=lambda n, p: None,
            max_parallel=0,
        )
