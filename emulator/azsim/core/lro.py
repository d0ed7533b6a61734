"""Long-running operations the way ARM runs them, with operation-status resources."""

from __future__ import annotations

import json
import logging
import math
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from azsim.core import ids
from azsim.core.clock import iso
from azsim.core.errors import ArmError
from azsim.core.http import Request, Response
from azsim.core.routing import EVENTS, event, route

if TYPE_CHECKING:
    from azsim.core.sim import Sim

log = logging.getLogger("azsim")
DONE_EVENT = "azsim.operation_done"
LONGEST_SUGGESTED_POLL = 30.0  # simulated seconds


def _save(sim: Sim, operation: dict[str, Any]) -> None:
    sim.conn.execute(
        "INSERT OR REPLACE INTO operations (id, body) VALUES (?, ?)",
        (operation["name"].lower(), json.dumps(operation)),
    )


def load(sim: Sim, operation_id: str) -> dict[str, Any] | None:
    row = sim.conn.execute(
        "SELECT body FROM operations WHERE id = ?", (operation_id.lower(),)
    ).fetchone()
    return json.loads(row[0]) if row else None


def retry_after(sim: Sim, operation: dict[str, Any]) -> str:
    """Whole real seconds until a poll is worth making, at least 1."""
    remaining = max(0.0, operation["__due"] - sim.clock.epoch())
    suggested = min(max(remaining, 1.0), LONGEST_SUGGESTED_POLL)
    return str(max(1, math.ceil(sim.clock.real_seconds(suggested))))


def start(
    sim: Sim,
    req: Request,
    *,
    resource_id: str,
    status: int,
    body: Any,
    duration: float,
    on_done: str | None,
    on_done_args: dict[str, Any],
    final: str | None,
    location: str | None,
) -> Response:
    if on_done is not None and on_done not in EVENTS:
        raise ValueError(f"on_done {on_done!r} is not a registered event")
    operation_id = str(uuid.uuid4())
    parsed = ids.parse(resource_id)
    subscription = parsed.subscription_id or sim.subscription_id
    namespace = parsed.namespace or "Microsoft.Resources"
    region = (location or _region_of(body) or "eastus").replace(" ", "").lower()
    base = f"{req.base_url}/subscriptions/{subscription}/providers/{namespace}/locations/{region}"
    query = f"?api-version={quote(req.api_version or '')}"
    operation = {
        "id": f"/subscriptions/{subscription}/providers/{namespace}/locations/{region}"
        f"/operations/{operation_id}",
        "name": operation_id,
        "status": "InProgress",
        "startTime": iso(sim.now()),
        "__due": sim.clock.epoch() + duration,
        "__resource_id": resource_id,
        "__method": req.method,
        "__final": final,
        "__on_done": on_done,
        "__on_done_args": on_done_args,
    }
    _save(sim, operation)
    sim.schedule(duration, DONE_EVENT, operation_id=operation_id)
    headers = {
        "Azure-AsyncOperation": f"{base}/operations/{operation_id}{query}",
        "Retry-After": retry_after(sim, operation),
    }
    if req.method in ("DELETE", "POST") or final == "location":
        headers["Location"] = f"{base}/operationResults/{operation_id}{query}"
    return Response(status, body, headers, operation_id=operation_id)


def _region_of(body: Any) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("location"), str):
        return body["location"]
    return None


@event(DONE_EVENT)
def operation_done(sim: Sim, *, operation_id: str) -> None:
    operation = load(sim, operation_id)
    if operation is None or operation["status"] != "InProgress":
        return
    handler = EVENTS.get(operation["__on_done"]) if operation["__on_done"] else None
    sim.conn.execute("SAVEPOINT on_done")
    try:
        result = handler(sim, **operation["__on_done_args"]) if handler else None
    except ArmError as error:
        # Changes the handler made before raising stay: it may have marked the resource
        # Failed, as Azure leaves it.
        sim.conn.execute("RELEASE on_done")
        _fail(operation, error)
    except Exception:
        # A defect in the handler: undo its changes, but end the operation so no poller
        # waits forever.
        log.exception("on_done handler %s failed", operation["__on_done"])
        sim.conn.execute("ROLLBACK TO on_done")
        sim.conn.execute("RELEASE on_done")
        _fail(
            operation, ArmError(500, "InternalServerError", "An internal execution error occurred.")
        )
    else:
        sim.conn.execute("RELEASE on_done")
        operation["status"] = "Succeeded"
        operation["__result"] = result if isinstance(result, (dict, list)) else None
    operation["endTime"] = iso(sim.now())
    _save(sim, operation)


def finish(sim: Sim, operation_id: str, error: ArmError | None = None) -> None:
    """Settle an operation before its planned end: with `error` it fails with that error and
    its `on_done` handler is skipped; otherwise it ends as at its planned end."""
    if error is None:
        operation_done(sim, operation_id=operation_id)
        return
    operation = load(sim, operation_id)
    if operation is None or operation["status"] != "InProgress":
        return
    _fail(operation, error)
    operation["endTime"] = iso(sim.now())
    _save(sim, operation)


def _fail(operation: dict[str, Any], error: ArmError) -> None:
    operation["status"] = "Failed"
    operation["error"] = error.body()["error"]
    operation["__error_status"] = error.status


def _operation_or_404(sim: Sim, operation_id: str) -> dict[str, Any]:
    operation = load(sim, operation_id)
    if operation is None:
        raise ArmError(
            404,
            "OperationNotFound",
            f"The operation '{operation_id}' could not be found.",
        )
    return operation


STATUS_PATH = "/subscriptions/{subscriptionId}/providers/{namespace}/locations/{location}"


@route(
    "GET", STATUS_PATH + "/operations/{operationId}", action="{namespace}/locations/operations/read"
)
def get_operation_status(req: Request) -> Response:
    operation = _operation_or_404(req.sim, req.params["operationId"])
    headers = {}
    if operation["status"] == "InProgress":
        headers["Retry-After"] = retry_after(req.sim, operation)
    return Response(200, operation, headers)


@route(
    "GET",
    STATUS_PATH + "/operationResults/{operationId}",
    action="{namespace}/locations/operationResults/read",
)
def get_operation_result(req: Request) -> Response:
    sim = req.sim
    operation = _operation_or_404(sim, req.params["operationId"])
    if operation["status"] == "InProgress":
        location = f"{req.base_url}{req.path}?api-version={quote(req.api_version or '')}"
        return Response(
            202, None, {"Location": location, "Retry-After": retry_after(sim, operation)}
        )
    if operation["status"] == "Failed":
        error = operation.get("error", {})
        return Response(operation.get("__error_status", 400), {"error": error})
    final = operation["__final"]
    if final == "location" and operation.get("__result") is not None:
        return Response(200, operation["__result"])
    if final == "resource":
        resource = sim.store.get(operation["__resource_id"])
        if resource is not None:
            return Response(200, resource)
    return Response(204)
