# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image builds as data: has this definition been built, how is the run going, what did it make.

Everything here works on ARM JSON (``template.serialize()`` shapes) and plain numbers, so the
module, the action plugin that prints progress, and the unit tests share it without an SDK.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

# The fixed UTC offset; datetime.UTC would need Python 3.11.
UTC_ZONE = timezone(timedelta(0))

RUNNING_STATES = frozenset({"Running", "Canceling"})
SUCCEEDED_STATES = frozenset({"Succeeded"})
FINISHED_STATES = frozenset({"Succeeded", "PartiallySucceeded", "Failed", "Canceled"})
LOG_TAIL_LINES = 20
_OUTCOME_WORDS = {
    "Failed": "failed",
    "Canceled": "was canceled",
    "PartiallySucceeded": "partially succeeded",
}
# A template changed within this margin after a run ended is taken as changed by the run itself.
_MODIFIED_AFTER_RUN_MARGIN = timedelta(seconds=1)
_TIMESTAMP = re.compile(
    r"^(?P<base>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(?:\.(?P<fraction>\d+))?(?P<zone>Z|[+-]\d{2}:?\d{2})?$"
)


def parse_time(value: Any) -> datetime | None:
    """ARM timestamps (``Z`` suffix, up to 7 fraction digits) as aware UTC datetimes."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC_ZONE)
    if not isinstance(value, str):
        return None
    match = _TIMESTAMP.match(value.strip())
    if not match:
        return None
    fraction = (match["fraction"] or "0")[:6].ljust(6, "0")
    zone = match["zone"] or "Z"
    zone = "+00:00" if zone == "Z" else zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
    parsed = datetime.fromisoformat(f"{match['base'].replace(' ', 'T')}.{fraction}{zone}")
    return parsed.astimezone(UTC_ZONE)


def format_duration(seconds: float) -> str:
    """``45s``, ``12m10s``, ``1h02m03s``: short enough for one progress line."""
    total = max(int(seconds), 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def last_run_status(template: dict[str, Any] | None) -> dict[str, Any]:
    return ((template or {}).get("properties") or {}).get("lastRunStatus") or {}


def run_state(template: dict[str, Any] | None) -> str | None:
    return last_run_status(template).get("runState")


def is_running(template: dict[str, Any] | None) -> bool:
    return run_state(template) in RUNNING_STATES


def phase(template: dict[str, Any] | None) -> str:
    """What to show the user: the sub-state while running, the run state once finished."""
    status = last_run_status(template)
    if status.get("runState") in RUNNING_STATES and status.get("runState") != "Canceling":
        return status.get("runSubState") or status.get("runState") or "Queued"
    return status.get("runState") or "NotStarted"


def definition_has_successful_run(template: dict[str, Any] | None) -> bool:
    """True when the last run succeeded and the template was not changed after it.

    A replaced template has no run status at all; a patched one keeps the old status, so the
    last modification time (ARM ``systemData``) is compared with the end of that run.
    """
    status = last_run_status(template)
    if status.get("runState") not in SUCCEEDED_STATES:
        return False
    modified = parse_time(((template or {}).get("systemData") or {}).get("lastModifiedAt"))
    run_end = parse_time(status.get("endTime")) or parse_time(status.get("startTime"))
    if modified is None or run_end is None:
        return True
    return modified <= run_end + _MODIFIED_AFTER_RUN_MARGIN


def progress_line(name: str, template: dict[str, Any] | None, elapsed_seconds: float) -> str:
    """``golden-ubuntu: Customizing, 12m10s``."""
    return f"{name}: {phase(template)}, {format_duration(elapsed_seconds)}"


@dataclass
class ProgressThrottle:
    """Says when to print: whenever the phase changes, and every ``interval`` seconds otherwise."""

    interval: float = 60.0
    _last_phase: str | None = None
    _last_report: float | None = None

    def should_report(self, current_phase: str, now: float) -> bool:
        due = self._last_report is None or now - self._last_report >= self.interval
        if current_phase != self._last_phase or due:
            self._last_phase = current_phase
            self._last_report = now
            return True
        return False


@dataclass(frozen=True)
class PollPolicy:
    """Delay before the next status read while a build runs.

    The delay grows with the real time already waited (a fifth of it) and never undercuts a
    ``Retry-After``. Because the growth is proportional, the ratio holds in any time scale: once
    five minutes have passed, reads come at most once a minute, however fast the clock of the
    service runs. Nothing here asks the service how fast its clock runs.
    """

    min_interval: float = 2.0
    max_interval: float = 60.0
    elapsed_fraction: float = 0.2

    def delay(
        self, elapsed: float, retry_after: float | None = None, remaining: float | None = None
    ) -> float:
        delay = min(max(self.min_interval, elapsed * self.elapsed_fraction), self.max_interval)
        if retry_after is not None and retry_after > 0:
            delay = max(delay, float(retry_after))
        if remaining is not None:
            delay = min(delay, max(remaining, 0.0))
        return delay


def run_outputs_by_name(run_outputs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{run_output_name: {artifact_id, artifact_uri, provisioning_state}}``."""
    shaped: dict[str, dict[str, Any]] = {}
    for output in run_outputs:
        properties = output.get("properties") or output
        shaped[output.get("name", "")] = {
            "artifact_id": properties.get("artifactId"),
            "artifact_uri": properties.get("artifactUri"),
            "provisioning_state": properties.get("provisioningState"),
        }
    return shaped


def build_result(
    template: dict[str, Any], run_outputs: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The ``build`` block of a result: run state, timing, outputs and resolved inputs."""
    properties = template.get("properties") or {}
    status = properties.get("lastRunStatus") or {}
    start, end = parse_time(status.get("startTime")), parse_time(status.get("endTime"))
    source = properties.get("source") or {}
    return {
        "run_state": status.get("runState"),
        "run_sub_state": status.get("runSubState"),
        "phase": phase(template),
        "finished": status.get("runState") in FINISHED_STATES,
        "message": status.get("message"),
        "start_time": status.get("startTime"),
        "end_time": status.get("endTime"),
        "duration": (end - start).total_seconds() if start and end else None,
        "run_outputs": run_outputs_by_name(run_outputs or []),
        "exact_version": source.get("exactVersion"),
        "staging_resource_group": properties.get("exactStagingResourceGroup")
        or properties.get("stagingResourceGroup"),
    }


def log_tail(text: str | None, lines: int = LOG_TAIL_LINES) -> list[str]:
    if not text:
        return []
    return text.rstrip("\n").splitlines()[-lines:]


def failure_message(name: str, template: dict[str, Any], log_lines: list[str] | None = None) -> str:
    """Everything a user needs to act on a failed build, in one message."""
    properties = template.get("properties") or {}
    status = properties.get("lastRunStatus") or {}
    state = status.get("runState") or "Failed"
    where = f" during {status['runSubState']}" if status.get("runSubState") else ""
    text = f"Image build of {name} {_OUTCOME_WORDS.get(state, state)}{where}"
    if status.get("message"):
        text += f": {status['message']}"
    error = properties.get("provisioningError") or {}
    if error.get("provisioningErrorCode") or error.get("message"):
        code = error.get("provisioningErrorCode") or "Other"
        text += f" (provisioning error {code}: {error.get('message') or 'no message'})"
    if log_lines:
        text += f"\nLast {len(log_lines)} lines of customization.log:\n" + "\n".join(log_lines)
    return text


def timeout_message(
    name: str, template: dict[str, Any] | None, waited_seconds: float, canceled: bool
) -> str:
    what = "canceled it" if canceled else "left it running"
    return (
        f"Image build of {name} did not finish within {format_duration(waited_seconds)}; it was at "
        f"{phase(template)} and the module {what}."
    )
