# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark callback: one JSON line per task with its wall-clock start and end.

Written to the file named by BENCH_TIMINGS_FILE. Start is when the task starts on the
controller, end is when its result comes back, so the figure includes forking, building
and transferring the module, and the module's own run.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: bench_timer
type: aggregate
short_description: Write per-task wall-clock times for the benchmark
description: Writes one JSON line per task result to the file named by BENCH_TIMINGS_FILE.
requirements:
  - BENCH_TIMINGS_FILE set in the environment
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._path = os.environ.get("BENCH_TIMINGS_FILE")
        self._task_name = ""
        self._started = 0.0

    def v2_playbook_on_task_start(self, task: Any, is_conditional: bool) -> None:
        self._task_name = task.get_name()
        self._started = time.time()

    def _record(self, result: Any, status: str) -> None:
        ended = time.time()
        if not self._path:
            return
        outcome = result._result
        entry = {
            "task": self._task_name,
            "start": self._started,
            "end": ended,
            "status": status,
            "changed": bool(outcome.get("changed", False)),
            "msg": str(outcome.get("msg", ""))[:500] if status != "ok" else "",
        }
        with open(self._path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")

    def v2_runner_on_ok(self, result: Any) -> None:
        self._record(result, "ok")

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result: Any) -> None:
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self._record(result, "unreachable")
