"""The build of an image template as a state machine over simulated time.

Pure functions only: the provider stores the run record returned here in the
template (so a restart resumes it), schedules one timed event per phase and
performs the side effects (source checks, artifacts, logs) at phase ends.

A run goes through the sub-states Queued, Building, Customizing, (Optimizing),
(Validating), Distributing while `runState` is Running, then ends Succeeded,
PartiallySucceeded, Failed or Canceled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from azsim.providers.imagebuilder_rules import DEFAULT_BUILD_TIMEOUT_MINUTES, TROUBLESHOOTING

SUB_STATES = ("Queued", "Building", "Customizing", "Optimizing", "Validating", "Distributing")
TERMINAL_RUN_STATES = ("Succeeded", "PartiallySucceeded", "Failed", "Canceled")
CANCEL_SECONDS = 120

# Simulated durations, in the range Azure takes (a whole build is tens of minutes).
QUEUED_SECONDS = 90
BUILDING_SECONDS = 7 * 60
WINDOWS_BUILDING_SECONDS = 12 * 60
DEPROVISION_SECONDS = 2 * 60
STEP_SECONDS = {
    "Shell": 3 * 60,
    "PowerShell": 3 * 60,
    "File": 60,
    "WindowsRestart": 5 * 60,
    "WindowsUpdate": 25 * 60,
}
OPTIMIZING_SECONDS = 6 * 60
VALIDATION_BASE_SECONDS = 3 * 60
DISTRIBUTE_SECONDS = {"ManagedImage": 4 * 60, "SharedImage": 10 * 60, "VHD": 3 * 60}
EXTRA_REGION_SECONDS = 3 * 60

TIMEOUT_MESSAGE = (
    "Failed in building/customizing image: Failed while waiting for packerizer: "
    "Timeout waiting for microservice to complete: 'context deadline exceeded'"
)


@dataclass(frozen=True)
class Phase:
    sub_state: str
    seconds: int


def is_windows_source(source: dict[str, Any]) -> bool:
    publisher = str(source.get("publisher", "")).lower()
    return source.get("type") == "PlatformImage" and "windows" in publisher


def _distribute_seconds(target: dict[str, Any]) -> int:
    seconds = DISTRIBUTE_SECONDS[target["type"]]
    regions = target.get("targetRegions") or target.get("replicationRegions") or []
    return seconds + EXTRA_REGION_SECONDS * max(0, len(regions) - 1)


def _validators(properties: dict[str, Any]) -> list[dict[str, Any]]:
    return list((properties.get("validate") or {}).get("inVMValidations") or [])


def source_validation_only(properties: dict[str, Any]) -> bool:
    return bool((properties.get("validate") or {}).get("sourceValidationOnly"))


def plan_phases(properties: dict[str, Any]) -> list[Phase]:
    """The phases a build of `properties` goes through, with their simulated durations."""
    source = properties["source"]
    building = WINDOWS_BUILDING_SECONDS if is_windows_source(source) else BUILDING_SECONDS
    phases = [Phase("Queued", QUEUED_SECONDS), Phase("Building", building)]
    validators = _validators(properties)
    validating = Phase("Validating", VALIDATION_BASE_SECONDS + 2 * 60 * len(validators))
    if source_validation_only(properties):
        return [*phases, validating]
    steps = properties.get("customize") or []
    phases.append(
        Phase("Customizing", DEPROVISION_SECONDS + sum(STEP_SECONDS[s["type"]] for s in steps))
    )
    vm_boot = ((properties.get("optimize") or {}).get("vmBoot") or {}).get("state")
    if vm_boot == "Enabled":
        phases.append(Phase("Optimizing", OPTIMIZING_SECONDS))
    if validators:
        phases.append(validating)
    phases.append(
        Phase("Distributing", sum(_distribute_seconds(t) for t in properties["distribute"]))
    )
    return phases


def timeout_seconds(properties: dict[str, Any]) -> int:
    minutes = properties.get("buildTimeoutInMinutes") or DEFAULT_BUILD_TIMEOUT_MINUTES
    return int(minutes) * 60


def new_run(properties: dict[str, Any], run_id: str, started: datetime) -> dict[str, Any]:
    """The run record stored with the template; phases beyond the build timeout are cut."""
    phases: list[list[Any]] = []
    budget = timeout_seconds(properties)
    timed_out = False
    for phase in plan_phases(properties):
        if phase.seconds >= budget:
            phases.append([phase.sub_state, budget])
            timed_out = True
            break
        phases.append([phase.sub_state, phase.seconds])
        budget -= phase.seconds
    return {
        "runId": run_id,
        "phases": phases,
        "index": 0,
        "startTime": started.timestamp(),
        "timedOut": timed_out,
        "failedValidation": None,
    }


def planned_seconds(run: dict[str, Any]) -> int:
    return sum(int(seconds) for _, seconds in run["phases"])


def current_sub_state(run: dict[str, Any]) -> str:
    return str(run["phases"][run["index"]][0])


def current_phase_seconds(run: dict[str, Any]) -> int:
    return int(run["phases"][run["index"]][1])


def is_last_phase(run: dict[str, Any]) -> bool:
    return run["index"] >= len(run["phases"]) - 1


def has_phase(run: dict[str, Any], sub_state: str) -> bool:
    return any(name == sub_state for name, _ in run["phases"])


def advance(run: dict[str, Any]) -> dict[str, Any]:
    """The run record once the current phase is over (callers check `is_last_phase` first)."""
    if is_last_phase(run):
        raise ValueError("the last phase has no successor")
    return {**run, "index": run["index"] + 1}


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def running_status(run: dict[str, Any], started: datetime) -> dict[str, Any]:
    return {
        "startTime": _iso(started),
        "endTime": None,
        "runState": "Running",
        "runSubState": current_sub_state(run),
        "message": "",
    }


def canceling_status(previous: dict[str, Any]) -> dict[str, Any]:
    return {
        **previous,
        "runState": "Canceling",
        "message": "Cancellation of the build was requested.",
    }


def final_status(
    previous: dict[str, Any], run_state: str, ended: datetime, message: str = ""
) -> dict[str, Any]:
    """lastRunStatus at the end: Azure drops the sub-state once the run is over."""
    if run_state not in TERMINAL_RUN_STATES:
        raise ValueError(f"{run_state} is not a terminal run state")
    status = {
        "startTime": previous.get("startTime"),
        "endTime": _iso(ended),
        "runState": run_state,
        "message": message,
    }
    if run_state == "Failed" and previous.get("runSubState"):
        # The sub-state the run failed in stays visible, as the service reports it.
        status["runSubState"] = previous["runSubState"]
    return status


def failed_status(previous: dict[str, Any], ended: datetime, message: str) -> dict[str, Any]:
    return final_status(previous, "Failed", ended, message)


def phase_end_time(started: datetime, run: dict[str, Any]) -> datetime:
    elapsed = sum(int(seconds) for _, seconds in run["phases"][: run["index"] + 1])
    return started + timedelta(seconds=elapsed)


def customization_failure_message(log_url: str, operation_id: str, detail: str = "") -> str:
    lead = detail.rstrip(".") + ". " if detail else ""
    return (
        f"{lead}Failed while waiting for packerizer: Microservice has failed: Failed while processing "
        "request: Error when executing packerizer: Packer build command has failed: exit status 1. "
        "A step of the build or customization failed; the build log shows which one. "
        f"For more troubleshooting steps go to {TROUBLESHOOTING}. Image Build log location: {log_url}. "
        f"OperationId: {operation_id}. Use this operationId to search packer logs."
    )


def validation_failure_message(log_url: str, operation_id: str, detail: str = "") -> str:
    lead = detail.rstrip(".") + ". " if detail else ""
    return (
        f"{lead}Validation failed: an in-VM validation of the image reported an error. "
        f"For more troubleshooting steps go to {TROUBLESHOOTING}. Image Build log location: {log_url}. "
        f"OperationId: {operation_id}."
    )


def default_failure_message(sub_state: str) -> str:
    return {
        "Queued": "The build could not be scheduled: internal error while queuing the build.",
        "Building": "Build (Build VM) step failed: the build VM could not be deployed.",
        "Optimizing": "Optimization of the image for faster VM boot failed.",
        "Distributing": "Failed in distributing images: internal error while distributing the image.",
    }.get(sub_state, "Internal error occurred.")


def not_authorized_message(resource_id: str) -> str:
    return (
        f"Not authorized to access the resource: {resource_id}. Please check the user assigned identity "
        f"has the correct permissions. For more details, go to {TROUBLESHOOTING}."
    )


def customization_log(
    template_name: str, run: dict[str, Any], failed_step: str, detail: str
) -> str:
    """A customization.log in the shape of Image Builder's Packer output."""
    run_id = run["runId"]
    lines = [
        f"[{run_id}] PACKER OUT ==> azure-arm: Running builder ...",
        f"[{run_id}] PACKER OUT ==> azure-arm: Deploying deployment template for {template_name} ...",
        f"[{run_id}] PACKER OUT ==> azure-arm: Waiting for SSH to become available...",
        f"[{run_id}] PACKER OUT ==> azure-arm: Connected to SSH!",
        f"[{run_id}] PACKER ERR [INFO] (telemetry) Starting provisioner {failed_step}",
        f"[{run_id}] PACKER ERR ==> azure-arm: {detail or 'Script exited with non-zero exit status: 1'}",
        f"[{run_id}] PACKER OUT Build 'azure-arm' errored after a customization step failed",
        f"[{run_id}] PACKER ERR [INFO] (telemetry) Finalizing.",
    ]
    return "\n".join(lines) + "\n"
