"""List responses with `value` and `nextLink`, as ARM pages them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from azsim.core.errors import ArmError
from azsim.core.http import Request, Response
from azsim.core.routing import route

PAGE_SIZE = 100


def _int_param(req: Request, name: str, default: int) -> int:
    raw = req.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ArmError(
            400,
            "InvalidQueryParameterValue",
            f"The value '{raw}' of query parameter '{name}' is invalid.",
        ) from None
    if value < 0:
        raise ArmError(
            400,
            "InvalidQueryParameterValue",
            f"The value '{raw}' of query parameter '{name}' is invalid.",
        )
    return value


def page(req: Request, items: list[Any]) -> Response:
    size = min(_int_param(req, "$top", PAGE_SIZE), PAGE_SIZE) or PAGE_SIZE
    start = _int_param(req, "$skiptoken", 0)
    body: dict[str, Any] = {"value": items[start : start + size]}
    if start + size < len(items):
        query = [(k, v) for k, v in req.query.items() if k.lower() != "$skiptoken"]
        query.append(("$skiptoken", str(start + size)))
        body["nextLink"] = f"{req.base_url}{req.path}?{urlencode(query)}"
    return Response(200, body)


GROUP_SCOPE = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
SUBSCRIPTION_SCOPE = "/subscriptions/{subscriptionId}"


def list_routes(
    resource_type: str,
    *,
    api_versions: Iterable[str],
    action: str,
    view: Callable[[dict[str, Any]], Any] | None = None,
) -> None:
    """Register the two lists ARM serves for a top-level resource type: GET of
    `<group>/providers/<type>` and `<subscription>/providers/<type>`, each a page of the stored
    resources of that type under that scope in id order, passed through `view` when given.

    The server has checked that the subscription and resource group exist before a handler
    runs, so the lists need no check of their own."""
    versions = tuple(api_versions)

    def register(scope_template: str, suffix: str) -> None:
        @route("GET", f"{scope_template}/providers/{resource_type}", api_versions=versions,
               action=action)  # fmt: skip
        def handler(req: Request) -> Response:
            scope = scope_template.format(**req.params)
            items = req.sim.store.by_type(resource_type, scope)
            return page(req, [view(item) for item in items] if view else items)

        handler.__name__ = f"list_{resource_type.rsplit('/', 1)[-1]}{suffix}"

    register(GROUP_SCOPE, "_in_group")
    register(SUBSCRIPTION_SCOPE, "")
