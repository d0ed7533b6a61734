"""The identity, gallery and customize roles under bursts of 429, 500 and 503 and connection
resets, through ansible-playbook: a run succeeds or fails naming the resource, a re-run without
the faults succeeds, a third run changes and writes nothing, and nothing that existed is gone.

The customize role's one service is blob storage: it uploads local files with `blob_upload`,
here to Azurite (started for this file) with a token from the stand-in's Entra ID, so its
faults are those of the token endpoint."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures import seed_sources
from harness import OUTPUT_DIR, REPO_ROOT, WRITE_METHODS, Sim

RECAP = re.compile(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)")


@pytest.fixture(scope="module")
def ids(sim: Sim, group: str) -> dict[str, str]:
    return {"rg": group, **seed_sources(sim, group)}


def play(role: str, variables: dict[str, Any]) -> dict[str, Any]:
    return {
        "hosts": "localhost",
        "gather_facts": False,
        "roles": [{"role": f"goldenimage.azure.{role}", "vars": variables}],
    }


def identity_play(sim: Sim, ids: dict[str, str]) -> dict[str, Any]:
    group_id = sim.group_id(ids["rg"])
    return play(
        "identity",
        {
            "identity_name": "relrole-id",
            "identity_resource_group": ids["rg"],
            "identity_role_name": f"Image Builder reliability {ids['rg']}",
            "identity_scopes": [ids["gallery"], group_id],
            "identity_staging_resource_group_id": group_id,
        },
    )


def gallery_play(sim: Sim, ids: dict[str, str]) -> dict[str, Any]:
    image = {"os_type": "Linux", "os_state": "Generalized", "hyper_v_generation": "V2"}
    return play(
        "gallery",
        {
            "gallery_name": "relrolegal",
            "gallery_resource_group": ids["rg"],
            "gallery_location": "eastus",
            "gallery_description": "reliability",
            "gallery_images": [
                {"name": "first", "publisher": "contoso", "offer": "rel", "sku": "1", **image},
                {"name": "second", "publisher": "contoso", "offer": "rel", "sku": "2", **image},
            ],
        },
    )


@pytest.fixture(scope="module")
def azurite(sim: Sim) -> Iterator[dict[str, str]]:
    """Azurite's blob service with OAuth, and a CA bundle that trusts it and the stand-in."""
    directory = OUTPUT_DIR / f"azurite-{Path(sim.stand_in.state_dir).parent.name}"
    started = subprocess.run(
        # OAuth: the customize role uploads with the collection's Entra ID token.
        [str(REPO_ROOT / "hack" / "azurite.sh"), "start", str(directory), "--oauth"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
    )
    if started.returncode != 0:
        pytest.fail(f"Azurite did not start: {started.stderr[-500:]}")
    settings = {
        name: shlex.split(value)[0]
        for name, _sep, value in (
            line.removeprefix("export ").partition("=")
            for line in (directory / "env.sh").read_text(encoding="utf-8").splitlines()
        )
    }
    bundle = directory / "ca-bundle.pem"
    bundle.write_text(
        Path(sim.stand_in.ca_file).read_text(encoding="utf-8")
        + Path(settings["AZURITE_CA_FILE"]).read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    script = directory / "steps" / "harden.sh"
    script.parent.mkdir(exist_ok=True)
    script.write_text("#!/bin/sh\necho hardened\n", encoding="utf-8")
    yield {**settings, "bundle": str(bundle), "script": str(script)}
    subprocess.run(
        [str(REPO_ROOT / "hack" / "azurite.sh"), "stop", str(directory)],
        capture_output=True,
        check=False,
        cwd=REPO_ROOT,
    )
    shutil.rmtree(directory, ignore_errors=True)


def customize_play(sim: Sim, ids: dict[str, str], azurite: dict[str, str]) -> dict[str, Any]:
    return play(
        "customize",
        {
            "customize_steps": [
                {"type": "shell", "name": "harden", "script": azurite["script"]},
                {
                    "type": "file",
                    "src": azurite["script"],
                    "destination": "/usr/local/bin/harden.sh",
                },
            ],
            "customize_storage_account": azurite["AZURITE_ACCOUNT"],
            "customize_storage_blob_endpoint": azurite["AZURITE_BLOB_ENDPOINT"],
            "customize_storage_auth_mode": "credential",
            "customize_blob_prefix": f"{ids['rg']}/",
        },
    )


# role -> (play, the names a failure may cite, fault rules: path regex, method, rule)
Fault = tuple[str, str, dict[str, Any]]
PlayMaker = Callable[..., dict[str, Any]]
ROLES: dict[str, tuple[PlayMaker, list[str], list[Fault]]] = {
    "identity": (
        identity_play,
        ["relrole-id", "Image Builder reliability", "roleAssignments"],
        [
            (
                r"/userAssignedIdentities/relrole-id$",
                "PUT",
                {"status": 429, "retry_after": 1, "count": 2},
            ),
            (r"/roleDefinitions", "GET", {"status": 503, "retry_after": 1, "count": 2}),
            (r"/roleDefinitions/", "PUT", {"status": 500, "count": 1}),
            (r"/roleAssignments/", "PUT", {"reset": True, "count": 1}),
            (r"/roleAssignments", "GET", {"status": 500, "count": 1}),
        ],
    ),
    "gallery": (
        gallery_play,
        ["relrolegal", "first", "second"],
        [
            (r"/galleries/relrolegal$", "PUT", {"status": 429, "retry_after": 1, "count": 2}),
            (r"/galleries/relrolegal$", "GET", {"status": 503, "retry_after": 1, "count": 2}),
            (r"/images/first$", "PUT", {"reset": True, "count": 1}),
            (r"/images/second$", "PUT", {"status": 500, "count": 1}),
            (r"/images/second$", "GET", {"reset": True, "count": 1}),
        ],
    ),
    "customize": (
        customize_play,
        ["harden", "devstoreaccount1", "customize"],
        [
            (r"/oauth2/v2\.0/token$", "POST", {"status": 429, "retry_after": 1, "count": 1}),
            (r"/oauth2/v2\.0/token$", "POST", {"status": 503, "retry_after": 1, "count": 1}),
            (r"/oauth2/v2\.0/token$", "POST", {"status": 500, "count": 1}),
        ],
    ),
}
# A role's tasks whose `changed` a converged run must not report (the customize role's
# staging directory is made and removed on every run).
STEADY_TASK = re.compile(
    r"TASK \[goldenimage\.azure\.customize : Upload the local files\][^\n]*\n(\w+):"
)


def recap(output: str) -> tuple[int, int]:
    match = RECAP.search(output)
    assert match, output[-3000:]
    return int(match[1]), int(match[2])


def arm_writes(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in requests if e["kind"] == "arm" and e["method"] in WRITE_METHODS]


@pytest.mark.parametrize("role", sorted(ROLES))
def test_role_under_faults_converges(
    sim: Sim, ids: dict[str, str], role: str, request: pytest.FixtureRequest
) -> None:
    make_play, names, faults = ROLES[role]
    env: dict[str, str] = {}
    if role == "customize":
        azurite = request.getfixturevalue("azurite")
        playbook = [make_play(sim, ids, azurite)]
        env["REQUESTS_CA_BUNDLE"] = azurite["bundle"]
    else:
        playbook = [make_play(sim, ids)]
    before = sim.state()
    for path, method, rule in faults:
        sim.admin.add_fault(path, method=method, **rule)
    status, output, _requests = sim.run_playbook(playbook, env=env, label=f"role-fault-{role}")
    left = sim.admin.faults()
    sim.admin.clear_faults()
    assert left == [], f"faults the {role} role never met: {left}"
    if status != 0:
        assert any(name in output for name in names), output[-3000:]
        assert "HTTP" in output or "Error" in output, output[-3000:]
    status, output, _requests = sim.run_playbook(
        playbook, env=env, label=f"role-fault-{role}-rerun"
    )
    assert status == 0, output[-3000:]
    status, output, requests = sim.run_playbook(playbook, env=env, label=f"role-fault-{role}-again")
    assert status == 0, output[-3000:]
    if role == "customize":
        steady = STEADY_TASK.search(output)
        assert steady and steady[1] == "ok", output[-3000:]
    else:
        assert recap(output)[0] == 0, output[-3000:]
    assert arm_writes(requests) == []
    assert before <= sim.state(), f"deleted: {before - sim.state()}"
