"""The request and response objects handlers see."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict, CIMultiDictProxy

if TYPE_CHECKING:
    from azsim.core.sim import Sim


@dataclass(frozen=True)
class Principal:
    object_id: str
    client_id: str
    tenant_id: str
    display_name: str = ""


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    query: CIMultiDictProxy[str]
    api_version: str | None
    json: Any
    principal: Principal | None
    base_url: str
    sim: Sim
    headers: CIMultiDictProxy[str] = field(default_factory=lambda: CIMultiDictProxy(CIMultiDict()))
    form: dict[str, str] = field(default_factory=dict)  # url-encoded bodies (token requests)
    log_principal: str | None = None  # who the request log names, for non-ARM routes

    @property
    def resource_id(self) -> str:
        return self.path


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] | None = None
    # set by `sim.lro`: the id `sim.finish_operation` settles the operation by
    operation_id: str | None = None

    @classmethod
    def ok(cls, body: Any) -> Response:
        return cls(200, body)

    @classmethod
    def created(cls, body: Any) -> Response:
        return cls(201, body)

    @classmethod
    def accepted(cls, body: Any = None, headers: dict[str, str] | None = None) -> Response:
        return cls(202, body, headers)

    @classmethod
    def no_content(cls) -> Response:
        return cls(204)


def strip_internal(value: Any) -> Any:
    """Drop keys starting with `__` at any depth: they are stored, never sent."""
    if isinstance(value, dict):
        return {k: strip_internal(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [strip_internal(v) for v in value]
    return value
