# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image version and managed image modules end to end: ``main()`` against a fake Azure."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError

from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule
from ansible_collections.goldenimage.azure.plugins.modules import (
    gallery_image_version,
    gallery_image_version_info,
    gallery_image_version_prune,
    managed_image,
)
from ansible_collections.goldenimage.azure.tests.unit.harness import ModuleResult

SUB = "00000000-0000-0000-0000-000000000001"
RG = "rg-images"
COMPUTE = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute"
DEFINITION_ID = f"{COMPUTE}/galleries/gal1/images/linux"
WRITES = ("begin_create_or_update", "begin_update", "begin_delete")

Runner = Callable[..., ModuleResult]


class FakePoller:
    def __init__(self, result: Any) -> None:
        self._result = result

    def wait(self, timeout: float | None = None) -> None:
        return None

    def done(self) -> bool:
        return True

    def status(self) -> str:
        return "Succeeded"

    def result(self, timeout: float | None = None) -> Any:
        return self._result


def not_found(what: str) -> ResourceNotFoundError:
    return ResourceNotFoundError(message=f"The Resource '{what}' was not found.")


class FakeAzure:
    """ARM-shaped bodies (2026-03-03 / 2026-04-01 shapes), and every call recorded."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.versions: dict[str, dict[str, Any]] = {}
        self.image_bodies: dict[str, dict[str, Any]] = {}
        self.sources: dict[str, dict[str, Any]] = {}
        self.replication_state = "Completed"
        self.gallery_images = self
        self.gallery_image_versions = FakeVersions(self)
        self.images = FakeImages(self)

    def writes(self) -> list[tuple[str, str, Any]]:
        return [call for call in self.calls if call[1] in WRITES]

    # gallery_images.get: one Linux, generalized, V2 definition in eastus.
    def get(self, rg: str, gallery: str, name: str, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("gallery_images", "get", name))
        if name != "linux":
            raise not_found(name)
        return {
            "id": DEFINITION_ID,
            "name": "linux",
            "location": "eastus",
            "properties": {"osType": "Linux", "osState": "Generalized", "hyperVGeneration": "V2"},
        }


class FakeVersions:
    def __init__(self, azure: FakeAzure) -> None:
        self.azure = azure

    def _view(self, body: dict[str, Any], expand: str | None) -> dict[str, Any]:
        view = {**body, "properties": dict(body["properties"])}
        if expand:
            regions = view["properties"]["publishingProfile"]["targetRegions"]
            state = self.azure.replication_state
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

    def get(
        self, rg: str, gallery: str, image: str, name: str, expand: str | None = None
    ) -> dict[str, Any]:
        self.azure.calls.append(("versions", "get", name))
        if name not in self.azure.versions:
            raise not_found(name)
        return self._view(self.azure.versions[name], expand)

    def list_by_gallery_image(self, rg: str, gallery: str, image: str) -> list[dict[str, Any]]:
        self.azure.calls.append(("versions", "list", image))
        if image != "linux":
            raise not_found(image)
        return [self._view(body, None) for body in self.azure.versions.values()]

    def begin_create_or_update(
        self, rg: str, gallery: str, image: str, name: str, body: dict[str, Any]
    ) -> FakePoller:
        self.azure.calls.append(("versions", "begin_create_or_update", (name, body)))
        stored = {
            "id": f"{DEFINITION_ID}/versions/{name}",
            "name": name,
            "location": body["location"],
            "tags": body.get("tags") or {},
            "properties": {**body["properties"], "provisioningState": "Succeeded"},
        }
        self.azure.versions[name] = stored
        return FakePoller(stored)

    def begin_update(
        self, rg: str, gallery: str, image: str, name: str, patch: dict[str, Any]
    ) -> FakePoller:
        self.azure.calls.append(("versions", "begin_update", (name, patch)))
        self.azure.versions[name]["properties"]["safetyProfile"].update(
            patch["properties"]["safetyProfile"]
        )
        return FakePoller(self.azure.versions[name])

    def begin_delete(self, rg: str, gallery: str, image: str, name: str) -> FakePoller:
        self.azure.calls.append(("versions", "begin_delete", name))
        self.azure.versions.pop(name)
        return FakePoller(None)


class FakeImages:
    def __init__(self, azure: FakeAzure) -> None:
        self.azure = azure

    def get(self, rg: str, name: str) -> dict[str, Any]:
        self.azure.calls.append(("images", "get", name))
        if name not in self.azure.image_bodies:
            raise not_found(name)
        return self.azure.image_bodies[name]

    def begin_create_or_update(self, rg: str, name: str, body: dict[str, Any]) -> FakePoller:
        self.azure.calls.append(("images", "begin_create_or_update", (name, body)))
        stored = {"id": f"{COMPUTE}/images/{name}", "name": name, **body}
        self.azure.image_bodies[name] = stored
        return FakePoller(stored)

    def begin_update(self, rg: str, name: str, patch: dict[str, Any]) -> FakePoller:
        self.azure.calls.append(("images", "begin_update", (name, patch)))
        self.azure.image_bodies[name]["tags"] = patch["tags"]
        return FakePoller(self.azure.image_bodies[name])


class FakeArm:
    """Raw ARM reads: sources by id and the (empty) soft-deleted list."""

    def __init__(self, azure: FakeAzure) -> None:
        self.azure = azure

    def get(self, path: str, api_version: str) -> dict[str, Any]:
        resource_id = path.split("?")[0]
        self.azure.calls.append(("arm", "get", resource_id))
        if resource_id not in self.azure.sources:
            raise not_found(resource_id)
        return self.azure.sources[resource_id]

    def list(self, path: str, api_version: str) -> Iterator[dict[str, Any]]:
        self.azure.calls.append(("arm", "list", path))
        return iter([])


@pytest.fixture
def azure(monkeypatch: pytest.MonkeyPatch) -> FakeAzure:
    fake = FakeAzure()
    arm = FakeArm(fake)
    fake.sources[f"{COMPUTE}/images/img1"] = managed_image_body("img1", "eastus")
    fake.sources[f"{COMPUTE}/images/img-west"] = managed_image_body("img-west", "westus")
    monkeypatch.setattr(AzureModule, "client", lambda self, kind: fake)
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
    (write,) = azure.writes()
    body = write[2][1]
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
    assert azure.calls == [("gallery_images", "get", "linux"), ("versions", "get", "1.0.0")]


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
    assert not again.changed and azure.calls == [("images", "get", "img")]
    retagged = module_runner(managed_image.main, {**args, "tags": {"a": "2"}}, diff=True)
    assert retagged.changed
    assert [call[1] for call in azure.writes()] == ["begin_update"]
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
