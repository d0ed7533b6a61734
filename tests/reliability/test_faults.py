"""Fault matrix: each resource module under throttling, server errors, connection resets and
slow responses; long-running operations that end Failed; builds failing at each sub-state;
waits that time out; two writers on one template.

Every scenario checks the same three things: the run succeeds, or fails with a message naming
the resource and the cause; a re-run without the fault converges (succeeds, and when the first
run succeeded, changes nothing); and no resource that existed before is gone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fixtures import seed_sources
from harness import ModuleRun, Sim

PLATFORM = {
    "type": "platform_image",
    "publisher": "Canonical",
    "offer": "ubuntu-24_04-lts",
    "sku": "server",
}


@dataclass(frozen=True)
class Operation:
    """One module call that creates (or runs) a resource, named per scenario."""

    module: str
    path: str  # regex on the ARM path of the resource the call writes
    method: str  # the write method
    args: Callable[[dict[str, str], str], dict[str, Any]]
    setup: Callable[[Sim, dict[str, str], str], None] | None = None


def template_args(ids: dict[str, str], name: str) -> dict[str, Any]:
    return {
        "name": name,
        "resource_group": ids["rg"],
        "identity": ids["identity"],
        "source": PLATFORM,
        "customize": [{"type": "shell", "name": "patch", "inline": ["true"]}],
        "distribute": [{"type": "vhd", "run_output_name": "vhd"}],
    }


def create_template(sim: Sim, ids: dict[str, str], name: str, **extra: Any) -> None:
    run = sim.run("image_template", {**template_args(ids, name), **extra})
    assert not run.failed, run.describe()


OPERATIONS = {
    "gallery": Operation(
        "gallery",
        r"/galleries/{name}$",
        "PUT",
        lambda ids, name: {"name": name, "resource_group": ids["rg"], "location": "eastus"},
    ),
    "gallery_image": Operation(
        "gallery_image",
        r"/images/{name}$",
        "PUT",
        lambda ids, name: {
            "name": name,
            "gallery_name": "relgal",
            "resource_group": ids["rg"],
            "os_type": "Linux",
            "os_state": "Generalized",
            "hyper_v_generation": "V2",
            "publisher": "contoso",
            "offer": name,
            "sku": "1",
        },
    ),
    "gallery_image_version": Operation(
        "gallery_image_version",
        r"/versions/{name}$",
        "PUT",
        lambda ids, name: {
            "name": name,
            "gallery_name": "relgal",
            "gallery_image_name": "linux",
            "resource_group": ids["rg"],
            "managed_image": ids["image"],
            "target_regions": ["eastus"],
        },
    ),
    "managed_image": Operation(
        "managed_image",
        r"/images/{name}$",
        "PUT",
        lambda ids, name: {
            "name": name,
            "resource_group": ids["rg"],
            "location": "eastus",
            "os_disk": {"disk": ids["disk"], "os_type": "Linux"},
        },
    ),
    "image_template": Operation("image_template", r"/imageTemplates/{name}$", "PUT", template_args),
    "image_build": Operation(
        "image_build",
        r"/imageTemplates/{name}/run$",
        "POST",
        lambda ids, name: {"name": name, "resource_group": ids["rg"], "progress_interval": 1},
        setup=create_template,
    ),
    "user_assigned_identity": Operation(
        "user_assigned_identity",
        r"/userAssignedIdentities/{name}$",
        "PUT",
        lambda ids, name: {"name": name, "resource_group": ids["rg"], "location": "eastus"},
    ),
}

# name -> (fault rule for the write, fault rule for reads); integer Retry-After, short bursts.
FAULTS: dict[str, dict[str, Any]] = {
    "throttled-429": {"status": 429, "retry_after": 1, "count": 2, "error_code": "TooManyRequests"},
    "server-error-500": {"status": 500, "count": 1, "error_code": "InternalServerError"},
    "unavailable-503": {
        "status": 503,
        "retry_after": 1,
        "count": 1,
        "error_code": "ServiceUnavailable",
    },
    "connection-reset": {"reset": True, "count": 1},
    "slow-responses": {"latency_ms": 700, "count": 2},
}
VERSION_NUMBERS = iter(range(1, 1000))


@pytest.fixture(scope="module")
def ids(sim: Sim, group: str) -> dict[str, str]:
    return {"rg": group, **seed_sources(sim, group)}


def scenario_name(operation: str, fault: str) -> str:
    if operation == "gallery_image_version":
        return f"2.0.{next(VERSION_NUMBERS)}"
    short = "".join(word[0] for word in operation.split("_")) + fault.split("-")[0][:5]
    return f"f{short}"


def assert_clear_failure(run: ModuleRun, resource: str, *causes: str) -> None:
    assert resource.lower() in run.msg.lower(), f"message does not name {resource}: {run.msg}"
    assert any(cause.lower() in run.msg.lower() for cause in causes), (
        f"message names none of {causes}: {run.msg}"
    )


def converge(sim: Sim, operation: Operation, args: dict[str, Any], first: ModuleRun) -> None:
    again = sim.run(operation.module, args, label=f"fault-rerun-{operation.module}")
    assert not again.failed, f"re-run did not converge: {again.describe()}"
    if not first.failed:
        assert not again.changed, f"first run left work undone: {again.describe()}"


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("operation_name", sorted(OPERATIONS))
def test_transient_fault(sim: Sim, ids: dict[str, str], operation_name: str, fault: str) -> None:
    operation = OPERATIONS[operation_name]
    name = scenario_name(operation_name, fault)
    if operation.setup:
        operation.setup(sim, ids, name)
    args = operation.args(ids, name)
    before = sim.state()
    path = operation.path.format(name=name.replace(".", r"\."))
    sim.admin.add_fault(path, method=operation.method, **FAULTS[fault])
    if fault in ("server-error-500", "slow-responses"):
        sim.admin.add_fault(path, method="GET", **FAULTS[fault])
    first = sim.run(operation.module, args, label=f"fault-{operation_name}-{fault}")
    sim.admin.clear_faults()
    if first.failed:
        assert_clear_failure(first, name, "reset", "connection", "HTTP", "Error", "Failed")
    converge(sim, operation, args, first)
    assert before <= sim.state(), f"deleted: {before - sim.state()}"


def test_throttling_storm_fails_without_a_retry_storm(sim: Sim, ids: dict[str, str]) -> None:
    args = OPERATIONS["gallery"].args(ids, "fstorm")
    before = sim.state()
    sim.admin.add_fault(
        r"/galleries/fstorm$", method="PUT", status=429, retry_after=1, error_code="TooManyRequests"
    )
    started = time.monotonic()
    first = sim.run("gallery", args, label="fault-storm")
    elapsed = time.monotonic() - started
    sim.admin.clear_faults()
    assert first.failed, first.describe()
    assert_clear_failure(first, "fstorm", "TooManyRequests", "429")
    puts = [entry for entry in first.writes if entry["method"] == "PUT"]
    assert 2 <= len(puts) <= 6, f"{len(puts)} PUTs against a throttled endpoint"
    assert elapsed < 60
    converge(sim, OPERATIONS["gallery"], args, first)
    assert before <= sim.state()


def test_operation_ending_failed_names_template_and_cause(sim: Sim, ids: dict[str, str]) -> None:
    args = template_args(ids, "flrofail")
    bad = {**args, "source": {**PLATFORM, "offer": "no-such-offer"}}
    before = sim.state()
    first = sim.run("image_template", bad, label="fault-lro-failed")
    assert first.failed, first.describe()
    assert_clear_failure(first, "flrofail", "BadPIRSource", "not available")
    again = sim.run("image_template", args, label="fault-lro-failed-rerun")
    assert not again.failed, again.describe()
    assert not sim.run("image_template", args).changed
    assert before <= sim.state()


@pytest.mark.parametrize(
    "sub_state", ["Queued", "Building", "Customizing", "Optimizing", "Validating", "Distributing"]
)
def test_build_failing_at_sub_state(sim: Sim, ids: dict[str, str], sub_state: str) -> None:
    name = f"fbuild{sub_state.lower()}"
    # Optimizing and Validating happen only for templates that ask for them.
    create_template(
        sim,
        ids,
        name,
        optimize={"vm_boot": True},
        validate={"in_vm_validations": [{"type": "shell", "name": "check", "inline": ["true"]}]},
    )
    before = sim.state()
    sim.admin.call(
        "POST",
        "imagebuilder/failures",
        {"template": name, "sub_state": sub_state, "message": f"injected at {sub_state}"},
    )
    args = {"name": name, "resource_group": ids["rg"], "progress_interval": 1}
    first = sim.run("image_build", args, label=f"fault-build-{sub_state}")
    sim.admin.call("DELETE", "imagebuilder/failures")
    assert first.failed, first.describe()
    assert_clear_failure(first, name, f"injected at {sub_state}")
    again = sim.run("image_build", {**args, "force": True}, label=f"fault-build-{sub_state}-rerun")
    assert not again.failed and again.changed, again.describe()
    assert not sim.run("image_build", args).changed
    assert before <= sim.state()


@pytest.fixture
def slow_clock(sim: Sim):
    """Real time runs close to simulated time, so a short deadline passes mid-operation."""
    scale = sim.admin.clock()["scale"]
    sim.admin.set_scale(5)
    yield
    sim.admin.set_scale(scale)


def test_build_wait_times_out_with_partial_state(
    sim: Sim, ids: dict[str, str], slow_clock: None
) -> None:
    create_template(sim, ids, "fbuildtimeout")
    args = {"name": "fbuildtimeout", "resource_group": ids["rg"], "progress_interval": 1}
    first = sim.run("image_build", {**args, "wait_timeout": 2}, label="fault-build-timeout")
    assert first.failed, first.describe()
    assert_clear_failure(first, "fbuildtimeout", "did not finish", "timed out")
    assert first.result.get("build"), "no partial state returned"
    sim.admin.set_scale(1200)
    again = sim.run("image_build", args, label="fault-build-timeout-rerun")
    assert not again.failed, again.describe()
    runs = [e for e in again.writes if e["path"].endswith("/run")]
    assert runs == [], "the re-run started a second build instead of following the first"


def test_version_wait_times_out_with_partial_state(
    sim: Sim, ids: dict[str, str], slow_clock: None
) -> None:
    operation = OPERATIONS["gallery_image_version"]
    args = {**operation.args(ids, "3.0.0"), "wait_timeout": 2}
    before = sim.state()
    first = sim.run(operation.module, args, label="fault-version-timeout")
    assert first.failed, first.describe()
    assert_clear_failure(first, "3.0.0", "timed out", "did not finish")
    sim.admin.set_scale(1200)
    del args["wait_timeout"]
    again = sim.run(operation.module, args, label="fault-version-timeout-rerun")
    assert not again.failed, again.describe()
    assert not sim.run(operation.module, args).changed
    assert before <= sim.state()


def test_template_change_while_its_build_runs_is_refused(
    sim: Sim, ids: dict[str, str], slow_clock: None
) -> None:
    create_template(sim, ids, "fwriters")
    build = {"name": "fwriters", "resource_group": ids["rg"]}
    started = sim.run("image_build", {**build, "state": "started"}, label="fault-writers-build")
    assert not started.failed, started.describe()
    changed = {**template_args(ids, "fwriters"), "build_timeout": 120}
    second = sim.run("image_template", changed, label="fault-writers-template")
    assert second.failed, second.describe()
    assert_clear_failure(second, "fwriters", "build", "409", "Conflict")
    sim.admin.set_scale(1200)
    assert not sim.run("image_build", build).failed
    again = sim.run("image_template", changed, label="fault-writers-rerun")
    assert not again.failed and again.changed, again.describe()


def test_two_writers_on_one_version(sim: Sim, ids: dict[str, str]) -> None:
    """Two runs publishing the same version at once: one wins, the other fails on the 409
    or finds the version as wanted; a re-run changes nothing."""
    operation = OPERATIONS["gallery_image_version"]
    args = {**operation.args(ids, "4.0.0"), "target_regions": ["eastus"]}
    results: list[ModuleRun] = []
    threads = [
        threading.Thread(target=lambda: results.append(sim.run(operation.module, args)))
        for _writer in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for run in results:
        if run.failed:
            assert_clear_failure(run, "4.0.0", "409", "Conflict", "in progress")
    assert any(not run.failed for run in results)
    assert not sim.run(operation.module, args).changed
