"""Unit tests of the build state machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from azsim.providers import builds

STARTED = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
GALLERY_IMAGE = (
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i"
)


def properties(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "source": {
            "type": "PlatformImage",
            "publisher": "Canonical",
            "offer": "o",
            "sku": "s",
            "version": "latest",
        },
        "customize": [{"type": "Shell", "inline": ["true"]}],
        "distribute": [
            {
                "type": "SharedImage",
                "galleryImageId": GALLERY_IMAGE,
                "runOutputName": "sig",
                "targetRegions": [{"name": "eastus"}, {"name": "westus"}],
            },
            {"type": "VHD", "runOutputName": "vhd"},
        ],
        "buildTimeoutInMinutes": 0,
    }
    base.update(extra)
    return base


def sub_states(props: dict[str, Any]) -> list[str]:
    return [phase.sub_state for phase in builds.plan_phases(props)]


def test_plain_build_phases_and_realistic_duration() -> None:
    phases = builds.plan_phases(properties())
    assert [p.sub_state for p in phases] == ["Queued", "Building", "Customizing", "Distributing"]
    total = sum(p.seconds for p in phases)
    assert 15 * 60 <= total <= 60 * 60


def test_optimizing_and_validating_only_when_configured() -> None:
    props = properties(
        optimize={"vmBoot": {"state": "Enabled"}},
        validate={"inVMValidations": [{"type": "Shell", "inline": ["true"]}]},
    )
    assert sub_states(props) == [
        "Queued",
        "Building",
        "Customizing",
        "Optimizing",
        "Validating",
        "Distributing",
    ]
    props["optimize"] = {"vmBoot": {"state": "Disabled"}}
    assert "Optimizing" not in sub_states(props)


def test_source_validation_only_skips_customizing_and_distributing() -> None:
    props = properties(
        customize=[],
        validate={
            "sourceValidationOnly": True,
            "inVMValidations": [{"type": "Shell", "inline": ["x"]}],
        },
    )
    assert sub_states(props) == ["Queued", "Building", "Validating"]


def test_windows_updates_take_longer() -> None:
    linux = sum(p.seconds for p in builds.plan_phases(properties()))
    windows = properties(
        source={"type": "PlatformImage", "publisher": "MicrosoftWindowsServer"},
        customize=[{"type": "WindowsUpdate"}, {"type": "WindowsRestart"}],
    )
    assert sum(p.seconds for p in builds.plan_phases(windows)) > linux + 20 * 60


def test_new_run_walks_the_phases_in_order() -> None:
    run = builds.new_run(properties(), "run-1", STARTED)
    assert not run["timedOut"]
    seen = [builds.current_sub_state(run)]
    while not builds.is_last_phase(run):
        run = builds.advance(run)
        seen.append(builds.current_sub_state(run))
    assert seen == ["Queued", "Building", "Customizing", "Distributing"]
    assert builds.phase_end_time(STARTED, run) == STARTED + timedelta(
        seconds=builds.planned_seconds(run)
    )
    with pytest.raises(ValueError):
        builds.advance(run)


def test_build_timeout_cuts_the_run_in_the_phase_it_expires() -> None:
    run = builds.new_run(properties(buildTimeoutInMinutes=10), "run-2", STARTED)
    assert run["timedOut"]
    assert builds.planned_seconds(run) == 600
    assert run["phases"][-1][0] == "Customizing"


def test_default_timeout_is_four_hours() -> None:
    assert builds.timeout_seconds(properties()) == 4 * 3600


def test_statuses() -> None:
    run = builds.new_run(properties(), "run-3", STARTED)
    running = builds.running_status(run, STARTED)
    assert running["runState"] == "Running" and running["runSubState"] == "Queued"
    assert running["startTime"].startswith("2026-01-01T12:00:00.") and running[
        "startTime"
    ].endswith("Z")
    done = builds.final_status(running, "Succeeded", STARTED + timedelta(minutes=30))
    assert done["runState"] == "Succeeded" and "runSubState" not in done
    assert done["endTime"].startswith("2026-01-01T12:30:00")
    failed = builds.failed_status({**running, "runSubState": "Customizing"}, STARTED, "boom")
    assert failed["runSubState"] == "Customizing" and failed["message"] == "boom"
    assert builds.canceling_status(running)["runState"] == "Canceling"
    with pytest.raises(ValueError):
        builds.final_status(running, "Running", STARTED)


def test_customization_failure_message_points_at_the_log() -> None:
    url = "https://acct.blob.core.windows.net/packerlogs/run-1/customization.log"
    message = builds.customization_failure_message(url, "op-1", "script failed")
    assert message.startswith("script failed. ")
    assert f"Image Build log location: {url}." in message
    assert "OperationId: op-1" in message
    log = builds.customization_log("t", {"runId": "run-1"}, "shell", "exit 2")
    assert "(telemetry) Starting provisioner shell" in log and "exit 2" in log
