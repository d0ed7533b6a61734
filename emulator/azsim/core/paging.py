"""List responses with `value` and `nextLink`, as ARM pages them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from azsim.core.errors import ArmError
from azsim.core.http import Request, Response

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
