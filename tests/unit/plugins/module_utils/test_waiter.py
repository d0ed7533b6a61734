# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deadlines on pollers, polling reads with backoff, and the check-mode waiter."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.goldenimage.azure.plugins.module_utils._waiter import (
    NoWaiter,
    Waiter,
    WaitTimeoutError,
    make_waiter,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class FakePoller:
    """Like azure-core's LROPoller: wait(timeout) returns silently while still running."""

    def __init__(self, clock: FakeClock, finishes_after: float, result: Any = "done") -> None:
        self.clock = clock
        self.finish_at = clock.now + finishes_after
        self._result = result

    def wait(self, timeout: float | None = None) -> None:
        self.clock.now = min(self.finish_at, self.clock.now + (timeout or 0))

    def done(self) -> bool:
        return self.clock.now >= self.finish_at

    def status(self) -> str:
        return "Succeeded" if self.done() else "InProgress"

    def result(self, timeout: float | None = None) -> Any:
        self.wait(timeout)
        return self._result if self.done() else None


def test_poller_finishing_in_time_returns_its_result_and_duration() -> None:
    clock = FakeClock()
    waiter = Waiter(60, clock=clock, sleep=clock.sleep)
    assert waiter.poller(FakePoller(clock, 12.5, {"name": "g"}), "gallery g") == {"name": "g"}
    assert waiter.duration == 12.5


def test_poller_past_the_deadline_fails_with_the_partial_state() -> None:
    clock = FakeClock()
    waiter = Waiter(30, clock=clock, sleep=clock.sleep)
    with pytest.raises(
        WaitTimeoutError, match="Timed out after 30 seconds waiting for gallery g"
    ) as raised:
        waiter.poller(FakePoller(clock, 90), "gallery g")
    assert raised.value.partial == {"status": "InProgress"}
    assert waiter.duration == 30


def test_partial_state_can_come_from_a_read() -> None:
    clock = FakeClock()
    waiter = Waiter(5, clock=clock, sleep=clock.sleep)
    with pytest.raises(WaitTimeoutError) as raised:
        waiter.poller(
            FakePoller(clock, 90), "x", partial=lambda: {"provisioning_state": "Creating"}
        )
    assert raised.value.partial == {"provisioning_state": "Creating"}


def test_poll_until_backs_off_and_honours_a_suggested_interval() -> None:
    clock = FakeClock()
    waiter = Waiter(1000, clock=clock, sleep=clock.sleep)
    states = iter(["Queued", "Running", "Running", "Running", "Succeeded"])
    hints = {"Queued": 2.0}
    value = waiter.poll_until(
        lambda: next(states),
        lambda state: state == "Succeeded",
        "build",
        interval=4,
        max_interval=8,
        backoff=2,
        suggested_interval=hints.get,
    )
    assert value == "Succeeded"
    assert clock.sleeps == [2.0, 8, 8, 8]


def test_poll_until_stops_at_the_deadline_with_the_last_value() -> None:
    clock = FakeClock()
    waiter = Waiter(10, clock=clock, sleep=clock.sleep)
    with pytest.raises(WaitTimeoutError) as raised:
        waiter.poll_until(
            lambda: {"state": "Replicating"}, lambda value: False, "replication", interval=4
        )
    assert raised.value.partial == {"state": "Replicating"}
    assert sum(clock.sleeps) == pytest.approx(10)


def test_poll_until_can_wait_before_its_first_read_within_the_deadline() -> None:
    clock = FakeClock()
    reads: list[float] = []
    waiter = Waiter(10, clock=clock, sleep=clock.sleep)
    waiter.poll_until(lambda: reads.append(clock.now), lambda value: True, "x", first_delay=3)
    assert reads == [103.0]
    late = Waiter(2, clock=clock, sleep=clock.sleep)
    with pytest.raises(WaitTimeoutError):
        late.poll_until(lambda: None, lambda value: False, "x", first_delay=30)
    assert clock.sleeps == [3, 2]  # never past the deadline


def test_check_mode_and_no_wait_never_wait() -> None:
    assert isinstance(make_waiter(check_mode=True), NoWaiter)
    assert isinstance(make_waiter(check_mode=False, wait=False), NoWaiter)
    waiter = make_waiter(check_mode=False, wait=True, timeout=5)
    assert waiter.enabled and waiter.timeout == 5
    idle = NoWaiter()
    assert idle.poller(object(), "x") is None and idle.duration == 0.0 and not idle.enabled
    assert idle.poll_until(lambda: 1, lambda value: False, "x") == 1
