# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build state, progress lines, polling policy, results and failure messages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from ansible_collections.goldenimage.azure.plugins.module_utils._build_progress import (
    PollPolicy,
    ProgressThrottle,
    build_result,
    definition_has_successful_run,
    failure_message,
    format_duration,
    log_tail,
    parse_time,
    phase,
    progress_line,
    timeout_message,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._waiter import parse_retry_after


def template(
    status: dict[str, Any] | None = None, modified: str | None = None, **properties: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "golden-ubuntu", "properties": dict(properties)}
    if status is not None:
        body["properties"]["lastRunStatus"] = status
    if modified is not None:
        body["systemData"] = {"lastModifiedAt": modified}
    return body


SUCCEEDED = {
    "runState": "Succeeded",
    "runSubState": "Distributing",
    "startTime": "2026-11-22T01:00:00.1234567Z",
    "endTime": "2026-11-22T01:42:30Z",
    "message": "",
}


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (45.9, "45s"), (730, "12m10s"), (3723, "1h02m03s"), (-3, "0s")],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_progress_line_shows_the_sub_state_while_running() -> None:
    running = template({"runState": "Running", "runSubState": "Customizing"})
    assert progress_line("golden-ubuntu", running, 730) == "golden-ubuntu: Customizing, 12m10s"
    assert phase(template(SUCCEEDED)) == "Succeeded"
    assert phase(template({"runState": "Canceling", "runSubState": "Building"})) == "Canceling"
    assert phase(template()) == "NotStarted"


def test_parse_time_accepts_arm_timestamps() -> None:
    parsed = parse_time("2026-11-22T01:00:00.1234567Z")
    assert parsed is not None and parsed.microsecond == 123456
    assert parsed.utcoffset() == timedelta(0)
    shifted = parse_time("2026-11-22T03:00:00+02:00")
    assert shifted is not None and shifted.hour == 1
    assert parse_time("yesterday") is None
    assert parse_time(None) is None


def test_a_succeeded_run_of_the_current_definition_counts() -> None:
    assert definition_has_successful_run(template(SUCCEEDED))
    assert definition_has_successful_run(template(SUCCEEDED, modified="2026-11-22T00:55:00Z"))
    # The service touching the template as the run ends is not a change of definition.
    assert definition_has_successful_run(template(SUCCEEDED, modified="2026-11-22T01:42:30.5Z"))


@pytest.mark.parametrize(
    ("status", "modified"),
    [
        (None, None),
        ({**SUCCEEDED, "runState": "Failed"}, None),
        ({**SUCCEEDED, "runState": "PartiallySucceeded"}, None),
        ({"runState": "Running", "runSubState": "Building"}, None),
        (SUCCEEDED, "2026-11-22T02:00:00Z"),  # patched after the run
    ],
)
def test_other_states_need_a_build(status: dict[str, Any] | None, modified: str | None) -> None:
    assert not definition_has_successful_run(template(status, modified=modified))


def test_throttle_reports_changes_and_a_steady_heartbeat() -> None:
    throttle = ProgressThrottle(interval=60)
    assert throttle.should_report("Queued", 0)
    assert not throttle.should_report("Queued", 10)
    assert throttle.should_report("Building", 11)
    assert not throttle.should_report("Building", 70)
    assert throttle.should_report("Building", 71)


def test_poll_policy_backs_off_with_elapsed_time_and_honours_retry_after() -> None:
    policy = PollPolicy()
    assert policy.delay(0) == 2.0
    assert policy.delay(100) == 20.0
    assert policy.delay(3600) == 60.0
    assert policy.delay(0, retry_after=15) == 15.0
    assert policy.delay(3600, retry_after=120) == 120.0
    assert policy.delay(600, remaining=5) == 5.0
    assert policy.delay(600, remaining=-1) == 0.0


@pytest.mark.parametrize("scale", [1, 10, 60, 600])
def test_poll_policy_reads_at_most_once_a_service_minute_after_five_service_minutes(
    scale: int,
) -> None:
    """Simulate a wait against a service whose clock runs ``scale`` times faster than ours."""
    policy = PollPolicy()
    real = 0.0
    reads_after_five_minutes: list[float] = []
    while real * scale < 3 * 3600:
        real += policy.delay(real)
        if real * scale >= 300:
            reads_after_five_minutes.append(real * scale)
    gaps = [
        later - earlier
        for earlier, later in zip(
            reads_after_five_minutes, reads_after_five_minutes[1:], strict=False
        )
    ]
    assert gaps and min(gaps) >= 60 - 1e-9


def test_parse_retry_after() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") is None


def test_build_result_shapes_outputs_and_resolved_inputs() -> None:
    body = template(
        SUCCEEDED,
        source={"type": "PlatformImage", "version": "latest", "exactVersion": "24.04.202511010"},
        exactStagingResourceGroup="/subscriptions/s/resourceGroups/IT_rg_golden",
    )
    outputs = [
        {
            "name": "gallery",
            "properties": {"artifactId": "/x/versions/1.0.0", "provisioningState": "Succeeded"},
        },
        {
            "name": "vhd",
            "properties": {"artifactUri": "https://blob/x.vhd", "provisioningState": "Succeeded"},
        },
    ]
    result = build_result(body, outputs)
    assert result["run_state"] == "Succeeded"
    assert result["duration"] == pytest.approx(2549.876544, abs=1e-6)
    assert result["run_outputs"]["gallery"]["artifact_id"] == "/x/versions/1.0.0"
    assert result["run_outputs"]["vhd"]["artifact_uri"] == "https://blob/x.vhd"
    assert result["exact_version"] == "24.04.202511010"
    assert result["staging_resource_group"].endswith("IT_rg_golden")


def test_failure_message_carries_sub_state_message_code_and_log_tail() -> None:
    body = template(
        {
            "runState": "Failed",
            "runSubState": "Customizing",
            "message": "customizer 'update' exited with 1",
        },
        provisioningError={"provisioningErrorCode": "BadCustomizerType", "message": "bad"},
    )
    log = "\n".join(f"line {n}" for n in range(50)) + "\n"
    text = failure_message("golden-ubuntu", body, log_tail(log))
    assert text.startswith(
        "Image build of golden-ubuntu failed during Customizing: customizer 'update' exited"
    )
    assert "provisioning error BadCustomizerType: bad" in text
    assert "Last 20 lines of customization.log:\nline 30\n" in text
    assert text.endswith("line 49")


def test_failure_message_without_extras() -> None:
    text = failure_message("g", template({"runState": "Canceled"}))
    assert text == "Image build of g was canceled"
    partial = failure_message(
        "g", template({"runState": "PartiallySucceeded", "message": "1 of 3 failed"})
    )
    assert partial == "Image build of g partially succeeded: 1 of 3 failed"


def test_timeout_message_reports_where_the_build_was() -> None:
    running = template({"runState": "Running", "runSubState": "Validating"})
    assert "at Validating" in timeout_message("g", running, 600, canceled=False)
    assert "canceled it" in timeout_message("g", running, 600, canceled=True)
