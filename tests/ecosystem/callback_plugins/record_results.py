# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write every task result of a run, by play, to the JSON file named by RECORD_RESULTS_FILE."""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: record_results
type: aggregate
short_description: record task results as JSON for the ecosystem tests
description: Writes each task's play, name, failed flag and message to E(RECORD_RESULTS_FILE).
requirements: [enable it in the callbacks_enabled setting]
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "record_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._play = ""
        self._records: list[dict[str, object]] = []

    def v2_playbook_on_play_start(self, play) -> None:  # type: ignore[no-untyped-def]
        self._play = play.get_name()

    def _record(self, result, failed: bool) -> None:  # type: ignore[no-untyped-def]
        self._records.append(
            {
                "play": self._play,
                "task": result.task_name,
                "failed": failed,
                "msg": str(result._result.get("msg", "")),
            }
        )

    def v2_runner_on_ok(self, result) -> None:  # type: ignore[no-untyped-def]
        self._record(result, False)

    def v2_runner_on_failed(self, result, ignore_errors: bool = False) -> None:  # type: ignore[no-untyped-def]
        self._record(result, True)

    def v2_playbook_on_stats(self, stats) -> None:  # type: ignore[no-untyped-def]
        with open(os.environ["RECORD_RESULTS_FILE"], "w", encoding="utf-8") as handle:
            json.dump(self._records, handle)
