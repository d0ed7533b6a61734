"""The end-to-end pipeline playbook and the stand-in's own latency."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from gibench.standin import StandIn, count_kinds

PIPELINE = Path("playbooks/build_image.yml")
PIPELINE_VARS = Path("playbooks/vars/build_image.example.yml")


def run_pipeline(
    standin: StandIn, root: Path, ansible_bin: Path, python: Path, collections: Path, workdir: Path
) -> dict[str, Any]:
    """Run playbooks/build_image.yml the way `make demo` does; its requests by kind and time."""
    if not (root / PIPELINE).exists():
        return {"status": "skipped", "reason": f"{PIPELINE} does not exist yet"}
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
    env = {
        **os.environ,
        **standin.env,
        "ANSIBLE_COLLECTIONS_PATH": str(collections),
        "ANSIBLE_NOCOLOR": "1",
    }
    first = standin.admin.last_seq()
    started = time.monotonic()
    completed = subprocess.run(
        command, env=env, cwd=root, capture_output=True, text=True, timeout=900, check=False
    )
    seconds = time.monotonic() - started
    (workdir / "pipeline.log").write_text(completed.stdout + completed.stderr, encoding="utf-8")
    entries = standin.admin.requests(since=first)
    return {
        "status": "ok" if completed.returncode == 0 else f"failed (exit {completed.returncode})",
        "seconds": round(seconds, 1),
        "requests": count_kinds(entries),
        "writes": sum(e["kind"] == "arm" and e["method"] != "GET" for e in entries),
    }


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
