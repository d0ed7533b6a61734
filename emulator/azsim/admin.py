"""The `/_sim/` admin API: request log, faults, seed, reset, clock, state, principals, tokens."""

from __future__ import annotations

import uuid
from typing import Any

from azsim.core import ArmError, Request, Response, ids, route
from azsim.core.principals import PrincipalRecord


def _body(req: Request) -> dict[str, Any]:
    if not isinstance(req.json, dict):
        raise ArmError(400, "InvalidRequestContent", "A JSON object is expected.")
    return req.json


@route("GET", "/_sim/requests", admin=True)
def list_requests(req: Request) -> Response:
    since = req.query.get("since")
    try:
        seq = int(since) if since else 0
    except ValueError:
        raise ArmError(400, "InvalidSince", "since must be an integer") from None
    return Response.ok(req.sim.request_log.since(seq))


@route("DELETE", "/_sim/requests", admin=True)
def clear_requests(req: Request) -> Response:
    req.sim.request_log.clear()
    return Response.no_content()


@route("POST", "/_sim/faults", admin=True)
def add_fault(req: Request) -> Response:
    rule = req.sim.faults.add(_body(req))
    return Response.created({"id": rule.id})


@route("GET", "/_sim/faults", admin=True)
def list_faults(req: Request) -> Response:
    return Response.ok(
        [
            {
                "id": r.id,
                "method": r.method,
                "path": r.path.pattern,
                "status": r.status,
                "count": r.count,
                "probability": r.probability,
            }
            for r in req.sim.faults.rules
        ]
    )


@route("DELETE", "/_sim/faults", admin=True)
def clear_faults(req: Request) -> Response:
    req.sim.faults.clear()
    return Response.no_content()


@route("POST", "/_sim/seed", admin=True)
def seed(req: Request) -> Response:
    """Create resources directly, without long-running operations or checks."""
    created = []
    for item in _body(req).get("resources", []):
        resource_id = item.get("id")
        if not isinstance(resource_id, str) or not resource_id.startswith("/"):
            raise ArmError(400, "InvalidSeed", f"not a resource id: {resource_id!r}")
        parsed = ids.parse(resource_id)
        if parsed.type == "Microsoft.Resources/subscriptions":
            req.sim.ensure_subscription(
                parsed.name,
                (item.get("body") or {}).get("displayName", f"Subscription {parsed.name[:8]}"),
            )
        else:
            body = {
                "id": resource_id,
                "name": parsed.name,
                "type": parsed.type,
                **(item.get("body") or {}),
            }
            req.sim.store.put(resource_id, body)
        created.append(resource_id)
    return Response.created({"created": created})


@route("POST", "/_sim/reset", admin=True)
def reset(req: Request) -> Response:
    req.sim.reset()
    return Response.no_content()


def _clock(req: Request) -> dict[str, Any]:
    return {"now": req.sim.now().isoformat().replace("+00:00", "Z"), "scale": req.sim.scale}


@route("GET", "/_sim/clock", admin=True)
def get_clock(req: Request) -> Response:
    return Response.ok(_clock(req))


@route("POST", "/_sim/clock", admin=True)
def set_clock(req: Request) -> Response:
    body = _body(req)
    try:
        if body.get("scale") is not None:
            req.sim.clock.set_scale(float(body["scale"]))
        if body.get("advance_seconds") is not None:
            req.sim.clock.advance(float(body["advance_seconds"]))
    except (TypeError, ValueError) as error:
        raise ArmError(400, "InvalidClock", str(error)) from None
    return Response.ok(_clock(req))


@route("GET", "/_sim/state", admin=True)
def state(req: Request) -> Response:
    return Response.ok(req.sim.store.ids())


def _public(record: PrincipalRecord) -> dict[str, Any]:
    return {
        "client_id": record.client_id,
        "object_id": record.object_id,
        "tenant_id": record.tenant_id,
        "display_name": record.display_name,
        "kind": record.kind,
    }


@route("GET", "/_sim/principals", admin=True)
def list_principals(req: Request) -> Response:
    return Response.ok([_public(p) for p in req.sim.principals.all()])


@route("POST", "/_sim/principals", admin=True)
def add_principal(req: Request) -> Response:
    body = _body(req)
    record = PrincipalRecord(
        client_id=str(body.get("client_id") or uuid.uuid4()),
        object_id=str(body.get("object_id") or uuid.uuid4()),
        tenant_id=req.sim.tenant_id,
        display_name=str(body.get("display_name") or ""),
        secret=body.get("secret"),
        certificate_pems=list(body.get("certificates") or []),
    )
    req.sim.principals.add(record)
    return Response.created(_public(record))


@route("PATCH", "/_sim/principals/{clientId}", admin=True)
def update_principal(req: Request) -> Response:
    """Rotate (a new string) or revoke (null) a service principal's secret, as in Entra ID."""
    body = _body(req)
    record = req.sim.principals.by_client_id(req.params["clientId"])
    if record is None:
        raise ArmError(404, "PrincipalNotFound", f"no principal {req.params['clientId']}")
    if "secret" in body:
        secret = body["secret"]
        if secret is not None and (not isinstance(secret, str) or not secret):
            raise ArmError(400, "InvalidSecret", "secret must be a non-empty string or null")
        record.secret = secret
    req.sim.principals.add(record)
    return Response.ok(_public(record))


def _tokens(req: Request) -> dict[str, Any]:
    return {
        "lifetime_seconds": req.sim.tokens.lifetime,
        "expired_before": req.sim.tokens.expired_before or None,
    }


@route("GET", "/_sim/tokens", admin=True)
def get_tokens(req: Request) -> Response:
    return Response.ok(_tokens(req))


@route("POST", "/_sim/tokens", admin=True)
def set_tokens(req: Request) -> Response:
    """Token lifetime from now on (null: the default), and expiry of every token issued so far."""
    body = _body(req)
    if "lifetime_seconds" in body:
        lifetime = body["lifetime_seconds"]
        if lifetime is not None and (
            isinstance(lifetime, bool) or not isinstance(lifetime, int) or lifetime < 1
        ):
            raise ArmError(400, "InvalidLifetime", "lifetime_seconds must be a positive integer")
        req.sim.tokens.set_lifetime(lifetime)
    if body.get("expire_issued"):
        req.sim.tokens.expire_issued()
    return Response.ok(_tokens(req))
