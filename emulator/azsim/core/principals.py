"""Service principals and managed identities the token endpoints know."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, field

from azsim.core.http import Principal


@dataclass
class PrincipalRecord:
    client_id: str
    object_id: str
    tenant_id: str
    display_name: str = ""
    secret: str | None = None
    kind: str = "ServicePrincipal"  # or "ManagedIdentity"
    certificate_thumbprints: list[str] = field(default_factory=list)  # SHA-1 hex, lower case
    certificate_pems: list[str] = field(default_factory=list)
    federated: list[dict[str, str]] = field(default_factory=list)  # issuer, subject, audience
    resource_id: str | None = None  # a managed identity's ARM id

    def principal(self) -> Principal:
        return Principal(self.object_id, self.client_id, self.tenant_id, self.display_name)


class Principals:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._by_client: dict[str, PrincipalRecord] = {}
        self._by_object: dict[str, PrincipalRecord] = {}
        for (body,) in conn.execute("SELECT body FROM principals"):
            self._index(PrincipalRecord(**json.loads(body)))

    def add(self, record: PrincipalRecord) -> None:
        self.remove(record.client_id)
        self._conn.execute(
            "INSERT OR REPLACE INTO principals (client_id, body) VALUES (?, ?)",
            (record.client_id.lower(), json.dumps(asdict(record))),
        )
        self._index(record)

    def remove(self, client_id: str) -> None:
        old = self._by_client.pop(client_id.lower(), None)
        if old:
            self._by_object.pop(old.object_id.lower(), None)
        self._conn.execute("DELETE FROM principals WHERE client_id = ?", (client_id.lower(),))

    def by_client_id(self, client_id: str) -> PrincipalRecord | None:
        return self._by_client.get(client_id.lower())

    def by_object_id(self, object_id: str) -> PrincipalRecord | None:
        return self._by_object.get(object_id.lower())

    def all(self) -> list[PrincipalRecord]:
        return list(self._by_client.values())

    def reload(self) -> None:
        """Re-read after a rolled-back transaction may have undone an add or remove."""
        self._by_client.clear()
        self._by_object.clear()
        for (body,) in self._conn.execute("SELECT body FROM principals"):
            self._index(PrincipalRecord(**json.loads(body)))

    def _index(self, record: PrincipalRecord) -> None:
        self._by_client[record.client_id.lower()] = record
        self._by_object[record.object_id.lower()] = record
