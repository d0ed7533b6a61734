# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Differences as data, and the normalisers every module compares with.

:class:`DiffTracker` records each difference once (path, before, after) and renders Ansible's
``diff.before`` / ``diff.after``. :func:`compare` walks only what the user asked for, so fields
the user left out and fields the server manages never count as changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

SERVER_MANAGED_FIELDS = frozenset(
    {
        "id",
        "etag",
        "type",
        "provisioningState",
        "provisioning_state",
        "systemData",
        "system_data",
        "createdTime",
        "changedTime",
        "timeCreated",
        "time_created",
        "publishedDate",
        "published_date",
        "lastModifiedTime",
        "uniqueId",
        "unique_id",
    }
)

# Maps whose keys are user data (tag names, resource ids), never field names to convert.
OPAQUE_KEY_MAPS = frozenset({"tags", "userAssignedIdentities", "user_assigned_identities"})

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@dataclass(frozen=True)
class Difference:
    """One changed value at a dotted ``path``."""

    path: str
    before: Any
    after: Any


class DiffTracker:
    """Collect differences once each and render them for ``diff`` and ``changed``."""

    def __init__(self) -> None:
        self._differences: dict[str, Difference] = {}

    def add(self, path: str, before: Any, after: Any) -> None:
        """Record a difference; a later record of the same path keeps the first ``before``."""
        first = self._differences.get(path)
        self._differences[path] = Difference(path, first.before if first else before, after)

    @property
    def changed(self) -> bool:
        return bool(self._differences)

    @property
    def differences(self) -> list[Difference]:
        return list(self._differences.values())

    def paths(self) -> list[str]:
        return list(self._differences)

    def render(self) -> dict[str, dict[str, Any]]:
        """``{"before": {...}, "after": {...}}`` with dotted paths expanded into nested dicts."""
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for difference in self._differences.values():
            _set_path(before, difference.path, difference.before)
            _set_path(after, difference.path, difference.after)
        return {"before": before, "after": after}


def _set_path(target: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for part in parents:
        child = target.get(part)
        if not isinstance(child, dict):
            child = {}
            target[part] = child
        target = child
    target[leaf] = value


Normaliser = Callable[[Any], Any]


def compare(
    tracker: DiffTracker,
    desired: Any,
    current: Any,
    path: str = "",
    normalisers: Mapping[str, Normaliser] | None = None,
) -> None:
    """Record where ``current`` differs from ``desired``; ``None`` in ``desired`` means "not asked".

    Dicts are compared key by key (only keys in ``desired``); ``normalisers`` maps a dotted path
    to a function applied to both sides before comparing (e.g. :func:`normalize_location`).
    """
    if desired is None:
        return
    rules = normalisers or {}
    if isinstance(desired, Mapping) and isinstance(current, Mapping) and path not in rules:
        for key, value in desired.items():
            child = f"{path}.{key}" if path else str(key)
            compare(tracker, value, current.get(key), child, rules)
        return
    normalise = rules.get(path, _identity)
    if normalise(desired) != normalise(current):
        tracker.add(path, current, desired)


def _identity(value: Any) -> Any:
    return value


def normalize_location(location: str | None) -> str | None:
    """Azure region names compare without case or spaces: ``"East US"`` is ``"eastus"``."""
    if location is None:
        return None
    return location.replace(" ", "").replace("-", "").lower()


def normalize_enum(value: Any) -> Any:
    """Enum values (``Standard_LRS``, ``standard_lrs``) compare case-insensitively."""
    return value.lower() if isinstance(value, str) else value


def enum_equal(left: Any, right: Any) -> bool:
    """True when two enum values differ only in case."""
    return bool(normalize_enum(left) == normalize_enum(right))


def to_utc(value: Any) -> datetime | None:
    """A date, datetime or ISO 8601 string as an aware UTC instant (naive values are UTC).

    Raises ValueError for text that is not ISO 8601.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        # ARM sends 7 fractional digits, others fewer; Python 3.10 parses exactly 3 or 6.
        text = re.sub(r"\.(\d+)", lambda match: "." + (match.group(1) + "000000")[:6], text)
        moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)  # noqa: UP017 - Python 3.10
    return moment.astimezone(timezone.utc)  # noqa: UP017 - Python 3.10


def drop_server_fields(resource: Mapping[str, Any], extra: Iterable[str] = ()) -> dict[str, Any]:
    """A copy without server-managed fields (ids, etags, states, timestamps), at every depth."""
    skip = SERVER_MANAGED_FIELDS | set(extra)
    return {key: _drop_nested(value, skip) for key, value in resource.items() if key not in skip}


def _drop_nested(value: Any, skip: frozenset[str] | set[str]) -> Any:
    if isinstance(value, Mapping):
        return {key: _drop_nested(item, skip) for key, item in value.items() if key not in skip}
    if isinstance(value, list):
        return [_drop_nested(item, skip) for item in value]
    return value


def keyed(
    items: Iterable[Mapping[str, Any]] | None, key: str, normalise: Normaliser = _identity
) -> dict[Any, Any]:
    """A list of dicts as a dict by its natural key (e.g. target regions by normalised name)."""
    return {normalise(item.get(key)): dict(item) for item in items or []}


def camel_to_snake(name: str) -> str:
    """``hyperVGeneration`` -> ``hyper_v_generation``."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def snake_to_camel(name: str) -> str:
    """``hyper_v_generation`` -> ``hyperVGeneration``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def to_snake(value: Any) -> Any:
    """Convert the keys of a resource dict (recursively) to snake_case, leaving opaque maps alone."""
    return _convert_keys(value, camel_to_snake)


def to_camel(value: Any) -> Any:
    """Convert the keys of an options dict (recursively) to camelCase, leaving opaque maps alone."""
    return _convert_keys(value, snake_to_camel)


def _convert_keys(value: Any, convert: Callable[[str], str]) -> Any:
    if isinstance(value, Mapping):
        return {
            convert(key): (
                _convert_values(item, convert)
                if key in OPAQUE_KEY_MAPS and isinstance(item, Mapping)
                else _convert_keys(item, convert)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_convert_keys(item, convert) for item in value]
    return value


def _convert_values(mapping: Mapping[str, Any], convert: Callable[[str], str]) -> dict[str, Any]:
    """Keep an opaque map's keys (tag names, resource ids); convert what is inside its values."""
    return {key: _convert_keys(item, convert) for key, item in mapping.items()}
