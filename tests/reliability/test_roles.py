"""The build and distribute roles under throttling, server errors and resets, in check mode,
and with bad input: the same checks as for the modules, through ansible-playbook."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fixtures import seed_sources
from harness import WRITE_METHODS, Sim
from test_faults import PLATFORM

RECAP = re.compile(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)")


@pytest.fixture(scope="module")
def ids(sim: Sim, group: str) -> dict[str, str]:
    return {"rg": group, **seed_sources(sim, group)}


def build_play(ids: dict[str, str], name: str) -> dict[str, Any]:
    return {
        "hosts": "localhost",
        "gather_facts": False,
        "module_defaults": {"group/goldenimage.azure.azure": {}},
        "roles": [
            {
                "role": "goldenimage.azure.build",
                "vars": {
                    "build_name": name,
                    "build_resource_group": ids["rg"],
                    "build_identity": ids["identity"],
                    "build_source": PLATFORM,
                    "build_customizers": [{"type": "shell", "name": "p", "inline": ["true"]}],
                    "build_distribute": [{"type": "vhd", "run_output_name": "vhd"}],
                    "build_progress_interval": 1,
                },
            }
        ],
    }


def distribute_play(ids: dict[str, str], version: str, **extra: Any) -> dict[str, Any]:
    return {
        "hosts": "localhost",
        "gather_facts": False,
        "roles": [
            {
                "role": "goldenimage.azure.distribute",
                "vars": {
                    "distribute_gallery_name": "relgal",
                    "distribute_resource_group": ids["rg"],
                    "distribute_image_name": "linux",
                    "distribute_version": version,
                    "distribute_source_managed_image": ids["image"],
                    "distribute_target_regions": ["eastus"],
                    **extra,
                },
            }
        ],
    }


def recap(output: str) -> tuple[int, int]:
    match = RECAP.search(output)
    assert match, output[-3000:]
    return int(match[1]), int(match[2])


def arm_writes(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in requests if e["kind"] == "arm" and e["method"] in WRITE_METHODS]


@pytest.mark.parametrize("role", ["build", "distribute"])
def test_role_under_faults_converges(sim: Sim, ids: dict[str, str], role: str) -> None:
    if role == "build":
        play, name, path = build_play(ids, "rolefault"), "rolefault", r"/imageTemplates/rolefault"
    else:
        play, name, path = distribute_play(ids, "6.0.0"), "6.0.0", r"/versions/6\.0\.0$"
    before = sim.state()
    sim.admin.add_fault(path + "$", method="PUT", status=429, retry_after=1, count=2)
    sim.admin.add_fault(path, method="GET", status=503, retry_after=1, count=2)
    sim.admin.add_fault(path, method="GET", reset=True, count=1)
    status, output, _requests = sim.run_playbook([play], label=f"role-fault-{role}")
    sim.admin.clear_faults()
    if status != 0:
        assert name in output and ("HTTP" in output or "Error" in output), output[-3000:]
    status, output, _requests = sim.run_playbook([play], label=f"role-fault-{role}-rerun")
    assert status == 0, output[-3000:]
    status, output, requests = sim.run_playbook([play], label=f"role-fault-{role}-again")
    assert status == 0 and recap(output)[0] == 0, output[-3000:]
    assert arm_writes(requests) == []
    assert before <= sim.state()


@pytest.mark.parametrize("role", ["build", "distribute"])
def test_role_check_mode_predicts_the_real_run(sim: Sim, ids: dict[str, str], role: str) -> None:
    play = build_play(ids, "rolecheck") if role == "build" else distribute_play(ids, "7.0.0")
    status, predicted, requests = sim.run_playbook([play], extra_args=["--check", "--diff"])
    assert status == 0, predicted[-3000:]
    assert arm_writes(requests) == [], "check mode wrote"
    status, real, _requests = sim.run_playbook([play], extra_args=["--diff"])
    assert status == 0, real[-3000:]
    assert recap(predicted)[0] == recap(real)[0] > 0


@pytest.mark.parametrize(
    ("case_id", "play_args", "needle"),
    [
        ("distribute-version-two-parts", {"distribute_version": "1.0"}, "1.0"),
        ("distribute-version-above-32-bit", {"distribute_version": "1.0.4294967296"}, "4294967296"),
        ("distribute-action-choice", {"distribute_action": "ship"}, "distribute_action"),
        ("distribute-keep-not-a-number", {"distribute_keep": "many"}, "distribute_keep"),
    ],
)
def test_role_bad_input(
    sim: Sim, ids: dict[str, str], case_id: str, play_args: dict[str, Any], needle: str
) -> None:
    play = distribute_play(ids, "8.0.0", **play_args)
    before = sim.state()
    status, output, requests = sim.run_playbook([play], label=f"role-bad-{case_id}")
    assert status != 0, output[-3000:]
    assert needle in output, output[-3000:]
    assert arm_writes(requests) == []
    assert sim.state() == before
