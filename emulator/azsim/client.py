"""A small standard-library client for the `/_sim/` admin API, for tests and benchmarks."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

# Kept here rather than imported so the client needs nothing beyond the standard library.
WRITE_METHODS = frozenset({"PUT", "PATCH", "DELETE", "POST"})


class AdminError(RuntimeError):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"admin API answered {status}: {body}")
        self.status = status
        self.body = body


class AdminClient:
    def __init__(self, url: str, ca_file: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self._context = ssl.create_default_context(cafile=ca_file)
        self._timeout = timeout
        # the admin API is loopback: never send it through a proxy from the environment
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=self._context)
        )

    @classmethod
    def from_info(cls, info: dict[str, Any]) -> AdminClient:
        """From the contents of azsim.json."""
        return cls(info["url"], info["ca_file"])

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.url}/_sim/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data is not None else {},
        )
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as error:
            raise AdminError(error.code, error.read().decode()) from None
        return json.loads(text) if text else None

    # -- request log --------------------------------------------------------------------------
    def requests(self, since: int | None = None) -> list[dict[str, Any]]:
        query = f"?{urlencode({'since': since})}" if since is not None else ""
        return self._call("GET", f"requests{query}")

    def clear_requests(self) -> None:
        self._call("DELETE", "requests")

    def last_seq(self) -> int:
        """The newest log entry's sequence number (0 when the log is empty)."""
        entries = self.requests()
        return entries[-1]["seq"] if entries else 0

    def writes(self, since: int | None = None) -> list[dict[str, Any]]:
        """ARM PUT / PATCH / DELETE / POST entries: empty means nothing was changed."""
        return [
            e for e in self.requests(since) if e["kind"] == "arm" and e["method"] in WRITE_METHODS
        ]

    # -- faults ---------------------------------------------------------------------------------
    def add_fault(
        self,
        path: str,
        *,
        method: str | None = None,
        status: int | None = None,
        retry_after: int | None = None,
        reset: bool = False,
        latency_ms: float = 0,
        count: int | None = None,
        probability: float | None = None,
        seed: int | None = None,
        error_code: str | None = None,
        message: str | None = None,
    ) -> str:
        spec = {
            "method": method,
            "path": path,
            "status": status,
            "retry_after": retry_after,
            "reset": reset,
            "latency_ms": latency_ms,
            "count": count,
            "probability": probability,
            "seed": seed,
            "error_code": error_code,
            "message": message,
        }
        return self._call("POST", "faults", {k: v for k, v in spec.items() if v is not None})["id"]

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "faults")

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    # -- state ------------------------------------------------------------------------------------
    def seed(self, resources: list[dict[str, Any]]) -> list[str]:
        return self._call("POST", "seed", {"resources": resources})["created"]

    def reset(self) -> None:
        self._call("POST", "reset", {})

    def state(self) -> list[str]:
        return self._call("GET", "state")

    # -- clock --------------------------------------------------------------------------------------
    def clock(self) -> dict[str, Any]:
        return self._call("GET", "clock")

    def advance(self, seconds: float) -> dict[str, Any]:
        return self._call("POST", "clock", {"advance_seconds": seconds})

    def set_scale(self, scale: float) -> dict[str, Any]:
        return self._call("POST", "clock", {"scale": scale})

    # -- principals ---------------------------------------------------------------------------------
    def principals(self) -> list[dict[str, Any]]:
        return self._call("GET", "principals")

    def add_principal(
        self,
        client_id: str | None = None,
        secret: str | None = None,
        object_id: str | None = None,
        display_name: str | None = None,
    ) -> dict[str, Any]:
        spec = {
            "client_id": client_id,
            "secret": secret,
            "object_id": object_id,
            "display_name": display_name,
        }
        return self._call("POST", "principals", {k: v for k, v in spec.items() if v is not None})

    # -- provider extensions -----------------------------------------------------------------------
    def call(self, method: str, path: str, body: Any = None) -> Any:
        """Any other admin route, e.g. `call("POST", "imagebuilder/failures", {...})`."""
        return self._call(method, path.lstrip("/"), body)
