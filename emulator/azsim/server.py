"""The aiohttp application: one handler that authenticates, authorises and dispatches."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import struct
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from azsim import admin, identity, providers  # noqa: F401  (their routes register on import)
from azsim.core import ArmError, Request, Response, Sim, ids
from azsim.core.errors import resource_group_not_found, subscription_not_found
from azsim.core.faults import FaultRule, Faults
from azsim.core.http import strip_internal
from azsim.core.requestlog import RequestLog
from azsim.core.routing import Route, match

log = logging.getLogger("azsim")
TICK_SECONDS = 0.2


@dataclass
class Outcome:
    response: Response
    api_version: str | None
    principal: str | None
    kind: str


class Application:
    def __init__(self, sim: Sim) -> None:
        providers.load_all()
        self.sim = sim
        sim.request_log = sim.request_log or RequestLog()
        sim.faults = sim.faults or Faults()
        self._tick_task: asyncio.Task[None] | None = None

    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        app.on_startup.append(self._start_ticking)
        app.on_cleanup.append(self._stop_ticking)
        return app

    # -- background events ------------------------------------------------------------------
    async def _start_ticking(self, _app: web.Application) -> None:
        self._tick_task = asyncio.create_task(self._tick())

    async def _stop_ticking(self, _app: web.Application) -> None:
        if self._tick_task:
            self._tick_task.cancel()

    async def _tick(self) -> None:
        while True:
            wait = self.sim.seconds_until_next_event()
            await asyncio.sleep(TICK_SECONDS if wait is None else min(TICK_SECONDS, wait))
            try:
                self.sim.run_due_events()
            except Exception:
                log.exception("running due events failed")

    # -- requests ---------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        path = request.path
        found = match(request.method, path)
        kind = self._kind(path, found.route)
        rule = self.sim.faults.pick(request.method, path) if kind != "admin" else None
        if rule is not None and rule.latency_ms:
            await asyncio.sleep(rule.latency_ms / 1000)
        if rule is not None and rule.reset:
            _reset_connection(request)
            outcome = Outcome(Response(0), request.query.get("api-version"), None, kind)
            self._log(request, outcome, started)
            raise ConnectionResetError("injected reset")
        body = await request.read()
        outcome = self._process(
            request, body, found.route, found.params, found.path_known, kind, rule
        )
        self._log(request, outcome, started)
        return self._to_web(request, outcome.response)

    def _kind(self, path: str, found: Route | None) -> str:
        if found is not None:
            return found.kind
        if path.lower().startswith("/_sim/"):
            return "admin"
        return "arm"

    def _process(
        self,
        request: web.Request,
        body: bytes,
        found: Route | None,
        params: dict[str, str],
        path_known: bool,
        kind: str,
        rule: FaultRule | None,
    ) -> Outcome:
        api_version = _query(request).get("api-version")
        req: Request | None = None
        try:
            if rule is not None and rule.status is not None:
                raise rule.error()
            self.sim.run_due_events()
            req = self._request(request, body, params, api_version)
            if kind == "arm":
                response = self._arm(req, found, path_known)
            elif found is None:
                raise _unknown_route(request.path, api_version, path_known)
            else:
                with self.sim.transaction():
                    response = found.handler(req)
        except ArmError as error:
            response = Response(error.status, error.body(), dict(error.headers))
        except Exception:
            log.exception("%s %s failed", request.method, request.path)
            response = Response(
                500,
                {
                    "error": {
                        "code": "InternalServerError",
                        "message": "Encountered internal server error.",
                    }
                },
            )
        principal = None
        if req is not None:
            principal = req.principal.client_id if req.principal else req.log_principal
        return Outcome(response, api_version, principal, kind)

    def _request(
        self, request: web.Request, body: bytes, params: dict[str, str], api_version: str | None
    ) -> Request:
        form: dict[str, str] = {}
        parsed: Any = {}
        if request.content_type == "application/x-www-form-urlencoded":
            form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        elif body.strip():
            try:
                parsed = json.loads(body)
            except ValueError as error:
                raise ArmError(
                    400,
                    "InvalidRequestContent",
                    f"The request content was invalid and could not be deserialized: '{error}'.",
                ) from None
        return Request(
            method=request.method,
            path=request.path,
            params=params,
            query=_query(request),
            api_version=api_version,
            json=parsed,
            principal=None,
            base_url=f"https://{request.host}",
            sim=self.sim,
            headers=request.headers,
            form=form,
        )

    def _arm(self, req: Request, found: Route | None, path_known: bool) -> Response:
        """ARM's order: api-version present, token, route, api-version known, access, scope."""
        if not req.api_version:
            raise ArmError(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        login = f"{req.base_url}/{self.sim.tenant_id}"
        req.principal = self.sim.tokens.authenticate(
            req.headers.get("Authorization"), req.base_url, login
        )
        if found is None:
            raise _unknown_route(req.path, req.api_version, path_known)
        _check_api_version(req, found)
        action = found.action_for(req.params)
        if action:
            self.sim.authz.check(req.principal.object_id, action, req.path)
        self._check_scope_exists(req.path, req.method)
        with self.sim.transaction():
            return found.handler(req)

    def _check_scope_exists(self, path: str, method: str) -> None:
        segments = [s for s in path.strip("/").split("/") if s]
        if len(segments) < 2 or segments[0].lower() != "subscriptions":
            return
        if self.sim.store.get(f"/subscriptions/{segments[1]}") is None:
            raise subscription_not_found(segments[1])
        if len(segments) > 4 and segments[2].lower() == "resourcegroups":
            group_id = "/" + "/".join(segments[:4])
            group = self.sim.store.get(group_id)
            if group is None:
                raise resource_group_not_found(segments[3])
            deleting = group.get("properties", {}).get("provisioningState") == "Deleting"
            if deleting and method in ("PUT", "PATCH", "POST"):
                raise ArmError(
                    409,
                    "ResourceGroupBeingDeleted",
                    f"The resource group '{segments[3]}' is in deprovisioning state and cannot "
                    "perform this operation.",
                )

    def _log(self, request: web.Request, outcome: Outcome, started: float) -> None:
        self.sim.request_log.add(
            method=request.method,
            host=request.host,
            path=request.path,
            api_version=outcome.api_version,
            status=outcome.response.status,
            duration_ms=(time.perf_counter() - started) * 1000,
            principal=outcome.principal,
            kind=outcome.kind,
        )

    def _to_web(self, request: web.Request, response: Response) -> web.Response:
        headers = {
            "x-ms-request-id": str(uuid.uuid4()),
            "x-ms-correlation-request-id": request.headers.get(
                "x-ms-correlation-request-id", str(uuid.uuid4())
            ),
        }
        client_request_id = request.headers.get("x-ms-client-request-id")
        if client_request_id:
            headers["x-ms-client-request-id"] = client_request_id
        headers.update(response.headers or {})
        if response.body is None or response.status == 204 or request.method == "HEAD":
            return web.Response(status=response.status, headers=headers)
        headers["Content-Type"] = "application/json; charset=utf-8"
        return web.Response(
            status=response.status,
            body=json.dumps(strip_internal(response.body)).encode(),
            headers=headers,
        )


def _query(request: web.Request) -> CIMultiDictProxy[str]:
    return CIMultiDictProxy(CIMultiDict(request.query))


def _check_api_version(req: Request, found: Route) -> None:
    if found.api_versions is None or req.api_version in found.api_versions:
        return
    supported = ", ".join(sorted(found.api_versions, reverse=True))
    parsed = ids.parse(req.path)
    if parsed.namespace is None or parsed.namespace.lower() == "microsoft.resources":
        raise ArmError(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{req.api_version}' is invalid. The supported versions are "
            f"'{supported}'. The supported locations are ''.",
        )
    location = req.json.get("location") if isinstance(req.json, dict) else None
    resource_type = parsed.type.split("/", 1)[-1]
    raise ArmError(
        400,
        "NoRegisteredProviderFound",
        f"No registered resource provider found for location '{location or 'eastus'}' and API "
        f"version '{req.api_version}' for type '{resource_type}'. The supported api-versions "
        f"are '{supported}'. The supported locations are '{', '.join(sorted(Sim.locations))}'.",
    )


def _unknown_route(path: str, api_version: str | None, path_known: bool) -> ArmError:
    if path_known:
        return ArmError(405, "MethodNotAllowed", "The requested method is not allowed.")
    parsed = ids.parse(path)
    if parsed.namespace:
        resource_type = parsed.type.split("/", 1)[-1]
        return ArmError(
            404,
            "InvalidResourceType",
            f"The resource type '{resource_type}' could not be found in the namespace "
            f"'{parsed.namespace}' for api version '{api_version}'.",
        )
    return ArmError(404, "ResourceNotFound", f"The requested resource '{path}' was not found.")


def _reset_connection(request: web.Request) -> None:
    """Close with a TCP reset (SO_LINGER 0) instead of an orderly shutdown."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()
