"""The end-to-end pipeline playbook and the stand-in's own latency."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from gibench import standin
from gibench.playbook import playbook_env
from gibench.standin import (
    StandIn,
    arm_calls,
    arm_methods,
    count_kinds,
    in_window,
    read_exports,
)

PIPELINE = Path("playbooks/build_image.yml")
PIPELINE_VARS = Path("playbooks/vars/build_image.example.yml")
# Laid over the example vars by `make demo`, with Azurite holding the customizer's files.
DEMO_VARS = Path("playbooks/vars/build_image.demo.yml")
AZURITE = Path("hack/azurite.sh")
SCALE = 600.0  # the time scale `make demo` starts its stand-in with


def run_pipeline(
    azsim: Path, root: Path, ansible_bin: Path, python: Path, collections: Path, workdir: Path
) -> dict[str, Any]:
    """Run playbooks/build_image.yml the way `make demo` does, against a stand-in of its own.

    Like `make demo`, Azurite holds the files the customize role uploads; when Azurite cannot
    start, the playbook runs with the example vars only and the result says so.
    """
    if not (root / PIPELINE).exists():
        return {"status": "skipped", "reason": f"{PIPELINE} does not exist yet"}
    azurite_dir = workdir / "azurite"
    azurite, why_not = _start_azurite(root, azurite_dir)
    extra = ("--blob-endpoint", azurite["AZURITE_BLOB_ENDPOINT"]) if azurite else ()
    sim = standin.start(azsim, workdir / "azsim-pipeline", SCALE, *extra)
    try:
        return _run(sim, root, ansible_bin, python, collections, workdir, azurite, why_not)
    finally:
        sim.stop()
        if azurite:
            subprocess.run(
                [str(root / AZURITE), "stop", str(azurite_dir)],
                cwd=root,
                capture_output=True,
                timeout=60,
                check=False,
            )


def _start_azurite(root: Path, directory: Path) -> tuple[dict[str, str], str]:
    """Azurite's environment, or why it was not started."""
    if not (root / DEMO_VARS).exists() or not (root / AZURITE).exists():
        return {}, f"{DEMO_VARS} or {AZURITE} does not exist"
    started = subprocess.run(
        [str(root / AZURITE), "start", str(directory)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if started.returncode != 0:
        return {}, f"Azurite did not start: {(started.stderr or started.stdout).strip()[-200:]}"
    return read_exports(directory / "env.sh"), ""


def _run(
    sim: StandIn,
    root: Path,
    ansible_bin: Path,
    python: Path,
    collections: Path,
    workdir: Path,
    azurite: dict[str, str],
    why_not: str,
) -> dict[str, Any]:
    command = [
        str(ansible_bin / "ansible-playbook"),
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={python}",
        str(root / PIPELINE),
    ]
    if (root / PIPELINE_VARS).exists():
        command += ["-e", f"@{root / PIPELINE_VARS}"]
    overrides = {"ANSIBLE_COLLECTIONS_PATH": str(collections), **azurite}
    if azurite:
        command += ["-e", f"@{root / DEMO_VARS}"]
        # Clients talk to the stand-in and to Azurite over HTTPS: trust both, as `make demo` does.
        bundle = workdir / "pipeline-ca.pem"
        bundle.write_text(
            Path(sim.env["REQUESTS_CA_BUNDLE"]).read_text(encoding="utf-8")
            + Path(azurite["AZURITE_CA_FILE"]).read_text(encoding="utf-8"),
            encoding="utf-8",
        )
        overrides["REQUESTS_CA_BUNDLE"] = str(bundle)
    timings = workdir / "pipeline.timings.jsonl"
    env = playbook_env(sim.env, overrides, timings)
    env["PATH"] = f"{ansible_bin}{os.pathsep}{env.get('PATH', '')}"
    first = sim.admin.last_seq()
    started = time.monotonic()
    completed = subprocess.run(
        command, env=env, cwd=root, capture_output=True, text=True, timeout=900, check=False
    )
    seconds = time.monotonic() - started
    (workdir / "pipeline.log").write_text(completed.stdout + completed.stderr, encoding="utf-8")
    entries = sim.admin.requests(since=first)
    arm = [e for e in entries if e["kind"] == "arm"]
    lines = timings.read_text(encoding="utf-8").splitlines() if timings.exists() else []
    tasks = [json.loads(line) for line in lines]
    return {
        "status": "ok" if completed.returncode == 0 else f"failed (exit {completed.returncode})",
        "with_azurite": bool(azurite),
        "without_azurite_because": why_not,
        "seconds": round(seconds, 1),
        "requests": count_kinds(entries),
        # Token requests proper (POST); the other token-kind requests are MSAL's OpenID reads.
        "token_posts": sum(e["kind"] == "token" and e["method"] == "POST" for e in entries),
        "writes": sum(e["method"] != "GET" for e in arm),
        "arm_by_method": arm_methods(entries),
        # Each module process reads MSAL's OpenID configuration once: it counts the processes.
        "module_processes": sum(e["kind"] == "token" and e["method"] == "GET" for e in entries),
        "repeated_reads": repeated_reads(entries, tasks),
        # What each task sent, in order, to tell a retry from a read-back.
        "arm_calls_by_task": {
            task["task"]: calls for task in tasks if (calls := arm_calls(_window(entries, task)))
        },
    }


def _window(entries: list[dict[str, Any]], task: dict[str, Any]) -> list[dict[str, Any]]:
    return in_window(entries, task["start"], task["end"])


def repeated_reads(
    entries: list[dict[str, Any]], tasks: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """ARM resources read (GET) more than once within one task, with the task's name.

    Operation-status polls are not reads of a resource and are left out.
    """
    found = []
    for task in tasks:
        counts: dict[str, int] = {}
        for entry in _window(entries, task):
            path = entry["path"]
            if entry["kind"] == "arm" and entry["method"] == "GET" and "/operations/" not in path:
                counts[path] = counts.get(path, 0) + 1
        found += [
            {"task": task["task"], "path": path, "reads": count}
            for path, count in counts.items()
            if count > 1
        ]
    return found


def standin_latency(standin: StandIn, root: Path, workdir: Path) -> dict[str, Any]:
    """Median authenticated GET, from the stand-in's own latency benchmark."""
    output = workdir / "latency.json"
    completed = subprocess.run(
        [
            sys.executable,
            str(root / "emulator" / "benchmarks" / "latency.py"),
            "--dir",
            str(standin.state_dir),
            "--requests",
            "300",
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if not output.exists():
        return {"status": "failed", "reason": (completed.stderr or completed.stdout)[-300:]}
    result: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
    return result
