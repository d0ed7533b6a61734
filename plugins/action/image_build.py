# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run goldenimage.azure.image_build in short steps and print the build's progress meanwhile.

A module cannot report while it runs, so the plugin runs it in steps: the first run decides
and starts the build, later runs only follow it. A run returns as soon as there is a line to
print (a new phase, or a heartbeat every ``progress_interval`` seconds); between runs the
controller sleeps as long as the module asks (its back-off honours Retry-After).
"""

from __future__ import annotations

import time
from typing import Any

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.goldenimage.azure.plugins.module_utils._build_progress import (
    ProgressThrottle,
    format_duration,
)

display = Display()
MODULE = "goldenimage.azure.image_build"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result: dict[str, Any] = super().run(tmp, task_vars)
        args = dict(self._task.args)
        if args.get("resume") is not None or self._play_context.check_mode:
            result.update(self._step(args, task_vars))
            return result
        try:
            result.update(self._follow(args, task_vars))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _step(self, args: dict[str, Any], task_vars: dict[str, Any] | None) -> dict[str, Any]:
        outcome: dict[str, Any] = self._execute_module(
            module_name=MODULE, module_args=args, task_vars=task_vars
        )
        return outcome

    def _follow(self, args: dict[str, Any], task_vars: dict[str, Any] | None) -> dict[str, Any]:
        name = str(args.get("name"))
        throttle = ProgressThrottle(float(args.get("progress_interval") or 60))
        started = time.monotonic()
        changed = False
        follow = False
        shown: str | None = None
        while True:
            elapsed = time.monotonic() - started
            resume = {"elapsed": elapsed, "follow": follow, "phase": shown}
            outcome = self._step({**args, "resume": resume}, task_vars)
            changed = changed or bool(outcome.get("changed"))
            build = outcome.get("build") or {}
            phase = str(build.get("phase") or "unknown")
            elapsed = time.monotonic() - started
            if outcome.get("failed") or build.get("finished") or "next_poll_seconds" not in build:
                if changed or follow:
                    display.display(f"{name}: {phase}, {format_duration(elapsed)}")
                outcome["changed"] = changed
                outcome["elapsed"] = round(elapsed, 3)
                outcome.pop("invocation", None)
                return outcome
            if throttle.should_report(phase, elapsed):
                display.display(f"{name}: {phase}, {format_duration(elapsed)}")
                shown = phase
            time.sleep(float(build["next_poll_seconds"]))
            follow = True
