# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What image_build and image_template_trigger do first, decided from the current state alone."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.goldenimage.azure.plugins.module_utils._build_runner import decide
from ansible_collections.goldenimage.azure.plugins.module_utils._template_trigger import (
    is_active,
    plan_trigger,
)


def template(run_state: str | None = None, modified_after_run: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "golden", "properties": {}}
    if run_state:
        body["properties"]["lastRunStatus"] = {
            "runState": run_state,
            "startTime": "2026-01-01T00:00:00Z",
            "endTime": "2026-01-01T00:40:00Z",
        }
    if modified_after_run:
        body["systemData"] = {"lastModifiedAt": "2026-01-02T00:00:00Z"}
    return body


@pytest.mark.parametrize(
    ("current", "state", "force", "action"),
    [
        (template(), "succeeded", False, "start"),
        (template("Failed"), "succeeded", False, "start"),
        (template("Succeeded"), "succeeded", False, "none"),
        (template("Succeeded", modified_after_run=True), "succeeded", False, "start"),
        (template("Succeeded"), "succeeded", True, "start"),
        (template("Succeeded"), "started", False, "none"),
        (template("Running"), "succeeded", False, "follow"),
        (template("Running"), "started", False, "follow"),
        (template("Running"), "canceled", False, "cancel"),
        (template("Canceling"), "canceled", False, "cancel"),
        (template("Succeeded"), "canceled", False, "none"),
    ],
)
def test_build_decision(current: dict[str, Any], state: str, force: bool, action: str) -> None:
    decision = decide(current, state, force, follow=False)
    assert decision.action == action
    assert decision.refusal is None
    assert decision.changes == (action in ("start", "cancel"))


def test_force_never_starts_a_second_build_beside_a_running_one() -> None:
    decision = decide(template("Running"), "succeeded", True, follow=False)
    assert decision.action == "none"
    assert decision.refusal is not None and "running" in decision.refusal


def test_following_never_starts_a_build() -> None:
    assert decide(template("Failed"), "succeeded", True, follow=True).action == "follow"


def trigger(code: str | None = "Healthy", kind: str = "SourceImage") -> dict[str, Any]:
    properties: dict[str, Any] = {"kind": kind}
    if code:
        properties["status"] = {"code": code, "message": "m"}
    return {"name": "t", "properties": properties}


@pytest.mark.parametrize(
    ("current", "state", "recreate", "action"),
    [
        (None, "present", False, "create"),
        (trigger(), "present", False, "none"),
        (trigger(None), "present", True, "none"),
        (trigger("Disabled"), "present", False, "none"),
        (trigger("Disabled"), "present", True, "recreate"),
        (trigger(kind="Other"), "present", False, "recreate"),
        (trigger(), "absent", False, "delete"),
        (None, "absent", False, "none"),
    ],
)
def test_trigger_plan(
    current: dict[str, Any] | None, state: str, recreate: bool, action: str
) -> None:
    assert plan_trigger(current, state, "SourceImage", recreate).action == action


def test_inactive_trigger() -> None:
    assert is_active(trigger())
    assert is_active(trigger(None))
    assert not is_active(trigger("Disabled"))
