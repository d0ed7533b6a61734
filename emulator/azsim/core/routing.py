"""Route and event registries filled by the provider modules' decorators."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from azsim.core.http import Request, Response

Handler = Callable[[Request], Response]
EventHandler = Callable[..., Any]

_PLACEHOLDER = re.compile(r"^\{(\w+)\}$")


@dataclass
class Route:
    method: str
    template: str
    handler: Handler
    api_versions: frozenset[str] | None
    action: str | None
    admin: bool
    kind: str
    regex: re.Pattern[str]
    segment_count: int
    literal_count: int

    def action_for(self, params: dict[str, str]) -> str | None:
        """The action, with `{capture}` placeholders filled from the path."""
        if self.action is None or "{" not in self.action:
            return self.action
        return self.action.format(**params)


_SCOPE_PLACEHOLDER = re.compile(r"^\{(\w+):path\}$")
ANY_DEPTH = -1  # segment count of templates that start with a `{name:path}` capture


def _compile(template: str) -> tuple[re.Pattern[str], int, int]:
    """`{name}` captures one segment; a leading `{name:path}` captures any number of them
    (an ARM scope: "", "/subscriptions/s", "/subscriptions/s/resourceGroups/g/...")."""
    parts = [p for p in template.strip("/").split("/") if p]
    prefix = ""
    if parts and (scope := _SCOPE_PLACEHOLDER.match(parts[0])):
        prefix = f"(?P<{scope.group(1)}>(?:/[^/]+)*?)"
        parts = parts[1:]
    pattern: list[str] = []
    literals = 0
    for part in parts:
        match = _PLACEHOLDER.match(part)
        if match:
            pattern.append(f"(?P<{match.group(1)}>[^/]+)")
        else:
            pattern.append(re.escape(part))
            literals += 1
    regex = re.compile("^" + prefix + "/" + "/".join(pattern) + "/?$", re.IGNORECASE)
    return regex, ANY_DEPTH if prefix else len(parts), literals


ROUTES: list[Route] = []
EVENTS: dict[str, EventHandler] = {}


def route(
    method: str,
    template: str,
    *,
    api_versions: Iterable[str] | None = None,
    action: str | None = None,
    admin: bool = False,
    kind: str = "arm",
) -> Callable[[Handler], Handler]:
    """Register a handler for `method` on `template`.

    `admin=True` puts the route in the admin API: no authentication, no api-version,
    logged with kind `admin`. `kind` is the request log's label for other non-ARM routes
    (`token`, `metadata`); only `arm` routes are authenticated and authorised.
    """

    def register(handler: Handler) -> Handler:
        regex, count, literals = _compile(template)
        ROUTES.append(
            Route(
                method=method.upper(),
                template=template,
                handler=handler,
                api_versions=frozenset(api_versions) if api_versions is not None else None,
                action=action,
                admin=admin,
                kind="admin" if admin else kind,
                regex=regex,
                segment_count=count,
                literal_count=literals,
            )
        )
        _INDEX.clear()
        return handler

    return register


def event(name: str) -> Callable[[EventHandler], EventHandler]:
    """Register a persistent timed event handler `handler(sim, **kwargs)` under `name`."""

    def register(handler: EventHandler) -> EventHandler:
        EVENTS[name] = handler
        handler.__azsim_event__ = name  # type: ignore[attr-defined]
        return handler

    return register


DeleteHook = Callable[[Any, dict[str, Any]], None]
DELETE_HOOKS: dict[str, list[DeleteHook]] = {}


def on_delete(resource_type: str) -> Callable[[DeleteHook], DeleteHook]:
    """Register `hook(sim, resource)`, called before a resource of `resource_type` is removed
    by the deletion of a scope above it (a resource group), to remove what Azure removes with
    it outside that scope."""

    def register(hook: DeleteHook) -> DeleteHook:
        DELETE_HOOKS.setdefault(resource_type.lower(), []).append(hook)
        return hook

    return register


def event_name(handler_or_name: str | EventHandler) -> str:
    if isinstance(handler_or_name, str):
        return handler_or_name
    name = getattr(handler_or_name, "__azsim_event__", None)
    if name is None:
        raise ValueError(f"{handler_or_name!r} is not registered with @event")
    return name


_INDEX: dict[int, list[Route]] = {}


def _routes_with(segment_count: int) -> list[Route]:
    if not _INDEX:
        for r in sorted(ROUTES, key=lambda r: -r.literal_count):
            _INDEX.setdefault(r.segment_count, []).append(r)
    return _INDEX.get(segment_count, [])


@dataclass
class Match:
    route: Route | None
    params: dict[str, str]
    path_known: bool  # the path matched some route, maybe with another method


def match(method: str, path: str) -> Match:
    count = len([p for p in path.strip("/").split("/") if p])
    path_known = False
    head_fallback: Match | None = None
    for candidate in [*_routes_with(count), *_routes_with(ANY_DEPTH)]:
        found = candidate.regex.match(path)
        if not found:
            continue
        if candidate.method == method:
            return Match(candidate, found.groupdict(), True)
        if method == "HEAD" and candidate.method == "GET" and head_fallback is None:
            head_fallback = Match(candidate, found.groupdict(), True)
        path_known = True
    return head_fallback or Match(None, {}, path_known)


def admin_records(path: str, record_type: str) -> None:
    """Register GET (`{"value": [...]}`, every stored record of `record_type`) and DELETE (remove
    them all, 204) on the admin path `path`, for records the admin API adds with a POST of its
    own there, such as failure rules."""

    @route("GET", path, admin=True)
    def list_records(req: Request) -> Response:
        return Response.ok({"value": req.sim.store.by_type(record_type)})

    @route("DELETE", path, admin=True)
    def clear_records(req: Request) -> Response:
        for record in req.sim.store.by_type(record_type):
            req.sim.store.delete(record["id"])
        return Response.no_content()
