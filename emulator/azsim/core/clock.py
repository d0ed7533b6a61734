"""The simulated clock: it keeps running while the server is down, as Azure's does."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from azsim.core.store import Settings

DEFAULT_SCALE = 60.0


class Clock:
    """Simulated time = anchor + (real elapsed since anchor) x scale, anchor persisted."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        anchor = settings.get("clock")
        if anchor is None:
            now = time.time()
            anchor = {"sim": now, "real": now, "scale": DEFAULT_SCALE}
            settings.set("clock", anchor)
        self._sim_anchor: float = anchor["sim"]
        self._real_anchor: float = anchor["real"]
        self._scale: float = anchor["scale"]

    @property
    def scale(self) -> float:
        return self._scale

    def epoch(self) -> float:
        return self._sim_anchor + (time.time() - self._real_anchor) * self._scale

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.epoch(), UTC)

    def set_scale(self, scale: float) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self._reanchor(self.epoch(), scale)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._reanchor(self.epoch() + seconds, self._scale)

    def real_seconds(self, simulated_seconds: float) -> float:
        return simulated_seconds / self._scale

    def _reanchor(self, sim_epoch: float, scale: float) -> None:
        self._sim_anchor, self._real_anchor, self._scale = sim_epoch, time.time(), scale
        self._settings.set(
            "clock", {"sim": self._sim_anchor, "real": self._real_anchor, "scale": scale}
        )


def iso(moment: datetime) -> str:
    """ARM's timestamp format: ISO 8601 with 7 fractional digits and `Z`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
