# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""image_template, image_build and image_template_trigger: ``main()`` with Azure faked at HTTP level.

The real azure-core pipeline and ARM poller run above a fake transport answering with
2025-10-01 shapes, so request counts, methods and long-running operations are the real ones.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("azure.mgmt.core", reason="azure-mgmt-core is not installed")

from ansible_collections.goldenimage.azure.plugins.module_utils import _build_runner
from ansible_collections.goldenimage.azure.plugins.modules import (
    image_build,
    image_template,
    image_template_info,
    image_template_trigger,
)
from ansible_collections.goldenimage.azure.tests.unit.azure_fakes import (
    FakeTransport,
    Reply,
    fake_azure,
    page,
)
from ansible_collections.goldenimage.azure.tests.unit.harness import ModuleResult

SUB = "00000000-0000-0000-0000-000000000001"
GROUP = f"/subscriptions/{SUB}/resourceGroups/rg"
IDENTITY = f"{GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/builder"
TEMPLATE_PATH = f"{GROUP}/providers/Microsoft.VirtualMachineImages/imageTemplates/golden"
TEMPLATE_URL = r"/imageTemplates/golden\?"
OPERATION = "https://management.azure.com/subscriptions/x/providers/Microsoft.VirtualMachineImages/locations/eastus/operations/op1"
Runner = Callable[..., ModuleResult]

PARAMS: dict[str, Any] = {
    "name": "golden",
    "resource_group": "rg",
    "identity": IDENTITY,
    "source": {"type": "platform_image", "publisher": "Canonical", "offer": "o", "sku": "s"},
    "customize": [{"type": "shell", "name": "patch", "inline": ["apt-get update"]}],
    "distribute": [{"type": "vhd", "run_output_name": "vhd"}],
    "tags": {"env": "test"},
}


def template_body(run: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    """The template as Azure returns it after PARAMS created it."""
    body: dict[str, Any] = {
        "id": TEMPLATE_PATH,
        "name": "golden",
        "type": "Microsoft.VirtualMachineImages/imageTemplates",
        "location": "eastus",
        "tags": {"env": "test"},
        "identity": {
            "type": "UserAssigned",
            "userAssignedIdentities": {IDENTITY: {"principalId": "p", "clientId": "c"}},
        },
        "properties": {
            "source": {"type": "PlatformImage", "publisher": "Canonical", "offer": "o", "sku": "s", "version": "latest"},
            "customize": [{"type": "Shell", "name": "patch", "inline": ["apt-get update"]}],
            "distribute": [{"type": "VHD", "runOutputName": "vhd", "artifactTags": {}}],
            "vmProfile": {"vmSize": "", "osDiskSizeGB": 0},
            "buildTimeoutInMinutes": 0,
            "provisioningState": "Succeeded",
        },
    }  # fmt: skip
    if run is not None:
        body["properties"]["lastRunStatus"] = run
    body.update(changes)
    return body


def accepted(status: int = 202, body: Any = None) -> Reply:
    return Reply(status, body, {"Azure-AsyncOperation": OPERATION, "Retry-After": "0"})


@pytest.fixture
def azure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeTransport:
    transport = fake_azure(monkeypatch, tmp_path, SUB)
    transport.add("GET", r"/operations/op1", Reply(200, {"status": "Succeeded"}))
    monkeypatch.setattr(_build_runner.time, "sleep", lambda seconds: None)
    return transport


def arm_calls(azure: FakeTransport) -> list[str]:
    return [call for call in azure.calls() if "/operations/" not in call]


# --- image_template ---------------------------------------------------------------------------


def test_a_broken_rule_fails_naming_the_option_without_any_request(
    azure: FakeTransport, module_runner: Runner
) -> None:
    params = copy.deepcopy(PARAMS)
    params["customize"][0].update(script_uri="https://x/s.sh")
    result = module_runner(image_template.main, params)
    assert result.failed
    assert result.msg == "Invalid customize[0]: needs exactly one of inline or script_uri."
    assert azure.calls() == []


def test_the_same_definition_costs_one_read(azure: FakeTransport, module_runner: Runner) -> None:
    azure.add("GET", TEMPLATE_URL, Reply(200, template_body()))
    result = module_runner(image_template.main, PARAMS)
    assert not result.failed, result.msg
    assert not result.changed and result["action"] == "none"
    assert arm_calls(azure) == [
        f"GET https://management.azure.com{TEMPLATE_PATH}?api-version=2025-10-01"
    ]
    assert result["image_template"]["identity"] == IDENTITY


def test_create_puts_the_template_and_waits(azure: FakeTransport, module_runner: Runner) -> None:
    azure.add(
        "GET",
        TEMPLATE_URL,
        Reply(404, {"error": {"code": "NotFound", "message": "x"}}),
        Reply(200, template_body()),
    )
    azure.add("GET", r"/resourcegroups/rg\?", Reply(200, {"name": "rg", "location": "eastus"}))
    azure.add("PUT", TEMPLATE_URL, accepted(201, template_body()))
    result = module_runner(image_template.main, PARAMS)
    assert result.changed and result["action"] == "create", result.msg
    put = next(r for r in azure.requests if r.method == "PUT")
    sent = json.loads(put.content)
    assert sent["location"] == "eastus"
    assert sent["properties"]["customize"][0] == {
        "type": "Shell",
        "name": "patch",
        "inline": ["apt-get update"],
    }
    assert sent["identity"] == {"type": "UserAssigned", "userAssignedIdentities": {IDENTITY: {}}}
    assert result["image_template"]["provisioning_state"] == "Succeeded"


def test_check_mode_predicts_a_patch_and_only_reads(
    azure: FakeTransport, module_runner: Runner
) -> None:
    azure.add("GET", TEMPLATE_URL, Reply(200, template_body()))
    params = dict(PARAMS, vm_profile={"vm_size": "Standard_D4s_v3"})
    result = module_runner(image_template.main, params, check_mode=True, diff=True)
    assert result.changed and result["action"] == "update"
    assert result["changes"] == ["properties.vmProfile"]
    assert result["diff"]["after"]["properties"]["vmProfile"] == {"vmSize": "Standard_D4s_v3"}
    assert result["image_template"]["vm_profile"]["vm_size"] == "Standard_D4s_v3"
    assert result["image_template"]["provisioning_state"] == "Succeeded"
    assert [call.split()[0] for call in arm_calls(azure)] == ["GET"]


def test_a_tag_change_is_one_patch(azure: FakeTransport, module_runner: Runner) -> None:
    azure.add("GET", TEMPLATE_URL, Reply(200, template_body()))
    azure.add("PATCH", TEMPLATE_URL, accepted(202))
    result = module_runner(image_template.main, dict(PARAMS, tags={"env": "prod"}))
    assert result.changed and result["action"] == "update"
    assert [call.split()[0] for call in arm_calls(azure)] == ["GET", "PATCH", "GET"]


def test_a_running_build_refuses_the_change_without_writing(
    azure: FakeTransport, module_runner: Runner
) -> None:
    azure.add(
        "GET",
        TEMPLATE_URL,
        Reply(200, template_body({"runState": "Running", "runSubState": "Building"})),
    )
    result = module_runner(image_template.main, dict(PARAMS, tags={"env": "prod"}))
    assert result.failed and "cancel_running_build" in result.msg
    assert [call.split()[0] for call in arm_calls(azure)] == ["GET"]


NOT_FOUND = Reply(404, {"error": {"code": "NotFound", "message": "x"}})
LOCATIONS = Reply(200, {"value": [{"name": "eastus", "displayName": "East US"}]})


@pytest.mark.parametrize("check_mode", [True, False])
def test_an_unknown_target_region_is_refused_naming_it_before_any_write(
    azure: FakeTransport, module_runner: Runner, check_mode: bool
) -> None:
    azure.add("GET", TEMPLATE_URL, NOT_FOUND)
    azure.add("GET", r"/resourcegroups/rg\?", Reply(200, {"name": "rg", "location": "eastus"}))
    azure.add("GET", rf"/subscriptions/{SUB}/locations\?", LOCATIONS)
    target = {
        "type": "shared_image",
        "run_output_name": "sig",
        "gallery_image_id": f"{GROUP}/providers/Microsoft.Compute/galleries/g/images/i",
        "target_regions": [{"name": "East US"}, {"name": "atlantis"}],
    }
    result = module_runner(
        image_template.main, dict(PARAMS, distribute=[target]), check_mode=check_mode
    )
    assert result.failed
    assert result.msg == (
        "Invalid distribute[0].target_regions[1].name 'atlantis': not a region this "
        "subscription offers."
    )
    assert [call.split()[0] for call in arm_calls(azure)] == ["GET", "GET", "GET"]


def test_regions_the_template_has_are_not_read_again(
    azure: FakeTransport, module_runner: Runner
) -> None:
    azure.add("GET", TEMPLATE_URL, Reply(200, template_body()))
    azure.add("PATCH", TEMPLATE_URL, accepted(202))
    result = module_runner(image_template.main, dict(PARAMS, location="East US", tags={"a": "b"}))
    assert result.changed and result["action"] == "update", result.msg
    assert not [call for call in arm_calls(azure) if "/locations?" in call]


# --- image_build ------------------------------------------------------------------------------

SUCCEEDED = {
    "runState": "Succeeded",
    "startTime": "2026-01-01T00:00:00Z",
    "endTime": "2026-01-01T00:30:00Z",
}
RUNNING = {"runState": "Running", "runSubState": "Customizing", "startTime": "2026-01-01T01:00:00Z"}
OUTPUTS = page(
    [
        {
            "name": "vhd",
            "properties": {"artifactUri": "https://b/x.vhd", "provisioningState": "Succeeded"},
        }
    ]
)
BUILD = {"name": "golden", "resource_group": "rg"}


def test_a_negative_wait_timeout_is_refused_before_any_request(
    azure: FakeTransport, module_runner: Runner
) -> None:
    result = module_runner(image_build.main, dict(BUILD, wait_timeout=-1))
    assert result.failed
    assert result.msg.startswith("Invalid wait_timeout -1: expected a number of seconds")
    assert azure.requests == []


@pytest.mark.parametrize(("state", "changed"), [("succeeded", True), ("canceled", False)])
def test_check_mode_predicts_the_build_of_a_template_not_created_yet(
    azure: FakeTransport, module_runner: Runner, state: str, changed: bool
) -> None:
    azure.add("GET", TEMPLATE_URL, NOT_FOUND)
    result = module_runner(image_build.main, dict(BUILD, state=state), check_mode=True)
    assert not result.failed, result.msg
    assert result.changed is changed
    assert result.msg.startswith("Image template golden does not exist in resource group rg yet")
    assert result["build"]["run_state"] is None and result["build"]["run_outputs"] == {}
    assert [call.split()[0] for call in arm_calls(azure)] == ["GET"]


def test_a_missing_template_fails_a_real_run_naming_it(
    azure: FakeTransport, module_runner: Runner
) -> None:
    azure.add("GET", TEMPLATE_URL, NOT_FOUND)
    result = module_runner(image_build.main, BUILD)
    assert result.failed
    assert result.msg.startswith("Image template golden does not exist in resource group rg;")
    assert [call.split()[0] for call in arm_calls(azure)] == ["GET"]


def test_a_built_definition_is_not_built_again(azure: FakeTransport, module_runner: Runner) -> None:
    azure.add("GET", TEMPLATE_URL, Reply(200, template_body(SUCCEEDED)))
    azure.add("GET", r"/runOutputs\?", OUTPUTS)
    result = module_runner(image_build.main, BUILD)
    assert not result.failed, result.msg
    assert not result.changed
    assert result["build"]["run_outputs"]["vhd"]["artifact_uri"] == "https://b/x.vhd"
    assert not [call for call in arm_calls(azure) if call.startswith("POST")]


def test_a_build_is_started_and_followed_to_its_end(
    azure: FakeTransport, module_runner: Runner
) -> None:
    done = dict(SUCCEEDED, startTime="2026-01-01T01:00:00Z", endTime="2026-01-01T01:40:00Z")
    azure.add(
        "GET",
        TEMPLATE_URL,
        Reply(200, template_body()),
        Reply(200, template_body(RUNNING)),
        Reply(200, template_body(RUNNING)),
        Reply(200, template_body(done)),
    )
    azure.add("POST", r"/golden/run\?", accepted(202))
    azure.add("GET", r"/runOutputs\?", OUTPUTS)
    result = module_runner(image_build.main, BUILD)
    assert result.changed and result["build"]["run_state"] == "Succeeded"
    assert result["build"]["duration"] == 2400
    assert [call.split()[0] for call in arm_calls(azure)] == [
        "GET",
        "POST",
        "GET",
        "GET",
        "GET",
        "GET",
    ]


def test_a_resumed_step_reads_once_and_says_when_to_read_again(
    azure: FakeTransport, module_runner: Runner
) -> None:
    azure.add("GET", TEMPLATE_URL, Reply(200, template_body(RUNNING)))
    result = module_runner(image_build.main, dict(BUILD, resume={"elapsed": 600.0, "follow": True}))
    assert not result.changed
    assert result["build"]["finished"] is False
    assert result["build"]["phase"] == "Customizing"
    assert result["build"]["next_poll_seconds"] == 60.0
    assert len(arm_calls(azure)) == 1


def test_a_resumed_step_waits_in_place_until_there_is_a_new_phase_to_print(
    azure: FakeTransport, module_runner: Runner
) -> None:
    distributing = dict(RUNNING, runSubState="Distributing")
    azure.add(
        "GET",
        TEMPLATE_URL,
        Reply(200, template_body(RUNNING)),
        Reply(200, template_body(RUNNING)),
        Reply(200, template_body(distributing)),
    )
    resume = {"elapsed": 0.0, "follow": True, "phase": "Customizing"}
    result = module_runner(image_build.main, dict(BUILD, resume=resume, progress_interval=600))
    assert result["build"]["phase"] == "Distributing"
    assert result["build"]["finished"] is False
    assert len(arm_calls(azure)) == 3


def test_a_failed_build_fails_with_its_step_and_message(
    azure: FakeTransport, module_runner: Runner
) -> None:
    failed = {"runState": "Failed", "runSubState": "Customizing", "message": "exit status 1"}
    azure.add(
        "GET", TEMPLATE_URL, Reply(200, template_body(RUNNING)), Reply(200, template_body(failed))
    )
    azure.add("GET", r"/runOutputs\?", page([]))
    result = module_runner(image_build.main, BUILD)
    assert result.failed
    assert result.msg == "Image build of golden failed during Customizing: exit status 1"


def test_a_failed_build_carries_the_tail_of_customization_log(
    azure: FakeTransport, module_runner: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    log_url = "https://stagingacct.blob.core.windows.net/packerlogs/run-1/customization.log"
    message = (
        f"Packer build command has failed. Image Build log location: {log_url}. OperationId: run-1."
    )
    failed = {"runState": "Failed", "runSubState": "Customizing", "message": message}
    azure.add(
        "GET", TEMPLATE_URL, Reply(200, template_body(RUNNING)), Reply(200, template_body(failed))
    )
    azure.add("GET", r"/runOutputs\?", page([]))
    fetched: list[tuple[str, dict[str, str]]] = []

    def fake_open_url(url: str, headers: dict[str, str], **kwargs: Any) -> Any:
        fetched.append((url, headers))
        lines = [f"PACKER OUT line {n}" for n in range(30)]
        return __import__("io").BytesIO("\n".join(lines).encode())

    monkeypatch.setattr("ansible.module_utils.urls.open_url", fake_open_url)
    result = module_runner(image_build.main, BUILD)
    assert result.failed
    assert fetched[0][0] == log_url
    assert fetched[0][1]["Authorization"] == "Bearer fake-token"
    assert "x-ms-version" in fetched[0][1]
    assert result["log_tail"][0] == "PACKER OUT line 10" and len(result["log_tail"]) == 20
    assert result.msg.endswith(
        "Last 20 lines of customization.log:\n" + "\n".join(result["log_tail"])
    )


def test_an_unreachable_log_leaves_the_build_error_intact(
    azure: FakeTransport, module_runner: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = "Failed. Image Build log location: https://x.blob.core.windows.net/packerlogs/r/customization.log."
    failed = {"runState": "Failed", "runSubState": "Customizing", "message": message}
    azure.add(
        "GET", TEMPLATE_URL, Reply(200, template_body(RUNNING)), Reply(200, template_body(failed))
    )
    azure.add("GET", r"/runOutputs\?", page([]))

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError("connection refused")

    monkeypatch.setattr("ansible.module_utils.urls.open_url", refuse)
    result = module_runner(image_build.main, BUILD)
    assert result.failed and result["log_tail"] == []
    assert result.msg == f"Image build of golden failed during Customizing: {message}"


def test_a_deadline_cancels_when_asked(azure: FakeTransport, module_runner: Runner) -> None:
    azure.add("GET", TEMPLATE_URL, Reply(200, template_body(RUNNING)))
    azure.add("POST", r"/golden/cancel\?", accepted(202))
    result = module_runner(image_build.main, dict(BUILD, wait_timeout=0, cancel_on_timeout=True))
    assert result.failed and result["timed_out"]
    assert "it was at Customizing and the module canceled it" in result.msg
    assert [call.split()[0] for call in arm_calls(azure)] == ["GET", "POST", "GET"]


# --- image_template_trigger -------------------------------------------------------------------

TRIGGER_URL = r"/golden/triggers/on-new-source\?"
TRIGGER = {"name": "on-new-source", "template_name": "golden", "resource_group": "rg"}


def trigger_body(code: str = "Healthy") -> dict[str, Any]:
    return {
        "id": f"{TEMPLATE_PATH}/triggers/on-new-source",
        "name": "on-new-source",
        "properties": {"kind": "SourceImage", "provisioningState": "Succeeded", "status": {"code": code, "message": "m"}},
    }  # fmt: skip


def test_a_deactivated_trigger_is_reported_and_warned_about(
    azure: FakeTransport, module_runner: Runner
) -> None:
    azure.add("GET", TRIGGER_URL, Reply(200, trigger_body("Disabled")))
    result = module_runner(image_template_trigger.main, TRIGGER)
    assert not result.changed
    assert result["trigger"]["active"] is False
    assert any("deactivated" in warning for warning in result.warnings)


def test_a_deactivated_trigger_is_recreated_when_asked(
    azure: FakeTransport, module_runner: Runner
) -> None:
    azure.add("GET", TRIGGER_URL, Reply(200, trigger_body("Disabled")), Reply(200, trigger_body()))
    azure.add("DELETE", TRIGGER_URL, accepted(202))
    azure.add("PUT", TRIGGER_URL, accepted(201, trigger_body()))
    result = module_runner(image_template_trigger.main, dict(TRIGGER, recreate_inactive=True))
    assert result.changed and result["action"] == "recreate"
    assert result["trigger"]["active"] is True
    methods = [call.split()[0] for call in arm_calls(azure)]
    assert methods[:3] == ["GET", "DELETE", "PUT"]


# --- image_template_info ----------------------------------------------------------------------


def test_info_reads_the_template_only_unless_triggers_are_asked_for(
    azure: FakeTransport, module_runner: Runner
) -> None:
    azure.add("GET", TEMPLATE_URL, Reply(200, template_body()))
    azure.add("GET", r"/golden/triggers\?", page([trigger_body()]))
    found = module_runner(image_template_info.main, BUILD)
    assert not found.failed, found.msg
    assert [call.split()[0] for call in arm_calls(azure)] == ["GET"]
    template = found["image_templates"][0]
    assert template["run_outputs"] == {} and "triggers" not in template
    start = len(arm_calls(azure))
    with_triggers = module_runner(image_template_info.main, dict(BUILD, include_triggers=True))
    assert len(arm_calls(azure)[start:]) == 2
    assert [t["name"] for t in with_triggers["image_templates"][0]["triggers"]] == ["on-new-source"]


def test_info_reads_run_outputs_of_a_built_template(
    azure: FakeTransport, module_runner: Runner
) -> None:
    azure.add("GET", TEMPLATE_URL, Reply(200, template_body(SUCCEEDED)))
    azure.add("GET", r"/runOutputs\?", OUTPUTS)
    found = module_runner(image_template_info.main, BUILD)
    assert found["image_templates"][0]["run_outputs"]["vhd"]["artifact_uri"] == "https://b/x.vhd"
    assert len(arm_calls(azure)) == 2
