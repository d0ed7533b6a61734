"""The simulation: state, clock, timed events, long-running operations, paging, authz."""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from azsim.core import lro as lro_module
from azsim.core import paging
from azsim.core.authz import OWNER_ROLE_ID, ROLE_ASSIGNMENT_TYPE, Authz
from azsim.core.clock import Clock
from azsim.core.errors import ArmError
from azsim.core.http import Request, Response
from azsim.core.ids import is_under, parse
from azsim.core.locations import LOCATIONS, REGIONS, normalize_location
from azsim.core.principals import Principals
from azsim.core.routing import DELETE_HOOKS, EVENTS, EventHandler, event_name
from azsim.core.store import Settings, Store

log = logging.getLogger("azsim")


class Sim:
    """Everything a handler reaches through `req.sim`."""

    locations = LOCATIONS
    region_names = REGIONS
    # set by the server: the token service, request log, fault rules, state directory
    tokens: Any = None
    request_log: Any = None
    faults: Any = None
    directory: Any = None

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.store = Store(conn)
        self.settings = Settings(conn)
        self._in_transaction = False
        with self.transaction():
            self.clock = Clock(self.settings)
            self.tenant_id: str = self._setting_or_new("tenant_id")
            self.subscription_id: str = self._setting_or_new("subscription_id")
        self.principals = Principals(conn)
        self.authz = Authz(self)
        self._next_due: float | None = self._earliest_due()
        self.reset_hooks: list[Callable[[Sim], None]] = []

    # -- time ---------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.clock.now()

    @property
    def scale(self) -> float:
        return self.clock.scale

    def normalize_location(self, location: str, resource_type: str = "") -> str:
        return normalize_location(location, resource_type)

    # -- settings -----------------------------------------------------------------------
    def _setting_or_new(self, name: str) -> str:
        value = self.settings.get(name)
        if value is None:
            value = str(uuid.uuid4())
            self.settings.set(name, value)
        return value

    @property
    def default_client_id(self) -> str:
        return self.settings.get("default_client_id", "")

    def subscriptions(self) -> list[dict[str, Any]]:
        return self.store.by_type("Microsoft.Resources/subscriptions")

    def config(self, name: str, default: Any = None) -> Any:
        """Server options persisted by `azsim start` (blob endpoint, extra subscriptions)."""
        return self.settings.get(f"config.{name}", default)

    # -- transactions -------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of state change; nested use joins the outer one."""
        if self._in_transaction:
            yield
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            self._in_transaction = False
            self._after_rollback()
            raise
        self.conn.execute("COMMIT")
        self._in_transaction = False

    def _after_rollback(self) -> None:
        self.principals.reload()
        self.clock = Clock(self.settings)
        self._next_due = self._earliest_due()

    # -- timed events -------------------------------------------------------------------
    def schedule(self, delay_seconds: float, event: str | EventHandler, **kwargs: Any) -> None:
        name = event_name(event)
        due = self.clock.epoch() + max(0.0, delay_seconds)
        self.conn.execute(
            "INSERT INTO events (due, name, kwargs) VALUES (?, ?, ?)",
            (due, name, json.dumps(kwargs)),
        )
        if self._next_due is None or due < self._next_due:
            self._next_due = due

    def _earliest_due(self) -> float | None:
        row = self.conn.execute("SELECT MIN(due) FROM events").fetchone()
        return row[0] if row else None

    def seconds_until_next_event(self) -> float | None:
        if self._next_due is None:
            return None
        return max(0.0, self.clock.real_seconds(self._next_due - self.clock.epoch()))

    def run_due_events(self, limit: int = 10_000) -> int:
        """Run every event whose time has come, in due order; each in its own transaction."""
        ran = 0
        while ran < limit and self._next_due is not None and self._next_due <= self.clock.epoch():
            row = self.conn.execute(
                "SELECT seq, due, name, kwargs FROM events ORDER BY due, seq LIMIT 1"
            ).fetchone()
            if row is None or row[1] > self.clock.epoch():
                self._next_due = row[1] if row else None
                break
            self._run_event(row[0], row[2], json.loads(row[3]))
            self._next_due = self._earliest_due()
            ran += 1
        return ran

    def _run_event(self, seq: int, name: str, kwargs: dict[str, Any]) -> None:
        handler = EVENTS.get(name)
        try:
            with self.transaction():
                self.conn.execute("DELETE FROM events WHERE seq = ?", (seq,))
                if handler is None:
                    log.error("no handler for event %s; dropped", name)
                    return
                handler(self, **kwargs)
        except Exception:
            log.exception("event %s failed; dropped", name)
            with self.transaction():
                self.conn.execute("DELETE FROM events WHERE seq = ?", (seq,))

    # -- cascading deletion ------------------------------------------------------------------
    def delete_cascading(self, scope: str) -> list[str]:
        """Delete `scope` and everything below it, first running the `@on_delete` hooks of the
        resources that go, so what Azure removes with them elsewhere goes too."""
        for resource_id in self.store.ids():
            if not is_under(resource_id, scope):
                continue
            hooks = DELETE_HOOKS.get(parse(resource_id).type.lower(), [])
            resource = self.store.get(resource_id)
            for hook in hooks:
                if resource is not None:
                    hook(self, resource)
        return self.store.delete_under(scope)

    # -- long-running operations and paging ------------------------------------------------
    def lro(
        self,
        req: Request,
        *,
        resource_id: str,
        status: int = 201,
        body: Any = None,
        duration: float = 10.0,
        on_done: str | EventHandler | None = None,
        on_done_args: dict[str, Any] | None = None,
        final: str | None = "resource",
        location: str | None = None,
    ) -> Response:
        return lro_module.start(
            self,
            req,
            resource_id=resource_id,
            status=status,
            body=body,
            duration=duration,
            on_done=event_name(on_done) if on_done is not None else None,
            on_done_args=on_done_args or {},
            final=final,
            location=location,
        )

    def set_provisioning_state(self, resource_id: str, state: str) -> dict[str, Any] | None:
        """Set a stored resource's `properties.provisioningState`, as the end of a create or
        update does; the resource as stored now, or None when it has gone meanwhile."""
        body = self.store.get(resource_id)
        if body is not None:
            body.setdefault("properties", {})["provisioningState"] = state
            self.store.put(resource_id, body)
        return body

    def lro_delete(
        self,
        req: Request,
        *,
        resource_id: str,
        body: dict[str, Any],
        duration: float,
        on_done: str | EventHandler,
        on_done_args: dict[str, Any] | None = None,
        final: str | None = None,
        location: str | None = None,
    ) -> Response:
        """A delete ARM accepts with 202 and finishes later: the resource reads
        `provisioningState: Deleting` from now on and `on_done` removes it at the end."""
        body.setdefault("properties", {})["provisioningState"] = "Deleting"
        self.store.put(resource_id, body)
        return self.lro(
            req,
            resource_id=resource_id,
            status=202,
            duration=duration,
            on_done=on_done,
            on_done_args=on_done_args,
            final=final,
            location=location,
        )

    def finish_operation(self, operation_id: str, error: ArmError | None = None) -> None:
        """Settle a long-running operation now instead of at its planned end (the
        `operation_id` of the `Response` `lro` returned). Without `error` its `on_done` handler
        runs as it would have; with one, the operation fails with that error. An operation
        already settled is left as it is."""
        lro_module.finish(self, operation_id, error)

    def page(self, req: Request, items: list[Any]) -> Response:
        return paging.page(req, items)

    # -- defaults and reset -------------------------------------------------------------------
    def ensure_subscription(self, subscription_id: str, display_name: str) -> None:
        """Create a subscription with the default principal as its Owner."""
        sub_id = f"/subscriptions/{subscription_id}"
        if self.store.get(sub_id) is None:
            self.store.put(
                sub_id,
                {
                    "id": sub_id,
                    "subscriptionId": subscription_id,
                    "tenantId": self.tenant_id,
                    "displayName": display_name,
                    "state": "Enabled",
                    "subscriptionPolicies": {
                        "locationPlacementId": "Public_2014-09-01",
                        "quotaId": "PayAsYouGo_2014-09-01",
                        "spendingLimit": "Off",
                    },
                    "authorizationSource": "RoleBased",
                    "managedByTenants": [],
                },
            )
        default = self.principals.by_client_id(self.default_client_id)
        if default is None:
            return
        name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"owner:{subscription_id}:{default.object_id}"))
        assignment_id = f"{sub_id}/providers/Microsoft.Authorization/roleAssignments/{name}"
        if self.store.get(assignment_id) is None:
            self.store.put(
                assignment_id, owner_assignment(assignment_id, name, sub_id, default.object_id)
            )

    def ensure_defaults(self) -> None:
        with self.transaction():
            self.ensure_subscription(self.subscription_id, "Azure subscription 1")
            for extra in self.config("extra_subscriptions", []):
                self.ensure_subscription(extra, f"Subscription {extra[:8]}")

    def reset(self) -> None:
        """Empty the state; principals of service principals, the CA and secrets are kept."""
        with self.transaction():
            self.store.clear()
            self.conn.execute("DELETE FROM events")
            self.conn.execute("DELETE FROM operations")
            for record in self.principals.all():
                if record.kind == "ManagedIdentity":
                    self.principals.remove(record.client_id)
            for hook in self.reset_hooks:
                hook(self)
        self._next_due = None
        self.ensure_defaults()


def owner_assignment(assignment_id: str, name: str, scope: str, object_id: str) -> dict[str, Any]:
    return {
        "id": assignment_id,
        "name": name,
        "type": ROLE_ASSIGNMENT_TYPE,
        "properties": {
            "roleDefinitionId": f"{scope}/providers/Microsoft.Authorization/roleDefinitions/"
            f"{OWNER_ROLE_ID}",
            "principalId": object_id,
            "principalType": "ServicePrincipal",
            "scope": scope,
        },
    }
