# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image_build action plugin: short module runs, progress lines, one combined result."""

from __future__ import annotations

import importlib
from typing import Any
from unittest.mock import MagicMock

import pytest

# Importing an action plugin loads ansible's controller code, which switches module-side
# warnings to the controller's display for the whole process (ansible-core 2.19; 2.16 has no
# such switch). Module tests running later in this process must keep warnings in their results.
try:
    module_side: Any = importlib.import_module("ansible.module_utils._internal")
except ImportError:
    module_side = None
_WAS_CONTROLLER = getattr(module_side, "is_controller", None)
from ansible_collections.goldenimage.azure.plugins.action import image_build as plugin  # noqa: E402

if _WAS_CONTROLLER is not None:
    module_side.is_controller = _WAS_CONTROLLER


def make_action(args: dict[str, Any], check_mode: bool = False) -> plugin.ActionModule:
    task = MagicMock()
    task.args = args
    task.async_val = 0
    task.check_mode = check_mode
    play_context = MagicMock()
    play_context.check_mode = check_mode
    return plugin.ActionModule(
        task, MagicMock(), play_context, MagicMock(), MagicMock(), MagicMock()
    )


def step(
    phase: str, *, finished: bool = False, changed: bool = False, **extra: Any
) -> dict[str, Any]:
    build: dict[str, Any] = {"phase": phase, "finished": finished}
    if not finished:
        build["next_poll_seconds"] = 5.0
    return {"changed": changed, "build": build, **extra}


@pytest.fixture
def printed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    lines: list[str] = []
    monkeypatch.setattr(
        plugin.display, "display", lambda message, *args, **kwargs: lines.append(message)
    )
    monkeypatch.setattr(plugin.time, "sleep", lambda seconds: None)
    return lines


def run_with(
    action: plugin.ActionModule, outcomes: list[dict[str, Any]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    sent: list[dict[str, Any]] = []

    def execute_module(
        module_name: str, module_args: dict[str, Any], task_vars: Any
    ) -> dict[str, Any]:
        assert module_name == "goldenimage.azure.image_build"
        sent.append(module_args)
        return outcomes.pop(0)

    action._execute_module = execute_module
    action._remove_tmp_path = MagicMock()
    return action.run(task_vars={}), sent


def test_the_first_run_may_start_and_later_runs_only_follow(printed: list[str]) -> None:
    action = make_action({"name": "golden-ubuntu", "resource_group": "rg", "progress_interval": 60})
    result, sent = run_with(
        action,
        [
            step("Queued", changed=True),
            step("Building"),
            step("Building"),
            step("Succeeded", finished=True),
        ],
    )
    assert [args["resume"]["follow"] for args in sent] == [False, True, True, True]
    # each step is told the phase printed last, so it returns only when there is news
    assert [args["resume"]["phase"] for args in sent] == [None, "Queued", "Building", "Building"]
    assert all(args["name"] == "golden-ubuntu" for args in sent)
    assert result["changed"] is True
    assert result["build"]["phase"] == "Succeeded"
    # one line per phase change (the repeated Building is within the interval), plus the end
    phases = [line.split(": ", 1)[1].split(",")[0] for line in printed]
    assert phases == ["Queued", "Building", "Succeeded"]
    assert all(line.startswith("golden-ubuntu: ") for line in printed)


def test_a_failed_step_is_returned_with_the_change_it_made(printed: list[str]) -> None:
    action = make_action({"name": "g", "resource_group": "rg"})
    failed = {"failed": True, "msg": "Image build of g failed during Customizing", "changed": False,
              "build": {"phase": "Failed", "finished": True}}  # fmt: skip
    result, _sent = run_with(action, [step("Queued", changed=True), failed])
    assert result["failed"] and result["changed"] is True
    assert result["msg"].startswith("Image build of g failed")
    assert printed[-1].startswith("g: Failed, ")


def test_nothing_to_build_prints_nothing(printed: list[str]) -> None:
    action = make_action({"name": "g", "resource_group": "rg"})
    result, sent = run_with(action, [step("Succeeded", finished=True)])
    assert result["changed"] is False
    assert len(sent) == 1 and printed == []


def test_check_mode_is_one_plain_module_run(printed: list[str]) -> None:
    action = make_action({"name": "g", "resource_group": "rg"}, check_mode=True)
    result, sent = run_with(action, [step("Succeeded", finished=True, changed=True)])
    assert "resume" not in sent[0]
    assert result["changed"] is True
