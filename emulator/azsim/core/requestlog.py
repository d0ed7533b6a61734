"""The request log the admin API serves: no secrets, no query strings, no bodies."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

MAX_ENTRIES = 100_000
WRITE_METHODS = frozenset({"PUT", "PATCH", "DELETE", "POST"})


@dataclass
class RequestLog:
    def __post_init__(self) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=MAX_ENTRIES)
        self._seq = 0

    def add(
        self,
        *,
        method: str,
        host: str,
        path: str,
        api_version: str | None,
        status: int,
        duration_ms: float,
        principal: str | None,
        kind: str,
    ) -> None:
        self._seq += 1
        self._entries.append(
            {
                "seq": self._seq,
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "method": method,
                "host": host,
                "path": path,
                "api_version": api_version,
                "status": status,
                "duration_ms": round(duration_ms, 3),
                "principal": principal,
                "kind": kind,
            }
        )

    def since(self, seq: int = 0) -> list[dict[str, Any]]:
        return [e for e in self._entries if e["seq"] > seq]

    def clear(self) -> None:
        self._entries.clear()
