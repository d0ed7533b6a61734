# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gallery image versions: desired state, update rules, numbering, latest, replication.

Pure logic over ARM-shaped dictionaries (camelCase, as the REST API and ``as_dict()`` of the
SDK models give them); the modules do the requests. Input parsing lives in ``_version_spec``
and sources in ``_version_source``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from ansible_collections.goldenimage.azure.plugins.module_utils._diff import to_snake, to_utc
from ansible_collections.goldenimage.azure.plugins.module_utils._version_source import (
    VersionSource,
    source_identity_of,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._version_spec import (
    INT32_MAX,
    OptionError,
    RegionEncryption,
    TargetRegion,
    VersionTuple,
    format_version,
    normalize_region,
    try_parse_version_name,
)

# datetime.UTC needs Python 3.11; the collection supports 3.10.
UTC = timezone.utc  # noqa: UP017

REPLICATION_MODES = ("Full", "Shallow")
WAIT_FOR_REPLICATION = ("all", "source_region", "none")
BUMP_POLICIES = ("patch", "minor", "major", "date")

# Azure fills these in when a request leaves them out.
DEFAULT_REPLICATION_MODE = "Full"
DEFAULT_STORAGE_ACCOUNT_TYPE = "Standard_LRS"
DEFAULT_REPLICA_COUNT = 1

# Read-only fields that must not be sent back in a PUT.
_READ_ONLY_PUBLISHING = ("publishedDate",)
_READ_ONLY_SAFETY = ("reportedForPolicyViolation", "policyViolations")


# ---------------------------------------------------------------------------------------------
# Dates


def parse_datetime(value: Any, option: str = "end_of_life_date") -> datetime:
    """An aware UTC datetime from ISO 8601 text (``Z``, offsets, 7-digit fractions, bare dates)."""
    try:
        parsed = to_utc(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise OptionError(option, f"'{value}' is not an ISO 8601 date or date and time")
    return parsed


def format_datetime(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _same_instant(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is right
    return parse_datetime(left) == parse_datetime(right)


# ---------------------------------------------------------------------------------------------
# Desired state


@dataclass
class DesiredVersion:
    """What the module asks for. ``None`` means "not given": keep what exists, or Azure's default."""

    source: VersionSource | None = None
    target_regions: list[TargetRegion] | None = None
    replica_count: int | None = None
    storage_account_type: str | None = None
    replication_mode: str | None = None
    exclude_from_latest: bool | None = None
    end_of_life_date: str | None = None
    allow_deletion_of_replicated_locations: bool | None = None
    block_deletion_before_end_of_life: bool | None = None


def check_replication_mode(desired: DesiredVersion, source_region: str | None) -> None:
    """Shallow replication keeps the image in its source region only."""
    if (desired.replication_mode or "").lower() != "shallow" or not desired.target_regions:
        return
    others = [region.name for region in desired.target_regions if region.name != source_region]
    if others:
        raise OptionError(
            "target_regions",
            f"replication_mode Shallow replicates to the source region only; remove {', '.join(others)}",
        )


def create_body(
    desired: DesiredVersion, *, location: str, tags: dict[str, str] | None = None
) -> dict[str, Any]:
    """The ARM body that creates a version; the caller has checked the source is given."""
    if desired.source is None:
        raise OptionError(
            "managed_image",
            "creating a version needs one OS source (managed_image, "
            "virtual_machine, source_image_version or os_disk)",
        )
    publishing: dict[str, Any] = {}
    regions = desired.target_regions or [TargetRegion(name=normalize_region(location))]
    publishing["targetRegions"] = [region.to_arm() for region in regions]
    _set_if_given(publishing, "replicaCount", desired.replica_count)
    _set_if_given(publishing, "storageAccountType", desired.storage_account_type)
    _set_if_given(publishing, "replicationMode", desired.replication_mode)
    _set_if_given(publishing, "excludeFromLatest", desired.exclude_from_latest)
    if desired.end_of_life_date is not None:
        publishing["endOfLifeDate"] = format_datetime(parse_datetime(desired.end_of_life_date))
    properties: dict[str, Any] = {
        "publishingProfile": publishing,
        "storageProfile": desired.source.storage_profile(),
    }
    safety: dict[str, Any] = {}
    _set_if_given(
        safety, "allowDeletionOfReplicatedLocations", desired.allow_deletion_of_replicated_locations
    )
    _set_if_given(safety, "blockDeletionBeforeEndOfLife", desired.block_deletion_before_end_of_life)
    if safety:
        properties["safetyProfile"] = safety
    body: dict[str, Any] = {"location": location, "properties": properties}
    if tags is not None:
        body["tags"] = dict(tags)
    return body


def _set_if_given(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        target[key] = value


# ---------------------------------------------------------------------------------------------
# Updates: what Azure changes in place and what it refuses


@dataclass(frozen=True)
class FieldChange:
    field: str
    current: Any
    requested: Any

    def describe(self) -> str:
        return f"{self.field} (current: {_show(self.current)}, requested: {_show(self.requested)})"


def _show(value: Any) -> str:
    return "not set" if value is None else str(value)


@dataclass
class UpdatePlan:
    changes: list[FieldChange] = field(default_factory=list)
    forbidden: list[FieldChange] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def error_message(self, name: str) -> str:
        fields = "; ".join(change.describe() for change in self.forbidden)
        return (
            f"image version {name} cannot be changed in place: {fields}. "
            "Create a new version instead (or delete this one first)."
        )


def _publishing(body: dict[str, Any]) -> dict[str, Any]:
    return (body.get("properties") or {}).get("publishingProfile") or {}


def _safety(body: dict[str, Any]) -> dict[str, Any]:
    return (body.get("properties") or {}).get("safetyProfile") or {}


def current_regions(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The version's target regions by normalised name."""
    return {
        normalize_region(region.get("name")): region
        for region in _publishing(body).get("targetRegions") or []
    }


def _regional_replica_count(region: dict[str, Any], publishing: dict[str, Any]) -> int:
    return int(
        region.get("regionalReplicaCount")
        or publishing.get("replicaCount")
        or DEFAULT_REPLICA_COUNT
    )


def _regional_storage_type(region: dict[str, Any], publishing: dict[str, Any]) -> str:
    return str(
        region.get("storageAccountType")
        or publishing.get("storageAccountType")
        or DEFAULT_STORAGE_ACCOUNT_TYPE
    )


def _describe_source(storage_profile: dict[str, Any] | None) -> str | None:
    """The source as a user would recognise it (ids keep their casing)."""
    profile = storage_profile or {}
    source = profile.get("source") or {}
    whole = source.get("virtualMachineId") or source.get("id")
    if whole:
        return str(whole)
    os_source = (profile.get("osDiskImage") or {}).get("source") or {}
    described = os_source.get("uri") or os_source.get("id")
    if not described:
        return None
    return str(described) + (" with data disks" if profile.get("dataDiskImages") else "")


def classify_update(current: dict[str, Any], desired: DesiredVersion) -> UpdatePlan:
    """Compare an existing version with the desired state; record each difference once."""
    plan = UpdatePlan()
    publishing = _publishing(current)
    safety = _safety(current)
    _classify_source(plan, current, desired)
    _classify_global(plan, publishing, safety, desired)
    if desired.target_regions is not None:
        _classify_regions(plan, publishing, safety, desired)
    return plan


def _classify_source(plan: UpdatePlan, current: dict[str, Any], desired: DesiredVersion) -> None:
    if desired.source is None:
        return
    storage_profile = (current.get("properties") or {}).get("storageProfile")
    if source_identity_of(storage_profile) != desired.source.identity():
        plan.forbidden.append(
            FieldChange(
                "source",
                _describe_source(storage_profile),
                _describe_source(desired.source.storage_profile()),
            )
        )


def _classify_global(
    plan: UpdatePlan, publishing: dict[str, Any], safety: dict[str, Any], desired: DesiredVersion
) -> None:
    mode = publishing.get("replicationMode") or DEFAULT_REPLICATION_MODE
    if desired.replication_mode is not None and desired.replication_mode.lower() != mode.lower():
        plan.forbidden.append(FieldChange("replication_mode", mode, desired.replication_mode))
    storage = publishing.get("storageAccountType") or DEFAULT_STORAGE_ACCOUNT_TYPE
    if (
        desired.storage_account_type is not None
        and desired.storage_account_type.lower() != storage.lower()
    ):
        plan.forbidden.append(
            FieldChange("storage_account_type", storage, desired.storage_account_type)
        )
    simple = (
        ("replica_count", publishing.get("replicaCount"), desired.replica_count),
        (
            "exclude_from_latest",
            bool(publishing.get("excludeFromLatest")),
            desired.exclude_from_latest,
        ),
        (
            "allow_deletion_of_replicated_locations",
            safety.get("allowDeletionOfReplicatedLocations", True),
            desired.allow_deletion_of_replicated_locations,
        ),
        (
            "block_deletion_before_end_of_life",
            bool(safety.get("blockDeletionBeforeEndOfLife")),
            desired.block_deletion_before_end_of_life,
        ),
    )
    for name, have, want in simple:
        if want is not None and have != want:
            plan.changes.append(FieldChange(name, have, want))
    eol = publishing.get("endOfLifeDate")
    if desired.end_of_life_date is not None and not _same_instant(eol, desired.end_of_life_date):
        plan.changes.append(FieldChange("end_of_life_date", eol, desired.end_of_life_date))


def _classify_regions(
    plan: UpdatePlan, publishing: dict[str, Any], safety: dict[str, Any], desired: DesiredVersion
) -> None:
    existing = current_regions({"properties": {"publishingProfile": publishing}})
    wanted = {region.name: region for region in desired.target_regions or []}
    for name in sorted(set(wanted) - set(existing)):
        plan.changes.append(FieldChange(f"target_regions[{name}]", None, "added"))
    removed = sorted(set(existing) - set(wanted))
    deletion_allowed = safety.get("allowDeletionOfReplicatedLocations", True)
    for name in removed:
        change = FieldChange(f"target_regions[{name}]", "present", "removed")
        if deletion_allowed is False:
            plan.forbidden.append(
                FieldChange(
                    f"target_regions[{name}] (allow_deletion_of_replicated_locations is false)",
                    "present",
                    "removed",
                )
            )
        else:
            plan.changes.append(change)
    for name in sorted(set(wanted) & set(existing)):
        _classify_region(plan, name, existing[name], wanted[name], publishing, desired)


def _classify_region(
    plan: UpdatePlan,
    name: str,
    have: dict[str, Any],
    want: TargetRegion,
    publishing: dict[str, Any],
    desired: DesiredVersion,
) -> None:
    prefix = f"target_regions[{name}]"
    storage = _regional_storage_type(have, publishing)
    if (
        want.storage_account_type is not None
        and want.storage_account_type.lower() != storage.lower()
    ):
        plan.forbidden.append(
            FieldChange(f"{prefix}.storage_account_type", storage, want.storage_account_type)
        )
    if want.encryption is not None:
        current_encryption = RegionEncryption.from_arm(have.get("encryption")) or RegionEncryption()
        if current_encryption.comparable() != want.encryption.comparable():
            plan.forbidden.append(
                FieldChange(
                    f"{prefix}.encryption",
                    current_encryption.to_arm() or None,
                    want.encryption.to_arm(),
                )
            )
    count = _regional_replica_count(have, publishing)
    wanted_count = want.replica_count if want.replica_count is not None else desired.replica_count
    if wanted_count is not None and wanted_count != count:
        plan.changes.append(FieldChange(f"{prefix}.replica_count", count, wanted_count))
    have_exclude = have.get("excludeFromLatest")
    if want.exclude_from_latest is not None and bool(have_exclude) != want.exclude_from_latest:
        plan.changes.append(
            FieldChange(f"{prefix}.exclude_from_latest", have_exclude, want.exclude_from_latest)
        )


def update_body(
    current: dict[str, Any], desired: DesiredVersion, tags: dict[str, str] | None = None
) -> dict[str, Any]:
    """The full PUT body for an allowed update: what exists, with the requested changes applied."""
    properties = current.get("properties") or {}
    publishing = {k: v for k, v in _publishing(current).items() if k not in _READ_ONLY_PUBLISHING}
    if desired.target_regions is not None:
        existing = current_regions(current)
        publishing["targetRegions"] = [
            _merge_region(existing.get(region.name), region, publishing, desired)
            for region in desired.target_regions
        ]
    _set_if_given(publishing, "replicaCount", desired.replica_count)
    _set_if_given(publishing, "excludeFromLatest", desired.exclude_from_latest)
    if desired.end_of_life_date is not None:
        publishing["endOfLifeDate"] = format_datetime(parse_datetime(desired.end_of_life_date))
    safety = {k: v for k, v in _safety(current).items() if k not in _READ_ONLY_SAFETY}
    _set_if_given(
        safety, "allowDeletionOfReplicatedLocations", desired.allow_deletion_of_replicated_locations
    )
    _set_if_given(safety, "blockDeletionBeforeEndOfLife", desired.block_deletion_before_end_of_life)
    new_properties: dict[str, Any] = {
        "publishingProfile": publishing,
        "storageProfile": _writable_storage_profile(properties.get("storageProfile") or {}),
    }
    if safety:
        new_properties["safetyProfile"] = safety
    body: dict[str, Any] = {"location": current.get("location"), "properties": new_properties}
    resulting_tags = tags if tags is not None else current.get("tags")
    if resulting_tags is not None:
        body["tags"] = dict(resulting_tags)
    return body


def _merge_region(
    have: dict[str, Any] | None,
    want: TargetRegion,
    publishing: dict[str, Any],
    desired: DesiredVersion,
) -> dict[str, Any]:
    if have is None:
        return want.to_arm()
    merged = dict(have)
    merged["name"] = want.name
    count = want.replica_count if want.replica_count is not None else desired.replica_count
    if count is not None:
        merged["regionalReplicaCount"] = count
    if want.exclude_from_latest is not None:
        merged["excludeFromLatest"] = want.exclude_from_latest
    return merged


def _writable_storage_profile(profile: dict[str, Any]) -> dict[str, Any]:
    """The storage profile without the sizes Azure computes."""
    result = {k: v for k, v in profile.items() if k not in ("osDiskImage", "dataDiskImages")}
    if profile.get("osDiskImage"):
        result["osDiskImage"] = {k: v for k, v in profile["osDiskImage"].items() if k != "sizeInGB"}
    if profile.get("dataDiskImages"):
        result["dataDiskImages"] = [
            {k: v for k, v in disk.items() if k != "sizeInGB"} for disk in profile["dataDiskImages"]
        ]
    return result


# ---------------------------------------------------------------------------------------------
# Automatic numbering


def semantic_names(names: Iterable[str]) -> list[VersionTuple]:
    """The semantic versions among ``names``, lowest first (other names are ignored)."""
    parsed = (try_parse_version_name(name) for name in names)
    return sorted(version for version in parsed if version is not None)


def next_version_name(existing: Iterable[str], policy: str, today: date) -> str:
    """The next name after the highest existing one under a bump policy.

    ``date`` gives ``YYYY.MMDD.N`` (``N`` counting from 0 within a day) and never goes below the
    highest existing version, so the new one is always the newest.
    """
    versions = semantic_names(existing)
    highest = versions[-1] if versions else None
    if policy == "date":
        candidate: VersionTuple = (today.year, today.month * 100 + today.day, 0)
        if highest is not None and highest >= candidate:
            candidate = (highest[0], highest[1], highest[2] + 1)
    elif highest is None:
        candidate = (1, 0, 0)
    elif policy == "patch":
        candidate = (highest[0], highest[1], highest[2] + 1)
    elif policy == "minor":
        candidate = (highest[0], highest[1] + 1, 0)
    elif policy == "major":
        candidate = (highest[0] + 1, 0, 0)
    else:
        raise OptionError("version_bump", f"'{policy}' is not one of {', '.join(BUMP_POLICIES)}")
    if max(candidate) > INT32_MAX:
        raise OptionError(
            "version_bump",
            f"the next version after {format_version(highest or (0, 0, 0))} "
            f"would exceed {INT32_MAX} in one part",
        )
    return format_version(candidate)


def find_version_from_source(
    versions: Iterable[dict[str, Any]], source: VersionSource
) -> dict[str, Any] | None:
    """The highest existing version built from ``source``: re-running ``name: auto`` finds it."""
    wanted = source.identity()
    matches = [
        version
        for version in versions
        if try_parse_version_name(version.get("name")) is not None
        and source_identity_of((version.get("properties") or {}).get("storageProfile")) == wanted
    ]
    return max(
        matches,
        key=lambda version: try_parse_version_name(version.get("name")) or (0, 0, 0),
        default=None,
    )


# ---------------------------------------------------------------------------------------------
# Latest, as Azure resolves it


_LATEST_STATES = {"succeeded", "updating", ""}


def _eligible_for_latest(version: dict[str, Any]) -> bool:
    properties = version.get("properties") or {}
    state = str(properties.get("provisioningState") or "").lower()
    soft_deleted = str(properties.get("imageState") or "").lower() == "softdeleted"
    return (
        state in _LATEST_STATES
        and not soft_deleted
        and try_parse_version_name(version.get("name")) is not None
    )


def excluded_from_latest(version: dict[str, Any], region: str | None = None) -> bool:
    """The global flag, overridden for one region by that region's own flag when set."""
    publishing = _publishing(version)
    if region is not None:
        entry = current_regions(version).get(normalize_region(region))
        if entry is None:
            return True  # not replicated there, so never resolved there
        if entry.get("excludeFromLatest") is not None:
            return bool(entry["excludeFromLatest"])
    return bool(publishing.get("excludeFromLatest"))


def resolve_latest(
    versions: Iterable[dict[str, Any]], region: str | None = None
) -> dict[str, Any] | None:
    """The version ``latest`` means, globally or for one region: highest eligible semantic name."""
    candidates = [
        v for v in versions if _eligible_for_latest(v) and not excluded_from_latest(v, region)
    ]
    return max(
        candidates,
        key=lambda version: try_parse_version_name(version.get("name")) or (0, 0, 0),
        default=None,
    )


def latest_by_region(versions: list[dict[str, Any]]) -> dict[str, str | None]:
    """For every region any version targets, the name ``latest`` resolves to there."""
    regions = sorted({name for version in versions for name in current_regions(version)})
    result: dict[str, str | None] = {}
    for region in regions:
        latest = resolve_latest(versions, region)
        result[region] = latest.get("name") if latest else None
    return result


def sort_versions(versions: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Semantic order, lowest first; names that are not semantic sort first, by name."""
    return sorted(
        versions,
        key=lambda version: (
            try_parse_version_name(version.get("name")) is not None,
            try_parse_version_name(version.get("name")) or (0, 0, 0),
            str(version.get("name")),
        ),
    )


# ---------------------------------------------------------------------------------------------
# Replication


@dataclass(frozen=True)
class RegionReplication:
    region: str
    state: str
    progress: int
    details: str | None = None

    def to_result(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "state": self.state,
            "progress": self.progress,
            "details": self.details,
        }


@dataclass
class ReplicationSummary:
    aggregated_state: str
    regions: list[RegionReplication]

    def in_scope(self, scope: str, source_region: str | None) -> list[RegionReplication]:
        if scope == "none":
            return []
        if scope == "source_region" and source_region:
            wanted = normalize_region(source_region)
            return [region for region in self.regions if region.region == wanted]
        return list(self.regions)

    def failed(
        self, scope: str = "all", source_region: str | None = None
    ) -> list[RegionReplication]:
        return [
            region
            for region in self.in_scope(scope, source_region)
            if region.state.lower() == "failed"
        ]

    def pending(
        self, scope: str = "all", source_region: str | None = None
    ) -> list[RegionReplication]:
        return [
            region
            for region in self.in_scope(scope, source_region)
            if region.state.lower() not in ("completed", "failed")
        ]

    def is_complete(self, scope: str = "all", source_region: str | None = None) -> bool:
        if scope == "source_region" and source_region and not self.in_scope(scope, source_region):
            return False  # the source region has not even been reported yet
        return not self.pending(scope, source_region) and not self.failed(scope, source_region)

    def describe(self) -> str:
        """``eastus Completed 100%, westus Replicating 40%`` for messages."""
        return (
            ", ".join(
                f"{region.region} {region.state} {region.progress}%"
                + (f" ({region.details})" if region.details else "")
                for region in self.regions
            )
            or "no regions reported"
        )

    def to_result(self) -> dict[str, Any]:
        return {
            "aggregated_state": self.aggregated_state,
            "regions": [r.to_result() for r in self.regions],
        }


def summarize_replication(version: dict[str, Any]) -> ReplicationSummary:
    """Per-region state from ``replicationStatus``; a target region not yet reported is Unknown."""
    status = (version.get("properties") or {}).get("replicationStatus") or {}
    reported = {}
    for entry in status.get("summary") or []:
        if not entry.get("region"):
            continue
        name = normalize_region(entry["region"])
        reported[name] = RegionReplication(
            region=name,
            state=str(entry.get("state") or "Unknown"),
            progress=int(entry.get("progress") or 0),
            details=entry.get("details") or None,
        )
    for name in current_regions(version):
        reported.setdefault(name, RegionReplication(region=name, state="Unknown", progress=0))
    regions = sorted(reported.values(), key=lambda region: region.region)
    return ReplicationSummary(
        aggregated_state=_aggregate(status.get("aggregatedState"), regions), regions=regions
    )


def _aggregate(reported: Any, regions: list[RegionReplication]) -> str:
    states = {region.state.lower() for region in regions}
    if "failed" in states:
        return "Failed"
    if regions and states == {"completed"}:
        return "Completed"
    if regions:
        return "InProgress"
    return str(reported or "Unknown")


def replication_timeout_message(
    name: str, summary: ReplicationSummary, scope: str, timeout: float
) -> str:
    waiting = ", ".join(region.region for region in summary.pending(scope)) or "none"
    return (
        f"image version {name} did not finish replicating within {timeout:g} seconds; "
        f"still waiting for: {waiting}. Status: {summary.describe()}"
    )


def replication_failure_message(name: str, summary: ReplicationSummary) -> str:
    failed = ", ".join(region.region for region in summary.failed()) or "none"
    return f"image version {name} failed to replicate to {failed}. Status: {summary.describe()}"


# ---------------------------------------------------------------------------------------------
# Results


def version_result(version: dict[str, Any], *, with_replication: bool = False) -> dict[str, Any]:
    """A version as modules return it: snake_case, flattened ``properties``, name at the top."""
    properties = dict(version.get("properties") or {})
    replication_status = properties.pop("replicationStatus", None)
    result = {key: value for key, value in version.items() if key != "properties"}
    result.update(properties)
    converted: dict[str, Any] = to_snake(result)
    converted["tags"] = dict(version.get("tags") or {})
    if with_replication or replication_status:
        converted["replication"] = summarize_replication(version).to_result()
    return converted
