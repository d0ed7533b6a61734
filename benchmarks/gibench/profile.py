"""Peak memory and imported SDK packages of one module process.

The playbook runs once more with ANSIBLE_KEEP_REMOTE_FILES, which leaves each task's
AnsiballZ payload (module, module_utils and arguments in one file) on disk. Each payload is
then run again outside Ansible, exactly as Ansible runs it (`python AnsiballZ_x.py`), against
the same stand-in: once plain, to read the process's peak resident set size from wait4(), and
once with `-X importtime`, to list what it imported and what the imports cost.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gibench import playbook
from gibench.playbook import Task

IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)$")
# Packages reported as SDKs: the Azure SDK and what azure-identity brings.
SDK_PREFIXES = ("azure.", "msal", "msrest", "requests", "cryptography", "jwt")


PROCESS_RUNS = 3


@dataclass
class Profile:
    peak_rss_mib: float
    returncode: int
    # Median wall time of the payload run on its own: the module process's share of a task.
    process_s: float
    imports_s: float
    sdk_packages: list[str]
    sdk_import_s: dict[str, float]


def sdk_package(module: str) -> str | None:
    """`azure.mgmt.compute.v2024...` -> `azure.mgmt.compute`; None for non-SDK modules."""
    parts = module.split(".")
    if parts[0] == "azure":
        depth = 3 if len(parts) > 2 and parts[1] == "mgmt" else 2
        return ".".join(parts[:depth]) if len(parts) >= 2 else None
    return parts[0] if parts[0].startswith(SDK_PREFIXES) else None


def parse_importtime(stderr: str) -> tuple[float, list[str], dict[str, float]]:
    """Total import seconds, the SDK packages imported, and the seconds each one's modules took.

    A package's time is the sum of the `self` times of its modules, so nothing is counted twice.
    """
    total_us = 0
    packages: dict[str, int] = {}
    for line in stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if not match:
            continue
        self_us, name = int(match[1]), match[4]
        total_us += self_us
        package = sdk_package(name)
        if package is not None:
            packages[package] = packages.get(package, 0) + self_us
    seconds = {name: round(us / 1e6, 3) for name, us in packages.items()}
    return round(total_us / 1e6, 3), sorted(packages), seconds


def run_payload(
    python: Path, payload: Path, env: dict[str, str], *flags: str
) -> tuple[int, float, str]:
    """Exit status, peak RSS in MiB (from wait4) and stderr of one payload run."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            [str(python), *flags, str(payload)],
            stdout=out,
            stderr=err,
            env=env,
            cwd=payload.parent,
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        return process.returncode, usage.ru_maxrss / 1024, err.read().decode(errors="replace")


def keep_payloads(
    ansible_playbook: Path,
    workdir: Path,
    tasks: list[Task],
    env: dict[str, str],
    admin: Any,
    python: Path,
    module_defaults: dict[str, Any],
) -> dict[str, Path]:
    """Run `tasks` keeping their payloads; map each module's short name to its payload."""
    remote_tmp = workdir / "remote-tmp"
    env = {**env, "ANSIBLE_KEEP_REMOTE_FILES": "1", "ANSIBLE_REMOTE_TMP": str(remote_tmp)}
    playbook.run(
        ansible_playbook,
        workdir,
        "profile",
        tasks,
        env,
        admin,
        python=python,
        module_defaults=module_defaults,
    )
    payloads = {}
    for path in sorted(remote_tmp.glob("ansible-tmp-*/AnsiballZ_*.py")):
        payloads[path.stem.removeprefix("AnsiballZ_")] = path
    return payloads


def profile(python: Path, payload: Path, env: dict[str, str]) -> Profile:
    full_env = {**os.environ, **env}
    walls, peaks = [], []
    for _ in range(PROCESS_RUNS):
        started = time.monotonic()
        returncode, peak, _ = run_payload(python, payload, full_env)
        walls.append(time.monotonic() - started)
        peaks.append(peak)
    _, _, stderr = run_payload(python, payload, full_env, "-X", "importtime")
    total, packages, times = parse_importtime(stderr)
    return Profile(
        peak_rss_mib=round(max(peaks), 1),
        returncode=returncode,
        process_s=round(statistics.median(walls), 3),
        imports_s=total,
        sdk_packages=packages,
        sdk_import_s=times,
    )
