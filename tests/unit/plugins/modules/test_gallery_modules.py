# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The four gallery modules end to end: ``main()`` against a fake compute client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule
from ansible_collections.goldenimage.azure.plugins.modules import (
    gallery,
    gallery_image,
    gallery_image_info,
    gallery_info,
)
from ansible_collections.goldenimage.azure.tests.unit.harness import ModuleResult

# --- a fake azure-mgmt-compute client ---------------------------------------------------------
# It keeps ARM-shaped bodies the way Azure answers them (2026-03-03 shapes), records every
# call, and raises azure-core's own exceptions, so the modules' error handling is the real one.
SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
WRITES = ("begin_create_or_update", "begin_update", "begin_delete")


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


class Calls(list):  # type: ignore[type-arg]
    """Every SDK call as ``(operation group, method, args)``."""

    def writes(self) -> list[tuple[str, str, tuple[Any, ...]]]:
        return [call for call in self if call[1] in WRITES]


def not_found(what: str) -> ResourceNotFoundError:
    return ResourceNotFoundError(message=f"The Resource '{what}' was not found.")


def gallery_path(resource_group: str, name: str) -> str:
    return (
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{resource_group}"
        f"/providers/Microsoft.Compute/galleries/{name}"
    )


class FakeGalleries:
    def __init__(self, store: FakeCompute) -> None:
        self.s = store

    def get(self, rg: str, name: str, **kwargs: Any) -> dict[str, Any]:
        self.s.calls.append(("galleries", "get", (rg, name, kwargs)))
        body = self.s.gallery_bodies.get(name)
        if body is None:
            raise not_found(name)
        return body

    def list_by_resource_group(self, rg: str) -> list[dict[str, Any]]:
        self.s.calls.append(("galleries", "list_by_resource_group", (rg,)))
        return [
            self.s.listed(b)
            for b in self.s.gallery_bodies.values()
            if f"/resourceGroups/{rg}/" in b["id"]
        ]

    def list(self) -> list[dict[str, Any]]:
        self.s.calls.append(("galleries", "list", ()))
        return [self.s.listed(b) for b in self.s.gallery_bodies.values()]

    def begin_create_or_update(self, rg: str, name: str, body: dict[str, Any]) -> FakePoller:
        self.s.calls.append(("galleries", "begin_create_or_update", (rg, name, body)))
        existing = self.s.gallery_bodies.get(name, {})
        groups = ((existing.get("properties") or {}).get("sharingProfile") or {}).get("groups", [])
        stored = {
            "id": gallery_path(rg, name),
            "name": name,
            "type": "Microsoft.Compute/galleries",
            "location": body["location"].replace(" ", "").lower(),
            "tags": body.get("tags", {}),
            "properties": {
                **body.get("properties", {}),
                "identifier": {"uniqueName": f"{SUBSCRIPTION}-{name.upper()}"},
                "provisioningState": "Succeeded",
            },
        }
        profile = stored["properties"].get("sharingProfile")
        if profile is not None:
            profile["groups"] = groups
        self.s.gallery_bodies[name] = stored
        return FakePoller(stored)

    def begin_delete(self, rg: str, name: str) -> FakePoller:
        self.s.calls.append(("galleries", "begin_delete", (rg, name)))
        if any(key[0] == name for key in self.s.image_bodies):
            raise HttpResponseError(message="Cannot delete resource while nested resources exist.")
        self.s.gallery_bodies.pop(name, None)
        return FakePoller(None)


class FakeSharing:
    def __init__(self, store: FakeCompute) -> None:
        self.s = store

    def begin_update(self, rg: str, name: str, update: dict[str, Any]) -> FakePoller:
        self.s.calls.append(("gallery_sharing_profile", "begin_update", (rg, name, update)))
        profile = self.s.gallery_bodies[name]["properties"].setdefault(
            "sharingProfile", {"permissions": "Private"}
        )
        operation = update["operationType"]
        if operation == "Reset":
            profile.clear()
            profile["permissions"] = "Private"
        for group in update.get("groups", []):
            held = next(
                (g for g in profile.setdefault("groups", []) if g["type"] == group["type"]), None
            )
            if held is None:
                held = {"type": group["type"], "ids": []}
                profile["groups"].append(held)
            if operation == "Add":
                held["ids"] = sorted(set(held["ids"]) | set(group["ids"]))
            else:
                held["ids"] = sorted(set(held["ids"]) - set(group["ids"]))
        return FakePoller(update)


class FakeImages:
    def __init__(self, store: FakeCompute) -> None:
        self.s = store

    def get(self, rg: str, gallery: str, name: str) -> dict[str, Any]:
        self.s.calls.append(("gallery_images", "get", (rg, gallery, name)))
        body = self.s.image_bodies.get((gallery, name))
        if body is None:
            raise not_found(name)
        return body

    def list_by_gallery(self, rg: str, gallery: str) -> list[dict[str, Any]]:
        self.s.calls.append(("gallery_images", "list_by_gallery", (rg, gallery)))
        if gallery not in self.s.gallery_bodies:
            raise not_found(gallery)
        return [b for (g, _name), b in sorted(self.s.image_bodies.items()) if g == gallery]

    def begin_create_or_update(
        self, rg: str, gallery: str, name: str, body: dict[str, Any]
    ) -> FakePoller:
        self.s.calls.append(("gallery_images", "begin_create_or_update", (rg, gallery, name, body)))
        properties = {"hyperVGeneration": "V1", "architecture": "x64", **body["properties"]}
        stored = {
            "id": f"{gallery_path(rg, gallery)}/images/{name}",
            "name": name,
            "type": "Microsoft.Compute/galleries/images",
            "location": body["location"],
            "tags": body.get("tags", {}),
            "properties": {**properties, "provisioningState": "Succeeded"},
        }
        self.s.image_bodies[(gallery, name)] = stored
        return FakePoller(stored)

    def begin_delete(self, rg: str, gallery: str, name: str) -> FakePoller:
        self.s.calls.append(("gallery_images", "begin_delete", (rg, gallery, name)))
        self.s.image_bodies.pop((gallery, name), None)
        return FakePoller(None)


class FakeVersions:
    def __init__(self, store: FakeCompute) -> None:
        self.s = store

    def list_by_gallery_image(self, rg: str, gallery: str, image: str) -> list[dict[str, Any]]:
        self.s.calls.append(
            ("gallery_image_versions", "list_by_gallery_image", (rg, gallery, image))
        )
        return [
            b
            for (g, i, _name), b in sorted(self.s.version_bodies.items())
            if (g, i) == (gallery, image)
        ]

    def begin_delete(self, rg: str, gallery: str, image: str, name: str) -> FakePoller:
        self.s.calls.append(("gallery_image_versions", "begin_delete", (rg, gallery, image, name)))
        self.s.version_bodies.pop((gallery, image, name), None)
        return FakePoller(None)


class FakeCompute:
    """The subset of ComputeManagementClient the gallery modules use."""

    def __init__(self) -> None:
        self.calls = Calls()
        self.gallery_bodies: dict[str, dict[str, Any]] = {}
        self.image_bodies: dict[tuple[str, str], dict[str, Any]] = {}
        self.version_bodies: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.resource_group_reads = 0
        self.galleries = FakeGalleries(self)
        self.gallery_sharing_profile = FakeSharing(self)
        self.gallery_images = FakeImages(self)
        self.gallery_image_versions = FakeVersions(self)

    def listed(self, body: dict[str, Any]) -> dict[str, Any]:
        """List answers leave sharing groups out, as Azure's do."""
        profile = dict(body["properties"].get("sharingProfile") or {})
        profile.pop("groups", None)
        return {**body, "properties": {**body["properties"], "sharingProfile": profile}}


class FakeArm:
    """The raw ARM client: only the resource group read the gallery module makes."""

    def __init__(self, compute: FakeCompute, location: str = "eastus") -> None:
        self.compute = compute
        self.location = location

    def get(self, path: str, api_version: str) -> dict[str, Any]:
        self.compute.resource_group_reads += 1
        self.compute.calls.append(("arm", "get", (path,)))
        return {"id": path, "location": self.location}


# --- module runs ------------------------------------------------------------------------------

OTHER_SUB = "aaaaaaaa-0000-0000-0000-000000000002"
TENANT = "bbbbbbbb-0000-0000-0000-000000000003"
Runner = Callable[..., ModuleResult]


@pytest.fixture
def compute(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCompute]:
    fake = FakeCompute()
    arm = FakeArm(fake)
    monkeypatch.setattr(AzureModule, "client", lambda self, kind: fake)
    monkeypatch.setattr(AzureModule, "arm", property(lambda self: arm))
    monkeypatch.setattr(AzureModule, "subscription_id", property(lambda self: SUBSCRIPTION))
    yield fake


def gallery_args(**overrides: Any) -> dict[str, Any]:
    return {"name": "gal1", "resource_group": "rg-images", **overrides}


def image_args(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "ubuntu",
        "gallery_name": "gal1",
        "resource_group": "rg-images",
        "publisher": "contoso",
        "offer": "ubuntu",
        "sku": "24_04-lts",
        "os_type": "Linux",
        "hyper_v_generation": "V2",
        "security_type": "TrustedLaunchSupported",
        **overrides,
    }


# --- gallery ------------------------------------------------------------------------------


def test_check_mode_predicts_the_create_without_writing(
    compute: FakeCompute, module_runner: Runner
) -> None:
    result = module_runner(
        gallery.main, gallery_args(description="images"), check_mode=True, diff=True
    )
    assert result.changed and not result.failed
    assert result["gallery"]["location"] == "eastus"  # the resource group's
    assert result["gallery"]["sharing"]["permission"] == "Private"
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["description"] == "images"
    assert compute.calls.writes() == []


def test_create_then_rerun_reads_once_and_changes_nothing(
    compute: FakeCompute, module_runner: Runner
) -> None:
    args = gallery_args(description="images", tags={"env": "dev"})
    predicted = module_runner(gallery.main, args, check_mode=True)["gallery"]
    created = module_runner(gallery.main, args)
    assert created.changed
    real = created["gallery"]
    assert real["unique_name"]  # generated by Azure, the one thing check mode cannot know
    assert {**real, "unique_name": None} == predicted
    start = len(compute.calls)
    again = module_runner(gallery.main, args)
    assert not again.changed
    assert compute.calls[start:] == [
        ("galleries", "get", ("rg-images", "gal1", {"expand": "SharingProfile/Groups"}))
    ]
    assert again["gallery"] == real


def test_resource_group_is_read_only_when_creating_without_location(
    compute: FakeCompute, module_runner: Runner
) -> None:
    module_runner(gallery.main, gallery_args(location="East US"))
    assert compute.resource_group_reads == 0
    module_runner(gallery.main, gallery_args())
    assert compute.resource_group_reads == 0


def test_direct_sharing_is_reconciled_through_the_share_action(
    compute: FakeCompute, module_runner: Runner
) -> None:
    sharing = {"permission": "Groups", "subscriptions": [OTHER_SUB], "tenants": [TENANT]}
    first = module_runner(gallery.main, gallery_args(sharing=sharing))
    assert first["gallery"]["sharing"]["subscriptions"] == [OTHER_SUB]
    assert not module_runner(gallery.main, gallery_args(sharing=sharing)).changed
    start = len(compute.calls)
    changed = module_runner(
        gallery.main, gallery_args(sharing={**sharing, "subscriptions": [SUBSCRIPTION]})
    )
    assert changed.changed
    writes = [call for call in compute.calls[start:] if call[1] != "get"]
    assert writes == [
        (
            "gallery_sharing_profile",
            "begin_update",
            (
                "rg-images",
                "gal1",
                {
                    "operationType": "Remove",
                    "groups": [{"type": "Subscriptions", "ids": [OTHER_SUB]}],
                },
            ),
        ),
        (
            "gallery_sharing_profile",
            "begin_update",
            (
                "rg-images",
                "gal1",
                {
                    "operationType": "Add",
                    "groups": [{"type": "Subscriptions", "ids": [SUBSCRIPTION]}],
                },
            ),
        ),
    ]
    assert changed["gallery"]["sharing"]["subscriptions"] == [SUBSCRIPTION]
    assert changed["gallery"]["sharing"]["tenants"] == [TENANT]


def test_bad_input_names_the_option_before_any_request(
    compute: FakeCompute, module_runner: Runner
) -> None:
    result = module_runner(gallery.main, gallery_args(name="bad name"))
    assert result.failed and "name" in result.msg and "not a valid gallery name" in result.msg
    result = module_runner(
        gallery.main, gallery_args(sharing={"permission": "Private", "tenants": [TENANT]})
    )
    assert result.failed and "sharing.tenants" in result.msg
    assert compute.calls == []


def test_moving_a_gallery_is_refused_without_writing(
    compute: FakeCompute, module_runner: Runner
) -> None:
    module_runner(gallery.main, gallery_args(location="eastus"))
    start = len(compute.calls)
    result = module_runner(gallery.main, gallery_args(location="westeurope"))
    assert result.failed and "cannot move from eastus to westeurope" in result.msg
    assert [c for c in compute.calls[start:] if c[1] != "get"] == []


def seed_gallery_with_content(compute: FakeCompute, module_runner: Runner) -> None:
    module_runner(gallery.main, gallery_args())
    module_runner(gallery_image.main, image_args())
    version_id = compute.image_bodies[("gal1", "ubuntu")]["id"] + "/versions/1.0.0"
    compute.version_bodies[("gal1", "ubuntu", "1.0.0")] = {"id": version_id, "name": "1.0.0"}


def test_deleting_a_gallery_with_definitions_is_refused_without_force(
    compute: FakeCompute, module_runner: Runner
) -> None:
    seed_gallery_with_content(compute, module_runner)
    start = len(compute.calls)
    result = module_runner(gallery.main, gallery_args(state="absent"))
    assert result.failed
    assert "still holds 1 image definition(s) (ubuntu)" in result.msg
    assert result["image_definitions"] == ["ubuntu"]
    assert [c for c in compute.calls[start:] if c[1] in ("begin_delete", "begin_update")] == []


def test_forced_delete_shows_its_plan_in_check_mode_then_runs_it_in_order(
    compute: FakeCompute, module_runner: Runner
) -> None:
    seed_gallery_with_content(compute, module_runner)
    gallery_id = compute.gallery_bodies["gal1"]["id"]
    planned = module_runner(gallery.main, gallery_args(state="absent", force=True), check_mode=True)
    assert planned.changed
    assert planned["deleted"] == [
        f"{gallery_id}/images/ubuntu/versions/1.0.0",
        f"{gallery_id}/images/ubuntu",
        gallery_id,
    ]
    assert "gal1" in compute.gallery_bodies
    start = len(compute.calls)
    done = module_runner(gallery.main, gallery_args(state="absent", force=True))
    assert done.changed and done["deleted"] == planned["deleted"]
    deletes = [c[0] for c in compute.calls[start:] if c[1] == "begin_delete"]
    assert deletes == ["gallery_image_versions", "gallery_images", "galleries"]
    assert compute.gallery_bodies == {}
    assert not module_runner(gallery.main, gallery_args(state="absent")).changed


# --- gallery_image ------------------------------------------------------------------------


def test_image_create_then_rerun_reads_once(compute: FakeCompute, module_runner: Runner) -> None:
    module_runner(gallery.main, gallery_args())
    args = image_args(end_of_life_date="2030-12-31", tags={"os": "ubuntu"})
    predicted = module_runner(gallery_image.main, args, check_mode=True)
    assert predicted.changed and predicted["image"]["location"] == "eastus"
    created = module_runner(gallery_image.main, args)
    assert created["image"] == predicted["image"]
    assert created["image"]["end_of_life_date"] == "2030-12-31T00:00:00Z"
    start = len(compute.calls)
    again = module_runner(gallery_image.main, args)
    assert not again.changed
    assert compute.calls[start:] == [("gallery_images", "get", ("rg-images", "gal1", "ubuntu"))]


def test_immutable_changes_fail_with_every_field_and_write_nothing(
    compute: FakeCompute, module_runner: Runner
) -> None:
    module_runner(gallery.main, gallery_args())
    module_runner(gallery_image.main, image_args())
    start = len(compute.calls)
    result = module_runner(
        gallery_image.main,
        image_args(os_type="Windows", sku="other", security_type="TrustedLaunch"),
    )
    assert result.failed
    assert "sku: current '24_04-lts', requested 'other'" in result.msg
    assert "os_type: current 'Linux', requested 'Windows'" in result.msg
    assert (
        "security_type: current 'TrustedLaunchSupported', requested 'TrustedLaunch'" in result.msg
    )
    assert {c["field"] for c in result["conflicts"]} == {"sku", "os_type", "security_type"}
    assert compute.calls[start:] == [("gallery_images", "get", ("rg-images", "gal1", "ubuntu"))]


def test_features_change_with_allow_update_image(
    compute: FakeCompute, module_runner: Runner
) -> None:
    module_runner(gallery.main, gallery_args())
    module_runner(gallery_image.main, image_args())
    result = module_runner(
        gallery_image.main,
        image_args(security_type="TrustedLaunch", allow_update_image=True),
        diff=True,
    )
    assert result.changed
    assert result["image"]["security_type"] == "TrustedLaunch"
    assert result["diff"] == {
        "before": {"security_type": "TrustedLaunchSupported"},
        "after": {"security_type": "TrustedLaunch"},
    }
    body = compute.calls.writes()[-1][2][3]
    assert body["properties"]["allowUpdateImage"] is True


def test_trusted_launch_on_generation_one_is_refused_before_writing(
    compute: FakeCompute, module_runner: Runner
) -> None:
    module_runner(gallery.main, gallery_args())
    start = len(compute.calls)
    result = module_runner(gallery_image.main, image_args(hyper_v_generation="V1"))
    assert result.failed and "security_type" in result.msg and "V2" in result.msg
    assert [c for c in compute.calls[start:] if c[1] != "get"] == []


def test_image_in_a_missing_gallery_says_so(compute: FakeCompute, module_runner: Runner) -> None:
    result = module_runner(gallery_image.main, image_args())
    assert result.failed and "Gallery 'gal1' does not exist" in result.msg


# --- info modules ---------------------------------------------------------------------------


def test_info_modules_return_lists(compute: FakeCompute, module_runner: Runner) -> None:
    assert module_runner(gallery_info.main, gallery_args())["galleries"] == []
    assert (
        module_runner(
            gallery_image_info.main, {"gallery_name": "gal1", "resource_group": "rg-images"}
        )["images"]
        == []
    )
    sharing = {"permission": "Groups", "subscriptions": [OTHER_SUB]}
    module_runner(gallery.main, gallery_args(sharing=sharing))
    module_runner(gallery_image.main, image_args())
    listed = module_runner(gallery_info.main, {})["galleries"]
    # Shared galleries are read again so their groups are complete.
    assert [g["sharing"]["subscriptions"] for g in listed] == [[OTHER_SUB]]
    images = module_runner(gallery_image_info.main, {"resource_group": "rg-images"})["images"]
    assert [i["name"] for i in images] == ["ubuntu"]
    one = module_runner(
        gallery_image_info.main,
        {"name": "ubuntu", "gallery_name": "gal1", "resource_group": "rg-images"},
    )
    assert one["images"][0]["security_type"] == "TrustedLaunchSupported"


def test_info_errors_are_not_empty_lists(
    compute: FakeCompute, module_runner: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        error = HttpResponseError(
            message="The client does not have authorization to perform action."
        )
        error.status_code = 403
        raise error

    monkeypatch.setattr(compute.galleries, "list", refuse)
    result = module_runner(gallery_info.main, {})
    assert result.failed and "authorization" in result.msg
    assert "galleries" not in result.result or result["galleries"] is None


def test_image_info_name_needs_gallery(compute: FakeCompute, module_runner: Runner) -> None:
    result = module_runner(gallery_image_info.main, {"name": "ubuntu"})
    assert result.failed and "gallery_name" in result.msg


def test_wait_false_returns_the_prediction_without_reading_back(
    compute: FakeCompute, module_runner: Runner
) -> None:
    result = module_runner(gallery.main, gallery_args(location="eastus", wait=False))
    assert result.changed and result["duration"] == 0.0
    assert [call[1] for call in compute.calls] == ["get", "begin_create_or_update"]
    assert result["gallery"]["unique_name"] is None  # predicted: Azure has not answered yet
    awaited = module_runner(gallery.main, gallery_args(description="now awaited"))
    assert awaited.changed and awaited["duration"] >= 0.0
    assert awaited["gallery"]["unique_name"]


def test_a_refused_write_fails_naming_the_verb_and_the_resource(
    compute: FakeCompute, module_runner: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        error = HttpResponseError(message="Operation 'put' is not allowed while quota is exceeded.")
        error.status_code = 409
        raise error

    monkeypatch.setattr(compute.galleries, "begin_create_or_update", refuse)
    result = module_runner(gallery.main, gallery_args(location="eastus"))
    assert result.failed
    assert "create or update gallery 'gal1' in resource group 'rg-images'" in result.msg
    assert "quota is exceeded" in result.msg
    assert result["error"]["status"] == 409


def test_image_delete_is_predicted_in_check_mode_then_done_once(
    compute: FakeCompute, module_runner: Runner
) -> None:
    module_runner(gallery.main, gallery_args())
    module_runner(gallery_image.main, image_args())
    absent = {
        "name": "ubuntu",
        "gallery_name": "gal1",
        "resource_group": "rg-images",
        "state": "absent",
    }
    planned = module_runner(gallery_image.main, absent, check_mode=True, diff=True)
    assert planned.changed and planned["diff"]["after"] == {}
    assert planned["diff"]["before"]["sku"] == "24_04-lts"
    assert ("gal1", "ubuntu") in compute.image_bodies
    assert module_runner(gallery_image.main, absent).changed
    assert ("gal1", "ubuntu") not in compute.image_bodies
    again = module_runner(gallery_image.main, absent)
    assert not again.changed and again["image"] is None


def test_a_missing_resource_group_is_named_before_any_write(
    compute: FakeCompute, module_runner: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(path: str, api_version: str) -> None:
        raise not_found(path)

    monkeypatch.setattr(FakeArm, "get", lambda self, path, api_version: missing(path, api_version))
    result = module_runner(gallery.main, gallery_args())
    assert result.failed and "Resource group 'rg-images' does not exist" in result.msg
    assert compute.calls.writes() == []


def test_create_reads_the_gallery_once_and_uses_the_operations_answer(
    compute: FakeCompute, module_runner: Runner
) -> None:
    args = gallery_args(location="eastus", description="images")
    created = module_runner(gallery.main, args)
    assert created.changed and created["gallery"]["unique_name"]
    assert [call[:2] for call in compute.calls] == [
        ("galleries", "get"),
        ("galleries", "begin_create_or_update"),
    ]
    assert (
        module_runner(gallery.main, gallery_args(description="images"))["gallery"]
        == (created["gallery"])
    )


def test_groups_sharing_is_read_back_with_its_groups(
    compute: FakeCompute, module_runner: Runner
) -> None:
    sharing = {"permission": "Groups", "subscriptions": [OTHER_SUB]}
    module_runner(gallery.main, gallery_args(sharing=sharing))
    assert compute.calls[-1] == (
        "galleries",
        "get",
        ("rg-images", "gal1", {"expand": "SharingProfile/Groups"}),
    )
