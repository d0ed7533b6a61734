# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fakes at the Azure SDK's HTTP boundary: a transport answering with recorded-shape responses.

Everything above the transport (policies, retries, ARM polling, error mapping, the generated
clients) is the real azure-core / azure-mgmt code, so tests exercise it as Azure would.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    """One recorded-shape HTTP response."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def arm_error(status: int, code: str, message: str, request_id: str = "req-1") -> Reply:
    """An ARM error response as Azure sends it."""
    return Reply(
        status,
        {"error": {"code": code, "message": message}},
        {"x-ms-request-id": request_id, "Content-Type": "application/json"},
    )


@dataclass
class Route:
    method: str
    pattern: str
    replies: list[Reply]

    def matches(self, method: str, url: str) -> bool:
        return method.upper() == self.method.upper() and re.search(self.pattern, url) is not None


class FakeTransport:
    """An azure-core ``HttpTransport``: answers from routes, records every request.

    A route's replies are used in order; its last reply repeats.
    """

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.requests: list[Any] = []

    def add(self, method: str, pattern: str, *replies: Reply) -> FakeTransport:
        self.routes.append(Route(method, pattern, list(replies)))
        return self

    def calls(self, method: str | None = None) -> list[str]:
        return [
            f"{r.method} {r.url}" for r in self.requests if method is None or r.method == method
        ]

    # --- HttpTransport protocol ----------------------------------------------------------------

    def __enter__(self) -> FakeTransport:
        return self

    def __exit__(self, *args: Any) -> None:
        return None

    def open(self) -> None:
        return None

    def close(self) -> None:
        return None

    def sleep(self, duration: float) -> None:
        time.sleep(min(duration, 0.01))  # keep tests fast even when Azure asks to wait

    def send(self, request: Any, **kwargs: Any) -> Any:
        self.requests.append(request)
        reply = self._reply_for(request)
        return _response(request, reply)

    def _reply_for(self, request: Any) -> Reply:
        for route in self.routes:
            if route.matches(request.method, request.url):
                return route.replies.pop(0) if len(route.replies) > 1 else route.replies[0]
        return arm_error(
            599, "UnexpectedRequest", f"No fake route for {request.method} {request.url}"
        )


def _response(request: Any, reply: Reply) -> Any:
    import requests
    from azure.core.pipeline.transport._requests_basic import RequestsTransportResponse
    from azure.core.rest import HttpRequest as RestHttpRequest
    from azure.core.rest._requests_basic import RestRequestsTransportResponse

    raw = requests.Response()
    raw.status_code = reply.status
    raw.url = request.url
    raw.reason = "Fake"
    headers = {"Content-Type": "application/json", **reply.headers}
    raw.headers.update(headers)
    # A readable stream, as urllib3 gives requests, so azure-core can stream or read it.
    raw.raw = io.BytesIO(b"" if reply.body is None else json.dumps(reply.body).encode("utf-8"))
    if isinstance(request, RestHttpRequest):
        return RestRequestsTransportResponse(request=request, internal_response=raw)
    return RequestsTransportResponse(request, raw)


class FakeCredential:
    """A TokenCredential that counts token requests."""

    def __init__(self, token: str = "fake-token") -> None:
        self.token = token
        self.requests: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        self.requests.append(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)


def page(items: Iterable[dict[str, Any]], next_link: str | None = None) -> Reply:
    body: dict[str, Any] = {"value": list(items)}
    if next_link:
        body["nextLink"] = next_link
    return Reply(200, body)


def fake_azure(
    monkeypatch: Any, config_dir: Any, subscription_id: str, secret: str = "s3cret"
) -> FakeTransport:
    """An AWX-style service principal environment, a fake credential, and a fake transport
    under every module's real pipeline; returns the transport for the test's routes."""
    import os

    from ansible_collections.goldenimage.azure.plugins.module_utils import _module

    for name in list(os.environ):
        if name.startswith(("AZURE_", "IDENTITY_", "MSI_")):
            monkeypatch.delenv(name)
    for name, value in {
        "AZURE_SUBSCRIPTION_ID": subscription_id,
        "AZURE_CLIENT_ID": "app-1",
        "AZURE_SECRET": secret,
        "AZURE_TENANT": "tenant-1",
        "AZURE_CONFIG_DIR": str(config_dir),
    }.items():
        monkeypatch.setenv(name, value)
    transport = FakeTransport()
    monkeypatch.setattr(_module.AzureModule, "transport", transport)
    monkeypatch.setattr(_module, "build_credential", lambda *args: FakeCredential())
    return transport
