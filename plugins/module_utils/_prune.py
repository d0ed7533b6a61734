# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pruning old gallery image versions: a plan as data, then bounded parallel deletes.

The plan is what check mode returns; execution deletes exactly the plan's ``delete`` list.
Deletes are started without polling each operation, and one paged list of the versions per
round confirms them all: pruning hundreds of versions costs one request per version, not three.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ansible_collections.goldenimage.azure.plugins.module_utils._version_api import (
    current_regions,
    format_datetime,
    parse_datetime,
    resolve_latest,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._version_spec import (
    OptionError,
    try_parse_version_name,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._waiter import (
    Waiter,
    WaitTimeoutError,
)

MAX_PARALLEL_LIMIT = 16
# Seconds between confirmation lists when Azure suggests no interval, the floor of later
# rounds, and their ceiling.
CONFIRM_INTERVAL = 5.0
MIN_CONFIRM_INTERVAL = 1.0
MAX_CONFIRM_INTERVAL = 30.0
_IN_FLIGHT_STATES = {"creating", "updating", "deleting", "migrating"}


@dataclass(frozen=True)
class PruneDecision:
    name: str
    reason: str
    published_date: str | None = None
    unblock_first: bool = False

    def to_result(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "reason": self.reason,
            "published_date": self.published_date,
            "unblock_first": self.unblock_first,
        }


@dataclass
class PrunePlan:
    delete: list[PruneDecision] = field(default_factory=list)
    keep: list[PruneDecision] = field(default_factory=list)
    skipped: list[PruneDecision] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.delete)

    def to_result(self) -> dict[str, Any]:
        return {
            "delete": [decision.to_result() for decision in self.delete],
            "keep": [decision.to_result() for decision in self.keep],
            "skipped": [decision.to_result() for decision in self.skipped],
        }


@dataclass(frozen=True)
class PruneRules:
    keep_newest: int | None = None
    older_than_days: float | None = None
    include_latest: bool = False
    force: bool = False

    def validate(self) -> None:
        if self.keep_newest is None and self.older_than_days is None:
            raise OptionError("keep_newest", "give keep_newest, older_than_days or both")
        if self.keep_newest is not None and self.keep_newest < 0:
            raise OptionError("keep_newest", f"must be zero or more, got {self.keep_newest}")
        if self.older_than_days is not None and self.older_than_days < 0:
            raise OptionError(
                "older_than_days", f"must be zero or more, got {self.older_than_days}"
            )


def _properties(version: dict[str, Any]) -> dict[str, Any]:
    return version.get("properties") or {}


def published_date(version: dict[str, Any]) -> datetime | None:
    value = (_properties(version).get("publishingProfile") or {}).get("publishedDate")
    return parse_datetime(value, "published_date") if value else None


def deletion_block(version: dict[str, Any], now: datetime) -> str | None:
    """Why Azure would refuse to delete the version now, or None."""
    properties = _properties(version)
    if not (properties.get("safetyProfile") or {}).get("blockDeletionBeforeEndOfLife"):
        return None
    eol = (properties.get("publishingProfile") or {}).get("endOfLifeDate")
    if eol and parse_datetime(eol) <= now:
        return None
    until = f"until its end of life {eol}" if eol else "and has no end of life date"
    return f"deletion is blocked {until} (block_deletion_before_end_of_life)"


def latest_names(versions: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Version name -> where ``latest`` resolves to it (``global`` and region names)."""
    where: dict[str, list[str]] = {}
    latest = resolve_latest(versions)
    if latest:
        where.setdefault(str(latest["name"]), []).append("global")
    regions = sorted({name for version in versions for name in current_regions(version)})
    for region in regions:
        regional = resolve_latest(versions, region)
        if regional:
            where.setdefault(str(regional["name"]), []).append(region)
    return where


def plan_prune(
    versions: Iterable[dict[str, Any]],
    rules: PruneRules,
    *,
    now: datetime,
    soft_deleted: Iterable[str] = (),
) -> PrunePlan:
    """Decide, newest first, what to keep, delete and skip (each with its reason)."""
    rules.validate()
    plan = PrunePlan()
    soft_deleted_names = set(soft_deleted)
    active: list[dict[str, Any]] = []
    for version in versions:
        name = str(version.get("name"))
        if (
            name in soft_deleted_names
            or str(_properties(version).get("imageState", "")).lower() == "softdeleted"
        ):
            soft_deleted_names.add(name)
        elif try_parse_version_name(name) is not None:
            active.append(version)
    for name in sorted(
        soft_deleted_names, key=lambda n: try_parse_version_name(n) or (0, 0, 0), reverse=True
    ):
        plan.skipped.append(
            PruneDecision(name, "already soft-deleted; Azure removes it after the retention period")
        )
    active.sort(key=lambda v: try_parse_version_name(v.get("name")) or (0, 0, 0), reverse=True)
    latest = latest_names(active)
    cutoff = (
        now - timedelta(days=rules.older_than_days) if rules.older_than_days is not None else None
    )
    for rank, version in enumerate(active):
        _decide(plan, version, rank, rules, cutoff, latest, now)
    plan.skipped.sort(
        key=lambda decision: try_parse_version_name(decision.name) or (0, 0, 0), reverse=True
    )
    return plan


def _decide(
    plan: PrunePlan,
    version: dict[str, Any],
    rank: int,
    rules: PruneRules,
    cutoff: datetime | None,
    latest: dict[str, list[str]],
    now: datetime,
) -> None:
    name = str(version["name"])
    published = published_date(version)
    shown = format_datetime(published) if published else None
    if rules.keep_newest is not None and rank < rules.keep_newest:
        plan.keep.append(PruneDecision(name, f"among the newest {rules.keep_newest}", shown))
        return
    if cutoff is not None and (published is None or published > cutoff):
        plan.keep.append(
            PruneDecision(name, f"published less than {rules.older_than_days:g} days ago", shown)
        )
        return
    if name in latest and not rules.include_latest:
        where = ", ".join(latest[name])
        plan.skipped.append(
            PruneDecision(
                name, f"resolves as latest ({where}); set include_latest to delete it", shown
            )
        )
        return
    state = str(_properties(version).get("provisioningState") or "").lower()
    if state in _IN_FLIGHT_STATES:
        plan.skipped.append(
            PruneDecision(name, f"an operation is in progress (provisioning state {state})", shown)
        )
        return
    block = deletion_block(version, now)
    if block and not rules.force:
        plan.skipped.append(
            PruneDecision(name, f"{block}; set force to unblock and delete it", shown)
        )
        return
    plan.delete.append(
        PruneDecision(name, _deletion_reason(rules), shown, unblock_first=block is not None)
    )


def _deletion_reason(rules: PruneRules) -> str:
    parts = []
    if rules.keep_newest is not None:
        parts.append(f"outside the newest {rules.keep_newest}")
    if rules.older_than_days is not None:
        parts.append(f"published more than {rules.older_than_days:g} days ago")
    return " and ".join(parts)


@dataclass(frozen=True)
class DeleteStarted:
    """What Azure answered a DELETE: still running (accepted), or already done."""

    pending: bool
    retry_after: float | None = None


@dataclass
class PruneOutcome:
    deleted: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    # Accepted by Azure, not yet confirmed gone.
    pending: list[str] = field(default_factory=list)
    # The longest wait Azure suggested (Retry-After) for any accepted delete.
    retry_after: float | None = None
    timed_out: bool = False


def start_deletes(
    plan: PrunePlan,
    *,
    unblock: Callable[[str], Any],
    delete: Callable[[str], DeleteStarted],
    max_parallel: int = 4,
) -> PruneOutcome:
    """Start the plan's deletes, at most ``max_parallel`` requests in flight, without waiting.

    ``unblock(name)`` lifts a deletion block and returns once that has finished, so a blocked
    version's delete is sent only after it; ``delete(name)`` sends one DELETE. One failure does
    not stop the others; each is reported by name. Accepted deletes are left ``pending`` for
    :func:`confirm_deleted`.
    """
    if max_parallel < 1 or max_parallel > MAX_PARALLEL_LIMIT:
        raise OptionError(
            "max_parallel", f"must be between 1 and {MAX_PARALLEL_LIMIT}, got {max_parallel}"
        )
    outcome = PruneOutcome()
    if not plan.delete:
        return outcome

    def run(decision: PruneDecision) -> DeleteStarted:
        if decision.unblock_first:
            unblock(decision.name)
        return delete(decision.name)

    with ThreadPoolExecutor(max_workers=min(max_parallel, len(plan.delete))) as pool:
        futures = {decision.name: pool.submit(run, decision) for decision in plan.delete}
    for name, future in futures.items():
        error = future.exception()
        if error is not None:
            outcome.failed[name] = str(error)
            continue
        started = future.result()
        if not started.pending:
            outcome.deleted.append(name)
            continue
        outcome.pending.append(name)
        if started.retry_after is not None:
            outcome.retry_after = max(outcome.retry_after or 0.0, started.retry_after)
    return outcome


def confirm_deleted(
    outcome: PruneOutcome,
    list_versions: Callable[[], Iterable[dict[str, Any]]],
    waiter: Waiter,
    what: str,
) -> None:
    """Wait until every pending version is gone or failed, listing the versions once per round.

    One paged list confirms every delete at once, instead of polling each operation. The first
    list comes after the wait Azure suggested; later rounds back off. At the waiter's deadline
    each version still present fails, naming its state.
    """
    pending = list(outcome.pending)
    outcome.pending = []
    if not pending:
        return
    suggested = outcome.retry_after if outcome.retry_after is not None else CONFIRM_INTERVAL
    suggested = min(suggested, MAX_CONFIRM_INTERVAL)

    def states() -> dict[str, str]:
        return {
            str(version.get("name")): str(_properties(version).get("provisioningState") or "")
            for version in list_versions()
        }

    def settled(current: dict[str, str]) -> bool:
        """Every pending version is gone, or Azure reports its delete failed."""
        return all(current.get(name, "failed").lower() == "failed" for name in pending)

    try:
        final = waiter.poll_until(
            states,
            settled,
            what,
            first_delay=suggested,
            interval=max(suggested, MIN_CONFIRM_INTERVAL),
            max_interval=MAX_CONFIRM_INTERVAL,
        )
    except WaitTimeoutError as exc:
        final = exc.partial or {}
        outcome.timed_out = True
    except Exception as exc:  # the deletes were sent: report each one, not only the error
        for name in pending:
            outcome.failed[name] = f"the delete was accepted, but confirming it failed: {exc}"
        return
    for name in pending:
        state = final.get(name)
        if state is None:
            outcome.deleted.append(name)
        elif state.lower() == "failed":
            outcome.failed[name] = "the delete failed: the version's provisioning state is Failed"
        else:
            outcome.failed[name] = (
                f"still present (provisioning state {state or 'unknown'}) when "
                f"wait_timeout ({waiter.timeout:g} seconds) passed"
            )
