# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pruning old gallery image versions: a plan as data, then bounded parallel deletes.

The plan is what check mode returns; execution deletes exactly the plan's ``delete`` list.
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

MAX_PARALLEL_LIMIT = 16
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


@dataclass
class PruneOutcome:
    deleted: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def execute_prune(
    plan: PrunePlan,
    *,
    unblock: Callable[[str], Any],
    delete: Callable[[str], Any],
    wait: Callable[[str, Any], None],
    max_parallel: int = 4,
) -> PruneOutcome:
    """Delete the plan's versions, at most ``max_parallel`` in flight.

    ``unblock(name)`` and ``delete(name)`` start an operation and return its poller;
    ``wait(name, poller)`` waits for it against the module's deadline and raises on failure.
    One failure does not stop the others; each is reported by name.
    """
    if max_parallel < 1 or max_parallel > MAX_PARALLEL_LIMIT:
        raise OptionError(
            "max_parallel", f"must be between 1 and {MAX_PARALLEL_LIMIT}, got {max_parallel}"
        )
    outcome = PruneOutcome()
    if not plan.delete:
        return outcome

    def run(decision: PruneDecision) -> None:
        if decision.unblock_first:
            wait(decision.name, unblock(decision.name))
        wait(decision.name, delete(decision.name))

    with ThreadPoolExecutor(max_workers=min(max_parallel, len(plan.delete))) as pool:
        futures = {decision.name: pool.submit(run, decision) for decision in plan.delete}
    for name, future in futures.items():
        error = future.exception()
        if error is None:
            outcome.deleted.append(name)
        else:
            outcome.failed[name] = str(error)
    return outcome
