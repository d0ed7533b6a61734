"""Durable state in SQLite (WAL): resources, events, operations, principals, settings."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from azsim.core import ids
from azsim.core.errors import not_found

SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    key TEXT PRIMARY KEY, id TEXT NOT NULL, type TEXT NOT NULL, parent TEXT NOT NULL,
    body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS resources_type ON resources(type);
CREATE INDEX IF NOT EXISTS resources_parent ON resources(parent);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, due REAL NOT NULL, name TEXT NOT NULL,
    kwargs TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_due ON events(due);
CREATE TABLE IF NOT EXISTS operations (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS principals (client_id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def open_database(path: Path) -> sqlite3.Connection:
    # isolation_level=None: transactions are begun and committed explicitly, one per
    # request or event, so a crash never leaves half of one behind.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(SCHEMA)
    return conn


class Store:
    """Resources keyed by id, compared case-insensitively, returned as created."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def get(self, resource_id: str) -> dict[str, Any] | None:
        row = self._conn.execute(
            "SELECT body FROM resources WHERE key = ?", (_key(resource_id),)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def get_or_404(self, resource_id: str) -> dict[str, Any]:
        """The resource, or ARM's 404 `ResourceNotFound` naming `resource_id`."""
        body = self.get(resource_id)
        if body is None:
            raise not_found(resource_id)
        return body

    def put(self, resource_id: str, body: dict[str, Any]) -> None:
        parsed = ids.parse(resource_id)
        key = _key(resource_id)
        existing = self._conn.execute("SELECT id FROM resources WHERE key = ?", (key,)).fetchone()
        stored_id = existing[0] if existing else resource_id.rstrip("/")
        self._conn.execute(
            "INSERT OR REPLACE INTO resources (key, id, type, parent, body) VALUES (?,?,?,?,?)",
            (key, stored_id, parsed.type.lower(), _key(parsed.parent), json.dumps(body)),
        )

    def delete(self, resource_id: str) -> bool:
        cur = self._conn.execute("DELETE FROM resources WHERE key = ?", (_key(resource_id),))
        return cur.rowcount > 0

    def delete_under(self, scope: str) -> list[str]:
        """Delete `scope` and everything below it; return the deleted ids."""
        key = _key(scope)
        rows = self._conn.execute(
            "SELECT id FROM resources WHERE key = ? OR substr(key, 1, ?) = ?",
            (key, len(key) + 1, key + "/"),
        ).fetchall()
        self._conn.execute(
            "DELETE FROM resources WHERE key = ? OR substr(key, 1, ?) = ?",
            (key, len(key) + 1, key + "/"),
        )
        return [r[0] for r in rows]

    def children(self, parent_id: str, type: str) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            "SELECT body FROM resources WHERE parent = ? AND type = ? ORDER BY key",
            (_key(parent_id), type.lower()),
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def by_type(self, type: str, scope: str | None = None) -> list[dict[str, Any]]:
        if scope is None:
            rows = self._conn.execute(
                "SELECT body FROM resources WHERE type = ? ORDER BY key", (type.lower(),)
            ).fetchall()
        else:
            key = _key(scope)
            rows = self._conn.execute(
                "SELECT body FROM resources WHERE type = ? AND (key = ? OR substr(key, 1, ?) = ?)"
                " ORDER BY key",
                (type.lower(), key, len(key) + 1, key + "/"),
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def take(self, type: str, matches: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
        """Use up one `count` of the first record of `type` (in id order) that `matches`:
        the record goes with its last use. The record as it was, or None when none matches.
        For the admin API's failure rules, which fire a set number of times."""
        for record in self.by_type(type):
            if not matches(record):
                continue
            if record["count"] <= 1:
                self.delete(record["id"])
            else:
                self.put(record["id"], {**record, "count": record["count"] - 1})
            return record
        return None

    def ids(self) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT id FROM resources ORDER BY key")]

    def id_of(self, resource_id: str) -> str | None:
        """The id with the casing it was created with."""
        row = self._conn.execute(
            "SELECT id FROM resources WHERE key = ?", (_key(resource_id),)
        ).fetchone()
        return row[0] if row else None

    def clear(self) -> None:
        self._conn.execute("DELETE FROM resources")


class Settings:
    """Small named JSON values: the clock anchor, the signing secrets, configuration."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def get(self, name: str, default: Any = None) -> Any:
        row = self._conn.execute("SELECT value FROM settings WHERE name = ?", (name,)).fetchone()
        return json.loads(row[0]) if row else default

    def set(self, name: str, value: Any) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)",
            (name, json.dumps(value)),
        )


def _key(resource_id: str) -> str:
    return resource_id.rstrip("/").lower()
