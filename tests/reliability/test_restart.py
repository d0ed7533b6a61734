"""The stand-in killed (SIGKILL) and started again in the middle of a long-running operation
and of a build, on a stand-in of its own: the interrupted run succeeds or fails naming the
resource, a re-run converges, and nothing that existed is gone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from conftest import make_group
from fixtures import seed_sources
from harness import OUTPUT_DIR, ModuleRun, Sim, azsim_session
from test_faults import assert_clear_failure, template_args

SCALE = 120


@pytest.fixture(scope="module")
def restart_sim() -> Iterator[Sim]:
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    state_dir = OUTPUT_DIR / f"restart-{os.getpid()}" / "azsim"
    azsim_session.start_fresh(state_dir, SCALE)
    running = Sim(azsim_session.describe(state_dir))
    yield running
    running.close()
    azsim_session.stop(state_dir)


def kill_and_restart(sim: Sim) -> None:
    info = json.loads((sim.stand_in.state_dir / "azsim.json").read_text(encoding="utf-8"))
    os.kill(info["pid"], signal.SIGKILL)
    time.sleep(0.5)
    command = [azsim_session.azsim_command(), "start", "--dir", str(sim.stand_in.state_dir)]
    for attempt in range(3):  # a loaded machine may not free the port at once
        started = subprocess.run(command, timeout=120, capture_output=True, text=True, check=False)
        if started.returncode == 0:
            return
        time.sleep(1 + attempt)
    raise AssertionError(f"azsim start failed after a kill: {started.stdout}{started.stderr}")


def interrupted(
    sim: Sim, run: Callable[[], ModuleRun], started: Callable[[dict], bool]
) -> ModuleRun:
    """Run in a thread; once the log shows the write `started` matches, kill and restart."""
    seq = sim.mark()
    results: list[ModuleRun] = []
    thread = threading.Thread(target=lambda: results.append(run()))
    thread.start()
    deadline = time.monotonic() + 60
    while not any(started(entry) for entry in sim.since(seq)):
        assert time.monotonic() < deadline, "the operation never started"
        time.sleep(0.1)
    time.sleep(0.3)
    kill_and_restart(sim)
    thread.join(timeout=300)
    assert results, "the interrupted run did not return"
    return results[0]


def test_killed_during_version_replication(restart_sim: Sim) -> None:
    sim = restart_sim
    group = make_group(sim)
    ids = {"rg": group, **seed_sources(sim, group)}
    args = {
        "name": "1.0.0",
        "gallery_name": "relgal",
        "gallery_image_name": "linux",
        "resource_group": group,
        "managed_image": ids["image"],
        "target_regions": ["eastus", "westus2"],
    }
    before = sim.state()
    first = interrupted(
        sim,
        lambda: sim.run("gallery_image_version", args, label="restart-version"),
        lambda e: e["method"] == "PUT" and e["path"].endswith("/versions/1.0.0"),
    )
    if first.failed:
        assert_clear_failure(first, "1.0.0", "connect", "reset", "refused", "Error")
    again = sim.run("gallery_image_version", args, label="restart-version-rerun")
    assert not again.failed, again.describe()
    assert not sim.run("gallery_image_version", args).changed
    assert before <= sim.state()


def test_killed_during_a_build(restart_sim: Sim) -> None:
    sim = restart_sim
    group = make_group(sim)
    ids = {"rg": group, **seed_sources(sim, group)}
    created = sim.run("image_template", template_args(ids, "rtpl"))
    assert not created.failed, created.describe()
    args = {"name": "rtpl", "resource_group": group, "progress_interval": 1}
    before = sim.state()
    first = interrupted(
        sim,
        lambda: sim.run("image_build", args, label="restart-build"),
        lambda e: e["method"] == "POST" and e["path"].endswith("/rtpl/run"),
    )
    if first.failed:
        assert_clear_failure(first, "rtpl", "connect", "reset", "refused", "Error")
    again = sim.run("image_build", args, label="restart-build-rerun")
    assert not again.failed, again.describe()
    assert not sim.run("image_build", args).changed
    assert before <= sim.state()
    assert any("/rtpl/runoutputs/" in resource_id for resource_id in sim.state())
