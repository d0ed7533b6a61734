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
from ansible_collections.goldenimage.azure.plugins.module_utils._waiter import Waiter

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


def accepted(name: str) -> prune.DeleteStarted:
    return prune.DeleteStarted(pending=True, retry_after=1)


def test_execution_unblocks_first_and_bounds_concurrency() -> None:
    lock = threading.Lock()
    in_flight = 0
    peak = 0
    calls: list[tuple[str, str]] = []

    def start(kind: str) -> Any:
        def call(name: str) -> prune.DeleteStarted:
            nonlocal in_flight, peak
            with lock:
                calls.append((kind, name))
                in_flight += 1
                peak = max(peak, in_flight)
            time.sleep(0.02)
            with lock:
                in_flight -= 1
            return accepted(name)

        return call

    plan = plan_of(
        ("1.0.0", True), ("1.1.0", False), ("1.2.0", False), ("1.3.0", False), ("1.4.0", False)
    )
    outcome = prune.start_deletes(
        plan, unblock=start("unblock"), delete=start("delete"), max_parallel=2
    )
    assert sorted(outcome.pending) == ["1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"]
    assert outcome.deleted == [] and outcome.failed == {}
    assert outcome.retry_after == 1
    assert peak == 2
    assert calls.index(("unblock", "1.0.0")) < calls.index(("delete", "1.0.0"))
    assert ("unblock", "1.1.0") not in calls


def test_one_failure_does_not_stop_the_others() -> None:
    def delete(name: str) -> prune.DeleteStarted:
        if name == "1.1.0":
            raise RuntimeError("Conflict: in use")
        return prune.DeleteStarted(pending=name == "1.0.0")

    outcome = prune.start_deletes(
        plan_of(("1.0.0", False), ("1.1.0", False), ("1.2.0", False)),
        unblock=lambda n: n,
        delete=delete,
    )
    assert outcome.pending == ["1.0.0"]
    assert outcome.deleted == ["1.2.0"]  # answered 200/204: nothing to confirm
    assert outcome.failed == {"1.1.0": "Conflict: in use"}
    assert outcome.retry_after is None


def test_parallelism_is_bounded() -> None:
    with pytest.raises(OptionError, match="max_parallel"):
        prune.start_deletes(
            plan_of(("1.0.0", False)),
            unblock=str,
            delete=accepted,
            max_parallel=0,
        )


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def listing(*rounds: list[dict[str, Any]]) -> tuple[list[int], Any]:
    """A list_versions that returns each round in turn (the last one repeats), counting calls."""
    calls = [0]

    def read() -> list[dict[str, Any]]:
        calls[0] += 1
        return rounds[min(calls[0], len(rounds)) - 1]

    return calls, read


def test_one_list_per_round_confirms_every_delete() -> None:
    clock = FakeClock()
    outcome = prune.PruneOutcome(pending=["1.0.0", "1.1.0", "1.2.0"], retry_after=2)
    calls, read = listing(
        [version("1.1.0", 1, state="Deleting"), version("2.0.0", 0)],
        [version("2.0.0", 0)],
    )
    waiter = Waiter(60, clock=clock.clock, sleep=clock.sleep)
    prune.confirm_deleted(outcome, read, waiter, "Azure to delete")
    assert calls == [2]
    assert clock.sleeps == [2, 2]  # Retry-After before the first list, then the interval
    assert sorted(outcome.deleted) == ["1.0.0", "1.1.0", "1.2.0"]
    assert outcome.pending == [] and outcome.failed == {} and not outcome.timed_out


def test_a_failed_state_fails_that_version_and_the_deadline_names_the_rest() -> None:
    clock = FakeClock()
    outcome = prune.PruneOutcome(pending=["1.0.0", "1.1.0", "1.2.0"])
    calls, read = listing(
        [version("1.0.0", 9, state="Failed"), version("1.1.0", 9, state="Deleting")]
    )
    waiter = Waiter(20, clock=clock.clock, sleep=clock.sleep)
    prune.confirm_deleted(outcome, read, waiter, "Azure to delete")
    assert clock.sleeps[0] == prune.CONFIRM_INTERVAL  # no Retry-After: the default interval
    assert clock.now == 20 and calls[0] >= 2
    assert outcome.deleted == ["1.2.0"]
    assert outcome.timed_out
    assert "provisioning state is Failed" in outcome.failed["1.0.0"]
    assert outcome.failed["1.1.0"] == (
        "still present (provisioning state Deleting) when wait_timeout (20 seconds) passed"
    )


def test_a_failing_list_reports_every_unconfirmed_version() -> None:
    def read() -> list[dict[str, Any]]:
        raise RuntimeError("throttled")

    clock = FakeClock()
    outcome = prune.PruneOutcome(pending=["1.0.0", "1.1.0"], retry_after=0)
    prune.confirm_deleted(outcome, read, Waiter(60, clock=clock.clock, sleep=clock.sleep), "x")
    assert clock.sleeps == []
    assert sorted(outcome.failed) == ["1.0.0", "1.1.0"]
    assert "confirming it failed: throttled" in outcome.failed["1.0.0"]
