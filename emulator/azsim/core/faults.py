"""Injected failures: a status (with Retry-After), a reset connection, or added latency."""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from azsim.core.errors import ArmError

DEFAULT_CODES = {
    400: "BadRequest",
    404: "NotFound",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


@dataclass
class FaultRule:
    method: str | None
    path: re.Pattern[str]
    status: int | None
    retry_after: int | None
    reset: bool
    latency_ms: float
    count: int | None
    probability: float | None
    error_code: str | None
    message: str | None
    rng: random.Random
    id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @classmethod
    def from_json(cls, spec: dict[str, Any]) -> FaultRule:
        retry_after = spec.get("retry_after")
        if retry_after is not None and not isinstance(retry_after, int):
            raise ArmError(400, "InvalidFault", "retry_after must be an integer")
        status = spec.get("status")
        if status is not None and not (isinstance(status, int) and 400 <= status <= 599):
            raise ArmError(400, "InvalidFault", "status must be an integer from 400 to 599")
        if status is None and not spec.get("reset") and not spec.get("latency_ms"):
            raise ArmError(400, "InvalidFault", "give status, reset or latency_ms")
        try:
            path = re.compile(spec.get("path") or ".*", re.IGNORECASE)
        except re.error as error:
            raise ArmError(400, "InvalidFault", f"path is not a regex: {error}") from None
        return cls(
            method=(spec.get("method") or "").upper() or None,
            path=path,
            status=status,
            retry_after=retry_after,
            reset=bool(spec.get("reset")),
            latency_ms=float(spec.get("latency_ms") or 0),
            count=spec.get("count"),
            probability=spec.get("probability"),
            error_code=spec.get("error_code"),
            message=spec.get("message"),
            rng=random.Random(spec.get("seed")),
        )

    def error(self) -> ArmError:
        assert self.status is not None
        code = self.error_code or DEFAULT_CODES.get(self.status, "InjectedFault")
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
        return ArmError(
            self.status, code, self.message or f"Injected fault: {code}.", headers=headers
        )


class Faults:
    def __init__(self) -> None:
        self.rules: list[FaultRule] = []

    def add(self, spec: dict[str, Any]) -> FaultRule:
        rule = FaultRule.from_json(spec)
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        self.rules.clear()

    def seed(self, seed: int | None) -> None:
        for rule in self.rules:
            rule.rng.seed(seed)

    def pick(self, method: str, path: str) -> FaultRule | None:
        """The first rule that fires for this request; its count goes down by one."""
        for rule in list(self.rules):
            if rule.method and rule.method != method:
                continue
            if not rule.path.search(path):
                continue
            if rule.probability is not None and rule.rng.random() >= rule.probability:
                continue
            if rule.count is not None:
                rule.count -= 1
                if rule.count <= 0:
                    self.rules.remove(rule)
            return rule
        return None
