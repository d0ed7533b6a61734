# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fake of the collection's ARM client (``module.arm``), for module tests above the wire.

Handlers registered per method and path pattern answer with ARM-shaped JSON; every call is
recorded as ``(method, path)`` with its api-version and body. Errors are azure-core's own
exceptions, so the modules' error handling is the real one. Tests of the wire format itself
(URLs, polling, paging) use the real ``ArmClient`` over ``azure_fakes.FakeTransport``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

# What ARM accepts per resource type (the stand-in answers 400 to anything else).
API_VERSIONS: dict[str, str] = {
    "/resourcegroups/[^/]+$": "2022-09-01",
    "/providers/microsoft.compute/galleries": "2026-03-03",
    "/providers/microsoft.compute/images": "2026-04-01",
    "/providers/microsoft.compute/virtualmachines": "2026-04-01",
    "/providers/microsoft.compute/(disks|snapshots)": "2026-03-02",
}

Handler = Callable[..., Any]


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    api_version: str | None
    body: Any = None

    @property
    def request(self) -> tuple[str, str]:
        return (self.method, self.path)


class Calls(list[Call]):
    def requests(self, start: int = 0) -> list[tuple[str, str]]:
        """``(method, path)`` of every call from ``start`` on."""
        return [call.request for call in self[start:]]

    def writes(self, start: int = 0) -> list[Call]:
        return [call for call in self[start:] if call.method != "GET"]


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


@dataclass
class FakePoller:
    """Finished at once: the operation's result is known when it starts."""

    value: Any
    waited: list[float | None] = field(default_factory=list)

    def wait(self, timeout: float | None = None) -> None:
        self.waited.append(timeout)

    def done(self) -> bool:
        return True

    def status(self) -> str:
        return "Succeeded"

    def result(self, timeout: float | None = None) -> Any:
        return self.value


def not_found(path: str) -> ResourceNotFoundError:
    error = ResourceNotFoundError(message=f"The Resource '{path}' was not found.")
    error.status_code = 404
    return error


def refused(status: int, message: str) -> HttpResponseError:
    error = HttpResponseError(message=message)
    error.status_code = status
    return error


class FakeArm:
    """The ``ArmClient`` interface: get, list, begin, request and the verbs."""

    def __init__(self) -> None:
        self.calls = Calls()
        self.routes: list[Route] = []

    def on(self, method: str, pattern: str, handler: Handler) -> FakeArm:
        """Answer ``method`` on paths matching ``pattern`` with ``handler(path, body, match)``.

        Routes added later win, so a test can override one answer (e.g. with an error).
        """
        self.routes.insert(0, Route(method.upper(), re.compile(pattern, re.IGNORECASE), handler))
        return self

    def fail(self, method: str, pattern: str, error: Exception) -> FakeArm:
        def raise_it(path: str, body: Any, match: re.Match[str]) -> Any:
            raise error

        return self.on(method, pattern, raise_it)

    def _answer(self, method: str, path: str, api_version: str | None, body: Any) -> Any:
        self.calls.append(Call(method, path, api_version, body))
        resource = path.split("?")[0]
        for expected_pattern, expected in API_VERSIONS.items():
            if re.search(expected_pattern, resource, re.IGNORECASE) and api_version != expected:
                raise refused(400, f"InvalidApiVersionParameter: {api_version} for {resource}")
        for route in self.routes:
            match = route.pattern.search(path)
            if route.method == method and match:
                return route.handler(path, body, match)
        raise refused(599, f"No fake route for {method} {path}")

    # --- the ArmClient interface ---------------------------------------------------------------

    def request(self, method: str, path: str, api_version: str, body: Any = None) -> Any:
        return self._answer(method.upper(), path, api_version, body)

    def get(self, path: str, api_version: str) -> Any:
        return self.request("GET", path, api_version)

    def put(self, path: str, api_version: str, body: Any) -> Any:
        return self.request("PUT", path, api_version, body)

    def patch(self, path: str, api_version: str, body: Any) -> Any:
        return self.request("PATCH", path, api_version, body)

    def delete(self, path: str, api_version: str) -> Any:
        return self.request("DELETE", path, api_version)

    def post(self, path: str, api_version: str, body: Any = None) -> Any:
        return self.request("POST", path, api_version, body)

    def list(self, path: str, api_version: str) -> Iterator[dict[str, Any]]:
        # A generator, like the real one: nothing is sent until the caller iterates.
        yield from self._answer("GET", path, api_version, None) or []

    def send(self, method: str, path: str, api_version: str | None, body: Any = None) -> Any:
        """The pipeline response of one request: 204 when the handler answered nothing.

        A handler that finished the work at once answers like Azure does for a synchronous
        operation, so a caller that reads the status sees it done.
        """
        answer = self._answer(method.upper(), path, api_version, body)
        status = 204 if answer is None else 200
        return SimpleNamespace(
            http_response=SimpleNamespace(status_code=status, headers={}, json=lambda: answer)
        )

    def begin(self, method: str, path: str, api_version: str, body: Any = None) -> FakePoller:
        value = self._answer(method.upper(), path, api_version, body)
        return FakePoller(None if method.upper() == "DELETE" else value)
