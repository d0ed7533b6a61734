# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tags done once: ``tags`` plus ``purge_tags``; when ``tags`` is not given, tags are not touched."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TagChange:
    """The tags to send and what changes compared with the current ones."""

    tags: dict[str, str]
    added: dict[str, str] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def _as_strings(tags: Mapping[str, Any] | None) -> dict[str, str]:
    # Azure stores tag values as strings; compare them the same way.
    return {str(key): "" if value is None else str(value) for key, value in (tags or {}).items()}


def desired_tags(
    current: Mapping[str, Any] | None, tags: Mapping[str, Any] | None, purge: bool = True
) -> TagChange | None:
    """The tags a resource should end with, or None when ``tags`` was not given (leave them alone).

    With ``purge`` the result is exactly ``tags``; without it ``tags`` is merged over the
    current tags. ``added`` holds new or changed keys with their new values.
    """
    if tags is None:
        return None
    existing = _as_strings(current)
    wanted = _as_strings(tags)
    final = wanted if purge else {**existing, **wanted}
    added = {key: value for key, value in final.items() if existing.get(key) != value}
    removed = sorted(key for key in existing if key not in final)
    return TagChange(tags=final, added=added, removed=removed)
