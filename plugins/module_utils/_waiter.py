# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One way to wait: a deadline, a duration for the result, and a do-nothing waiter for check mode.

Long-running operations are polled by azure-core's pollers; this file only bounds them with a
deadline (``poller.result(timeout=...)`` returns silently while the operation still runs, so
``done()`` is checked). For things with no poller (replication, image builds),
:meth:`Waiter.poll_until` re-reads until a predicate holds, at the interval the service
suggests, backing off up to a ceiling.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class WaitTimeoutError(Exception):
    """The deadline passed; carries the last state seen so the module can report it."""

    def __init__(self, what: str, timeout: float, partial: Any = None) -> None:
        self.what = what
        self.timeout = timeout
        self.partial = partial
        super().__init__(f"Timed out after {timeout:g} seconds waiting for {what}.")


class Waiter:
    """A deadline of ``timeout`` seconds that starts when the waiter is created."""

    def __init__(
        self,
        timeout: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.timeout = timeout
        self._clock = clock
        self._sleep = sleep
        self._started = clock()

    @property
    def enabled(self) -> bool:
        """False for the check-mode waiter, which never waits."""
        return True

    @property
    def duration(self) -> float:
        """Seconds since the waiter started, rounded for the module result."""
        return round(self._clock() - self._started, 3)

    def remaining(self) -> float:
        """Seconds left before the deadline (never negative)."""
        return max(0.0, self.timeout - (self._clock() - self._started))

    def poller(self, poller: Any, what: str, partial: Callable[[], Any] | None = None) -> Any:
        """The result of an azure-core poller, or :class:`WaitTimeoutError` at the deadline."""
        poller.wait(timeout=self.remaining())
        if not poller.done():
            state = partial() if partial is not None else {"status": poller.status()}
            raise WaitTimeoutError(what, self.timeout, state)
        return poller.result()

    def poll_until(
        self,
        read: Callable[[], T],
        predicate: Callable[[T], bool],
        what: str,
        *,
        interval: float = 5.0,
        max_interval: float = 60.0,
        backoff: float = 1.5,
        suggested_interval: Callable[[T], float | None] | None = None,
        first_delay: float = 0.0,
    ) -> T:
        """Call ``read`` until ``predicate`` holds for its value; the last value on success.

        ``suggested_interval`` reads a Retry-After-like hint from a value; without one the
        interval grows by ``backoff`` up to ``max_interval``. ``first_delay`` seconds pass before
        the first read (what a service suggests an operation takes). The last value read is the
        partial state of the :class:`WaitTimeoutError`.
        """
        if first_delay > 0:
            self._sleep(min(first_delay, self.remaining()))
        delay = interval
        while True:
            value = read()
            if predicate(value):
                return value
            remaining = self.remaining()
            if remaining <= 0:
                raise WaitTimeoutError(what, self.timeout, value)
            hint = suggested_interval(value) if suggested_interval is not None else None
            pause = hint if hint is not None and hint > 0 else delay
            self._sleep(min(pause, remaining))
            delay = min(delay * backoff, max_interval)


class NoWaiter(Waiter):
    """Check mode (or ``wait: false``): nothing is awaited and the duration is zero."""

    def __init__(self) -> None:
        super().__init__(0.0)

    @property
    def enabled(self) -> bool:
        return False

    @property
    def duration(self) -> float:
        return 0.0

    def poller(self, poller: Any, what: str, partial: Callable[[], Any] | None = None) -> Any:
        """Do not wait: return None (the operation, if any, continues in Azure)."""
        return None

    def poll_until(
        self,
        read: Callable[[], T],
        predicate: Callable[[T], bool],
        what: str,
        *,
        interval: float = 5.0,
        max_interval: float = 60.0,
        backoff: float = 1.5,
        suggested_interval: Callable[[T], float | None] | None = None,
        first_delay: float = 0.0,
    ) -> T:
        """Read once, at once, and return the value without waiting for ``predicate``."""
        return read()


def make_waiter(check_mode: bool, wait: bool = True, timeout: float = 1800) -> Waiter:
    """The waiter a module should use for its options."""
    if check_mode or not wait:
        return NoWaiter()
    return Waiter(timeout)


def parse_retry_after(value: Any) -> float | None:
    """``Retry-After`` in seconds; HTTP dates and garbage are ignored (the caller backs off)."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds >= 0 else None
