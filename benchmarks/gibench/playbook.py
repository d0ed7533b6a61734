"""Write a playbook of single tasks, run it, and join its task times with the request log."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gibench.standin import api_versions, arm_calls, arm_methods, count_kinds, in_window

CALLBACK_DIR = Path(__file__).resolve().parents[1] / "callback_plugins"


@dataclass(frozen=True)
class Task:
    label: str  # what the figures are grouped by, e.g. "gallery/noop" or "ping"
    module: str  # fully qualified
    args: dict[str, Any]
    timed: bool = True


@dataclass
class TaskResult:
    label: str
    seconds: float
    status: str
    changed: bool
    requests: dict[str, int]
    methods: dict[str, int] = field(default_factory=dict)
    api_versions: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    msg: str = ""


@dataclass
class Run:
    returncode: int
    seconds: float
    output: str
    results: list[TaskResult] = field(default_factory=list)
    # The callback's entry of the last task of each label: start, end, status, msg.
    timings: dict[str, dict[str, Any]] = field(default_factory=dict)

    def by_label(self) -> dict[str, list[TaskResult]]:
        groups: dict[str, list[TaskResult]] = {}
        for result in self.results:
            groups.setdefault(result.label, []).append(result)
        return groups


def task_name(task: Task, index: int) -> str:
    return f"{task.label} #{index}"


def write_playbook(path: Path, tasks: list[Task], module_defaults: dict[str, Any]) -> None:
    play = {
        "name": "goldenimage.azure benchmark",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "module_defaults": module_defaults,
        "tasks": [
            {"name": task_name(t, i), t.module: t.args, "ignore_errors": True}
            for i, t in enumerate(tasks)
        ],
    }
    path.write_text(json.dumps([play], indent=1), encoding="utf-8")


def playbook_env(base: dict[str, str], overrides: dict[str, str], timings: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(base)
    env.update(
        ANSIBLE_CALLBACK_PLUGINS=str(CALLBACK_DIR),
        ANSIBLE_CALLBACKS_ENABLED="bench_timer",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
        BENCH_TIMINGS_FILE=str(timings),
    )
    env.update(overrides)
    return env


def run(
    ansible_playbook: Path,
    workdir: Path,
    name: str,
    tasks: list[Task],
    env: dict[str, str],
    admin: Any,
    *,
    python: Path,
    module_defaults: dict[str, Any] | None = None,
    timeout: float = 600,
) -> Run:
    """Run `tasks` as one playbook; per task: wall time and the stand-in requests in its window."""
    playbook = workdir / f"{name}.yml"
    timings = workdir / f"{name}.timings.jsonl"
    timings.unlink(missing_ok=True)
    write_playbook(playbook, tasks, module_defaults or {})
    first_seq = admin.last_seq()
    started = time.monotonic()
    completed = subprocess.run(
        [
            str(ansible_playbook),
            "-i",
            "localhost,",
            "-e",
            f"ansible_python_interpreter={python}",
            str(playbook),
        ],
        env=playbook_env(env, {}, timings),
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    seconds = time.monotonic() - started
    (workdir / f"{name}.log").write_text(completed.stdout + completed.stderr, encoding="utf-8")
    log = admin.requests(since=first_seq)
    result = Run(completed.returncode, seconds, completed.stdout + completed.stderr)
    lines = timings.read_text(encoding="utf-8").splitlines() if timings.exists() else []
    entries = {e["task"]: e for e in map(json.loads, lines)}
    for index, task in enumerate(tasks):
        entry = entries.get(task_name(task, index))
        if entry is None:
            continue
        result.timings[task.label] = entry
        if not task.timed:
            continue
        window = in_window(log, entry["start"], entry["end"])
        result.results.append(
            TaskResult(
                label=task.label,
                seconds=entry["end"] - entry["start"],
                status=entry["status"],
                changed=entry["changed"],
                requests=count_kinds(window),
                methods=arm_methods(window),
                api_versions=api_versions(window),
                calls=arm_calls(window),
                msg=entry["msg"],
            )
        )
    return result


def summarize(results: list[TaskResult]) -> dict[str, Any]:
    """Median seconds and mean requests per task of one group of tasks."""
    count = len(results)
    kinds = results[0].requests.keys() if results else ()
    failed = [r for r in results if r.status != "ok"]
    return {
        "tasks": count,
        "failed": len(failed),
        "failure": failed[0].msg if failed else "",
        "changed": sum(r.changed for r in results),
        "median_s": round(statistics.median(r.seconds for r in results), 3) if results else None,
        "min_s": round(min(r.seconds for r in results), 3) if results else None,
        "requests_per_task": {
            k: round(sum(r.requests[k] for r in results) / count, 2) for k in kinds
        },
        "api_versions": sorted({v for r in results for v in r.api_versions}),
        "arm_calls_of_last_task": results[-1].calls if results else [],
    }
