# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image version and managed image modules end to end: ``main()`` against a fake Azure."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule
from ansible_collections.goldenimage.azure.plugins.modules import (
    gallery_image_version,
    gallery_image_version_info,
    gallery_image_version_prune,
    managed_image,
)
from ansible_collections.goldenimage.azure.tests.unit.arm_fakes import FakeArm, not_found
from ansible_collections.goldenimage.azure.tests.unit.harness import ModuleResult

SUB = "00000000-0000-0000-0000-000000000001"
RG = "rg-images"
COMPUTE = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute"
DEFINITION_ID = f"{COMPUTE}/galleries/gal1/images/linux"
DEFINITION = r"/providers/Microsoft\.Compute/galleries/gal1/images/(?P<i>[^/?]+)"
VERSION = DEFINITION + r"/versions/(?P<v>[^/?]+)"
IMAGE = r"/providers/Microsoft\.Compute/images/(?P<name>[^/?]+)"

Runner = Callable[..., ModuleResult]


class FakeAzure:
    """ARM-shaped bodies (2026-03-03 / 2026-04-01 shapes) behind a :class:`FakeArm`."""

    def __init__(self, arm: FakeArm) -> None:
        self.arm = arm
        self.versions: dict[str, dict[str, Any]] = {}
        # Everything else read by id: managed images (sources and managed_image's own), VMs.
        self.sources: dict[str, dict[str, Any]] = {}
        self.replication_state = "Completed"
        # Registered first so that the more specific routes below win over it.
        arm.on("GET", r"^/subscriptions/.*/providers/Microsoft\.Compute/", self.get_source)
        arm.on("GET", r"^/subscriptions/[^/]+/locations$", self.list_locations)
        arm.on("GET", DEFINITION + "$", self.get_definition)
        arm.on("GET", DEFINITION + "/versions$", self.list_versions)
        arm.on("GET", VERSION + r"(\?|$)", self.get_version)
        arm.on("PUT", VERSION + "$", self.put_version)
        arm.on("PATCH", VERSION + "$", self.patch_version)
        arm.on("DELETE", VERSION + "$", self.delete_version)
        arm.on("GET", "/softdeletedartifacttypes/", lambda path, body, match: [])
        arm.on("PUT", IMAGE + "$", self.put_image)
        arm.on("PATCH", IMAGE + "$", self.patch_image)

    @property
    def calls(self) -> Any:
        return self.arm.calls

    def writes(self) -> list[tuple[str, str]]:
        return [call.request for call in self.calls.writes()]

    def compute_requests(self) -> list[tuple[str, str]]:
        """The Microsoft.Compute requests (no region reads)."""
        return [r for r in self.calls.requests() if "/providers/Microsoft.Compute/" in r[1]]

    def list_locations(self, path: str, body: Any, match: re.Match[str]) -> dict[str, Any]:
        names = {"eastus": "East US", "westus": "West US"}
        return {"value": [{"name": n, "displayName": d} for n, d in names.items()]}

    # One Linux, generalized, V2 definition in eastus.
    def get_definition(self, path: str, body: Any, match: re.Match[str]) -> dict[str, Any]:
        if match["i"] != "linux":
            raise not_found(path)
        return {
            "id": DEFINITION_ID,
            "name": "linux",
            "location": "eastus",
            "properties": {"osType": "Linux", "osState": "Generalized", "hyperVGeneration": "V2"},
        }

    def _view(self, stored: dict[str, Any], expand: bool) -> dict[str, Any]:
        view = {**stored, "properties": dict(stored["properties"])}
        if expand:
            regions = view["properties"]["publishingProfile"]["targetRegions"]
            state = self.replication_state
            view["properties"]["replicationStatus"] = {
                "summary": [
                    {
                        "region": r["name"],
                        "state": "Completed" if i == 0 else state,
                        "progress": 100 if i == 0 else 40,
                    }
                    for i, r in enumerate(regions)
                ]
            }
        return view

    def get_version(self, path: str, body: Any, match: re.Match[str]) -> dict[str, Any]:
        if match["v"] not in self.versions:
            raise not_found(path)
        return self._view(self.versions[match["v"]], "$expand=ReplicationStatus" in path)

    def list_versions(self, path: str, body: Any, match: re.Match[str]) -> list[dict[str, Any]]:
        if match["i"] != "linux":
            raise not_found(path)
        return [self._view(stored, False) for stored in self.versions.values()]

    def put_version(self, path: str, body: Any, match: re.Match[str]) -> dict[str, Any]:
        name = match["v"]
        stored = {
            "id": f"{DEFINITION_ID}/versions/{name}",
            "name": name,
            "location": body["location"],
            "tags": body.get("tags") or {},
            "properties": {**body["properties"], "provisioningState": "Succeeded"},
        }
        self.versions[name] = stored
        return stored

    def patch_version(self, path: str, patch: Any, match: re.Match[str]) -> dict[str, Any]:
        stored = self.versions[match["v"]]
        stored["properties"]["safetyProfile"].update(patch["properties"]["safetyProfile"])
        return stored

    def delete_version(self, path: str, body: Any, match: re.Match[str]) -> None:
        self.versions.pop(match["v"])

    def get_source(self, path: str, body: Any, match: re.Match[str]) -> dict[str, Any]:
        resource_id = path.split("?")[0]
        if resource_id not in self.sources:
            raise not_found(resource_id)
        return self.sources[resource_id]

    def put_image(self, path: str, body: Any, match: re.Match[str]) -> dict[str, Any]:
        stored = {"id": path, "name": match["name"], **body}
        self.sources[path] = stored
        return stored

    def patch_image(self, path: str, patch: Any, match: re.Match[str]) -> dict[str, Any]:
        self.sources[path]["tags"] = patch["tags"]
        return self.sources[path]


@pytest.fixture
def azure(monkeypatch: pytest.MonkeyPatch) -> FakeAzure:
    arm = FakeArm()
    fake = FakeAzure(arm)
    fake.sources[f"{COMPUTE}/images/img1"] = managed_image_body("img1", "eastus")
    fake.sources[f"{COMPUTE}/images/img-west"] = managed_image_body("img-west", "westus")

    monkeypatch.setattr(AzureModule, "arm", property(lambda self: arm))
    monkeypatch.setattr(AzureModule, "subscription_id", property(lambda self: SUB))
    return fake


def managed_image_body(name: str, location: str) -> dict[str, Any]:
    return {
        "id": f"{COMPUTE}/images/{name}",
        "name": name,
        "location": location,
        "properties": {
            "hyperVGeneration": "V2",
            "storageProfile": {"osDisk": {"osType": "Linux", "osState": "Generalized"}},
        },
    }


def version_args(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "1.0.0",
        "gallery_name": "gal1",
        "gallery_image_name": "linux",
        "resource_group": RG,
        **overrides,
    }


# --- gallery_image_version ------------------------------------------------------------------


def test_check_mode_predicts_the_version_without_writing(
    azure: FakeAzure, module_runner: Runner
) -> None:
    result = module_runner(
        gallery_image_version.main,
        version_args(managed_image="img1", target_regions=["eastus=2", "westus"]),
        check_mode=True,
        diff=True,
    )
    assert result.changed and not result.failed
    assert azure.writes() == []
    version = result["gallery_image_version"]
    assert version["provisioning_state"] == "Creating"
    assert version["storage_profile"]["source"]["id"] == f"{COMPUTE}/images/img1"
    assert result["diff"]["before"] == {}


def test_create_sends_one_put_and_waits_for_every_region(
    azure: FakeAzure, module_runner: Runner
) -> None:
    result = module_runner(
        gallery_image_version.main,
        version_args(managed_image="img1", target_regions=["eastus=2", "westus"]),
    )
    assert result.changed and not result.failed, result.msg
    (write,) = azure.calls.writes()
    assert write.request == ("PUT", f"{DEFINITION_ID}/versions/1.0.0")
    body = write.body
    assert body["location"] == "eastus"
    assert body["properties"]["publishingProfile"]["targetRegions"] == [
        {"name": "eastus", "regionalReplicaCount": 2},
        {"name": "westus"},
    ]
    assert result["gallery_image_version"]["replication"]["aggregated_state"] == "Completed"


def test_a_second_run_only_reads_the_definition_and_the_version(
    azure: FakeAzure, module_runner: Runner
) -> None:
    args = version_args(managed_image="img1", target_regions=["eastus=2", "westus"])
    module_runner(gallery_image_version.main, args)
    azure.calls.clear()
    result = module_runner(gallery_image_version.main, args)
    assert not result.changed and not result.failed
    version_read = ("GET", f"{DEFINITION_ID}/versions/1.0.0?$expand=ReplicationStatus")
    requests = azure.compute_requests()
    assert requests[-1] == version_read
    assert set(requests) <= {("GET", DEFINITION_ID), version_read}


def test_forbidden_changes_fail_with_conflicts_and_no_write(
    azure: FakeAzure, module_runner: Runner
) -> None:
    module_runner(gallery_image_version.main, version_args(managed_image="img1"))
    azure.calls.clear()
    result = module_runner(
        gallery_image_version.main,
        version_args(
            managed_image="img-west",
            replication_mode="Shallow",
            target_regions=["eastus", "westus"],
        ),
    )
    assert result.failed
    assert [c["field"] for c in result["conflicts"]] == ["source", "replication_mode"]
    assert azure.writes() == []


def test_a_source_outside_the_target_regions_is_refused_before_any_write(
    azure: FakeAzure, module_runner: Runner
) -> None:
    result = module_runner(
        gallery_image_version.main,
        version_args(managed_image="img-west", target_regions=["eastus"]),
    )
    assert result.failed and result["option"] == "target_regions"
    assert "source region westus" in result.msg
    assert azure.writes() == []


def test_auto_finds_the_version_of_the_same_source_then_numbers_the_next(
    azure: FakeAzure, module_runner: Runner
) -> None:
    module_runner(gallery_image_version.main, version_args(name="1.4.2", managed_image="img1"))
    found = module_runner(
        gallery_image_version.main, version_args(name="auto", managed_image="img1")
    )
    assert not found.changed and found["version_name"] == "1.4.2"
    new = module_runner(
        gallery_image_version.main,
        version_args(
            name="auto",
            version_bump="minor",
            managed_image="img-west",
            target_regions=["westus", "eastus"],
        ),
    )
    assert new.changed and new["version_name"] == "1.5.0"


def test_a_replication_timeout_reports_each_region(azure: FakeAzure, module_runner: Runner) -> None:
    azure.replication_state = "Replicating"
    result = module_runner(
        gallery_image_version.main,
        version_args(managed_image="img1", target_regions=["eastus", "westus"], wait_timeout=1),
    )
    assert result.failed and result["timed_out"]
    assert "still waiting for: westus" in result.msg
    assert "eastus Completed 100%, westus Replicating 40%" in result.msg
    assert result["gallery_image_version"]["name"] == "1.0.0"


def test_waiting_for_the_source_region_only_succeeds_while_others_replicate(
    azure: FakeAzure, module_runner: Runner
) -> None:
    azure.replication_state = "Replicating"
    result = module_runner(
        gallery_image_version.main,
        version_args(
            managed_image="img1",
            target_regions=["eastus", "westus"],
            wait_timeout=1,
            wait_for_replication="source_region",
        ),
    )
    assert result.changed and not result.failed, result.msg


def test_info_sorts_semantically_and_resolves_latest(
    azure: FakeAzure, module_runner: Runner
) -> None:
    for name, exclude in (("1.10.0", True), ("1.9.0", False), ("1.2.0", False)):
        module_runner(
            gallery_image_version.main,
            version_args(name=name, managed_image="img1", exclude_from_latest=exclude),
        )
    listed = module_runner(gallery_image_version_info.main, version_args(name=None))
    assert [v["name"] for v in listed["gallery_image_version"]] == ["1.2.0", "1.9.0", "1.10.0"]
    assert listed["latest"] == "1.9.0"
    latest = module_runner(
        gallery_image_version_info.main, version_args(name="latest", region="East US")
    )
    assert [v["name"] for v in latest["gallery_image_version"]] == ["1.9.0"]


def test_info_of_a_missing_definition_is_an_empty_list(
    azure: FakeAzure, module_runner: Runner
) -> None:
    result = module_runner(
        gallery_image_version_info.main, version_args(name=None, gallery_image_name="nope")
    )
    assert not result.failed
    assert result["gallery_image_version"] == []
    assert result["latest"] is None


# --- gallery_image_version_prune -------------------------------------------------------------


def test_prune_plans_in_check_mode_and_deletes_the_plan(
    azure: FakeAzure, module_runner: Runner
) -> None:
    for name in ("1.0.0", "1.1.0", "1.2.0", "1.3.0"):
        module_runner(gallery_image_version.main, version_args(name=name, managed_image="img1"))
    args = version_args(keep_newest=2, max_parallel=2)
    args.pop("name")
    azure.calls.clear()
    plan = module_runner(gallery_image_version_prune.main, args, check_mode=True)
    assert plan.changed and azure.writes() == []
    assert [d["name"] for d in plan["plan"]["delete"]] == ["1.1.0", "1.0.0"]
    done = module_runner(gallery_image_version_prune.main, args)
    assert done["deleted"] == ["1.0.0", "1.1.0"]
    assert sorted(azure.versions) == ["1.2.0", "1.3.0"]


# --- managed_image ----------------------------------------------------------------------------


def vm_body(generalized: bool) -> dict[str, Any]:
    statuses = [{"code": "PowerState/deallocated"}] + (
        [{"code": "OSState/generalized"}] if generalized else []
    )
    return {
        "id": f"{COMPUTE}/virtualMachines/vm1",
        "location": "eastus",
        "properties": {
            "storageProfile": {"osDisk": {"osType": "Linux"}},
            "instanceView": {"statuses": statuses},
        },
    }


def test_managed_image_from_a_generalized_vm_then_tags_only(
    azure: FakeAzure, module_runner: Runner
) -> None:
    azure.sources[f"{COMPUTE}/virtualMachines/vm1"] = vm_body(generalized=True)
    args = {"name": "img", "resource_group": RG, "virtual_machine": "vm1", "tags": {"a": "1"}}
    created = module_runner(managed_image.main, args)
    assert created.changed and not created.failed, created.msg
    assert (
        created["managed_image"]["source_virtual_machine"]["id"] == f"{COMPUTE}/virtualMachines/vm1"
    )
    azure.calls.clear()
    again = module_runner(managed_image.main, args)
    assert not again.changed
    assert azure.calls.requests() == [("GET", f"{COMPUTE}/images/img")]
    retagged = module_runner(managed_image.main, {**args, "tags": {"a": "2"}}, diff=True)
    assert retagged.changed
    assert azure.writes() == [("PATCH", f"{COMPUTE}/images/img")]
    assert retagged["diff"]["after"]["tags"] == {"a": "2"}


@pytest.mark.parametrize("name", ["bad name?", "-img", "img.", "a" * 81])
def test_managed_image_refuses_an_invalid_name_before_any_call(
    azure: FakeAzure, module_runner: Runner, name: str
) -> None:
    args = {"name": name, "resource_group": RG, "virtual_machine": "vm1"}
    result = module_runner(managed_image.main, args)
    assert result.failed and result.msg.startswith("Invalid name "), result.msg
    assert azure.calls == []


def test_managed_image_refuses_a_vm_that_is_not_generalized(
    azure: FakeAzure, module_runner: Runner
) -> None:
    azure.sources[f"{COMPUTE}/virtualMachines/vm1"] = vm_body(generalized=False)
    result = module_runner(
        managed_image.main, {"name": "img", "resource_group": RG, "virtual_machine": "vm1"}
    )
    assert result.failed and result["option"] == "virtual_machine"
    assert azure.writes() == []
