# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The four gallery modules end to end: ``main()`` against a fake ARM client."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule
from ansible_collections.goldenimage.azure.plugins.modules import (
    gallery,
    gallery_image,
    gallery_image_info,
    gallery_info,
)
from ansible_collections.goldenimage.azure.tests.unit.arm_fakes import (
    FakeArm,
    not_found,
    refused,
)
from ansible_collections.goldenimage.azure.tests.unit.harness import ModuleResult

# --- a fake Compute Gallery behind the ARM client --------------------------------------------
# It keeps ARM-shaped bodies the way Azure answers them (2026-03-03 shapes), and the fake ARM
# client records every request and raises azure-core's own exceptions, so the modules' error
# handling is the real one.
SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
SHARING_EXPAND = "?$expand=SharingProfile%2FGroups"
GALLERY = r"/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Compute/galleries/(?P<g>[^/?]+)"
IMAGE = GALLERY + r"/images/(?P<i>[^/?]+)"


def gallery_path(resource_group: str, name: str) -> str:
    return (
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{resource_group}"
        f"/providers/Microsoft.Compute/galleries/{name}"
    )


IMAGE_PATH = gallery_path("rg-images", "gal1") + "/images/ubuntu"


class FakeCompute:
    """Galleries, definitions and versions as ARM serves them, behind a :class:`FakeArm`."""

    def __init__(self, arm: FakeArm) -> None:
        self.arm = arm
        self.gallery_bodies: dict[str, dict[str, Any]] = {}
        self.image_bodies: dict[tuple[str, str], dict[str, Any]] = {}
        self.version_bodies: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.resource_group_reads = 0
        arm.on("GET", r"/resourcegroups/[^/]+$", self.get_group)
        arm.on("GET", r"^/subscriptions/[^/]+/locations$", self.list_locations)
        arm.on("GET", r"/providers/Microsoft\.Compute/galleries$", self.list_galleries)
        arm.on("GET", GALLERY + r"(\?|$)", self.get_gallery)
        arm.on("PUT", GALLERY + "$", self.put_gallery)
        arm.on("DELETE", GALLERY + "$", self.delete_gallery)
        arm.on("POST", GALLERY + "/share$", self.share)
        arm.on("GET", GALLERY + "/images$", self.list_images)
        arm.on("GET", IMAGE + "$", self.get_image)
        arm.on("PUT", IMAGE + "$", self.put_image)
        arm.on("DELETE", IMAGE + "$", self.delete_image)
        arm.on("GET", IMAGE + "/versions$", self.list_versions)
        arm.on("DELETE", IMAGE + r"/versions/(?P<v>[^/?]+)$", self.delete_version)

    @property
    def calls(self) -> Any:
        return self.arm.calls

    def compute_requests(self, start: int = 0) -> list[tuple[str, str]]:
        """The Microsoft.Compute requests from call ``start`` on (no group or region reads)."""
        return [
            request
            for request in self.calls.requests(start)
            if "/providers/Microsoft.Compute/" in request[1]
        ]

    def list_locations(self, path: str, body: Any, match: re.Match[str]) -> dict[str, Any]:
        names = {"eastus": "East US", "westus": "West US", "westeurope": "West Europe"}
        return {"value": [{"name": n, "displayName": d} for n, d in names.items()]}

    def get_group(self, path: str, body: Any, match: re.Match[str]) -> dict[str, Any]:
        self.resource_group_reads += 1
        return {"id": path, "location": "eastus"}

    # --- galleries ---------------------------------------------------------------------------

    def listed(self, body: dict[str, Any]) -> dict[str, Any]:
        """List answers leave sharing groups out, as Azure's do."""
        profile = dict(body["properties"].get("sharingProfile") or {})
        profile.pop("groups", None)
        return {**body, "properties": {**body["properties"], "sharingProfile": profile}}

    def list_galleries(self, path: str, body: Any, match: re.Match[str]) -> list[dict[str, Any]]:
        scope = path.rsplit("/providers/", 1)[0] + "/"
        return [self.listed(b) for b in self.gallery_bodies.values() if b["id"].startswith(scope)]

    def get_gallery(self, path: str, body: Any, match: re.Match[str]) -> dict[str, Any]:
        found = self.gallery_bodies.get(match["g"])
        if found is None:
            raise not_found(path)
        return found if "$expand=" in path else self.listed(found)

    def put_gallery(self, path: str, body: Any, match: re.Match[str]) -> dict[str, Any]:
        name = match["g"]
        existing = self.gallery_bodies.get(name, {})
        groups = ((existing.get("properties") or {}).get("sharingProfile") or {}).get("groups", [])
        stored = {
            "id": gallery_path(match["rg"], name),
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
        self.gallery_bodies[name] = stored
        return stored

    def delete_gallery(self, path: str, body: Any, match: re.Match[str]) -> None:
        if any(key[0] == match["g"] for key in self.image_bodies):
            raise refused(409, "Cannot delete resource while nested resources exist.")
        self.gallery_bodies.pop(match["g"], None)

    def share(self, path: str, update: Any, match: re.Match[str]) -> dict[str, Any]:
        profile = self.gallery_bodies[match["g"]]["properties"].setdefault(
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
        return dict(update)

    # --- definitions and versions ------------------------------------------------------------

    def list_images(self, path: str, body: Any, match: re.Match[str]) -> list[dict[str, Any]]:
        if match["g"] not in self.gallery_bodies:
            raise not_found(path)
        return [b for (g, _name), b in sorted(self.image_bodies.items()) if g == match["g"]]

    def get_image(self, path: str, body: Any, match: re.Match[str]) -> dict[str, Any]:
        found = self.image_bodies.get((match["g"], match["i"]))
        if found is None:
            raise not_found(path)
        return found

    def put_image(self, path: str, body: Any, match: re.Match[str]) -> dict[str, Any]:
        gallery_name, name = match["g"], match["i"]
        properties = {"hyperVGeneration": "V1", "architecture": "x64", **body["properties"]}
        stored = {
            "id": f"{gallery_path(match['rg'], gallery_name)}/images/{name}",
            "name": name,
            "type": "Microsoft.Compute/galleries/images",
            "location": body["location"],
            "tags": body.get("tags", {}),
            "properties": {**properties, "provisioningState": "Succeeded"},
        }
        self.image_bodies[(gallery_name, name)] = stored
        return stored

    def delete_image(self, path: str, body: Any, match: re.Match[str]) -> None:
        self.image_bodies.pop((match["g"], match["i"]), None)

    def list_versions(self, path: str, body: Any, match: re.Match[str]) -> list[dict[str, Any]]:
        key = (match["g"], match["i"])
        return [b for (g, i, _name), b in sorted(self.version_bodies.items()) if (g, i) == key]

    def delete_version(self, path: str, body: Any, match: re.Match[str]) -> None:
        self.version_bodies.pop((match["g"], match["i"], match["v"]), None)


# --- module runs ------------------------------------------------------------------------------

OTHER_SUB = "aaaaaaaa-0000-0000-0000-000000000002"
TENANT = "bbbbbbbb-0000-0000-0000-000000000003"
Runner = Callable[..., ModuleResult]


@pytest.fixture
def compute(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCompute]:
    arm = FakeArm()
    fake = FakeCompute(arm)

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
    assert compute.calls.requests(start) == [
        ("GET", gallery_path("rg-images", "gal1") + SHARING_EXPAND)
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
    share = gallery_path("rg-images", "gal1") + "/share"
    writes = [(call.method, call.path, call.body) for call in compute.calls.writes(start)]
    assert writes == [
        (
            "POST",
            share,
            {"operationType": "Remove", "groups": [{"type": "Subscriptions", "ids": [OTHER_SUB]}]},
        ),
        (
            "POST",
            share,
            {"operationType": "Add", "groups": [{"type": "Subscriptions", "ids": [SUBSCRIPTION]}]},
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
    assert compute.calls.writes(start) == []


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
    assert compute.calls.writes(start) == []


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
    deletes = [call.path for call in compute.calls.writes(start)]
    assert deletes == planned["deleted"]
    assert {call.method for call in compute.calls.writes(start)} == {"DELETE"}
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
    assert compute.calls.requests(start) == [("GET", IMAGE_PATH)]


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
    assert compute.calls.requests(start) == [("GET", IMAGE_PATH)]


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
    body = compute.calls.writes()[-1].body
    assert body["properties"]["allowUpdateImage"] is True


def test_trusted_launch_on_generation_one_is_refused_before_writing(
    compute: FakeCompute, module_runner: Runner
) -> None:
    module_runner(gallery.main, gallery_args())
    start = len(compute.calls)
    result = module_runner(gallery_image.main, image_args(hyper_v_generation="V1"))
    assert result.failed and "security_type" in result.msg and "V2" in result.msg
    assert compute.calls.writes(start) == []


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


def test_info_errors_are_not_empty_lists(compute: FakeCompute, module_runner: Runner) -> None:
    compute.arm.fail(
        "GET",
        r"/providers/Microsoft\.Compute/galleries$",
        refused(403, "The client does not have authorization to perform action."),
    )
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
    assert [method for method, _path in compute.compute_requests()] == ["GET", "PUT"]
    assert result["gallery"]["unique_name"] is None  # predicted: Azure has not answered yet
    awaited = module_runner(gallery.main, gallery_args(description="now awaited"))
    assert awaited.changed and awaited["duration"] >= 0.0
    assert awaited["gallery"]["unique_name"]


def test_a_refused_write_fails_naming_the_verb_and_the_resource(
    compute: FakeCompute, module_runner: Runner
) -> None:
    compute.arm.fail(
        "PUT",
        GALLERY + "$",
        refused(409, "Operation 'put' is not allowed while quota is exceeded."),
    )
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
    compute: FakeCompute, module_runner: Runner
) -> None:
    compute.arm.fail("GET", r"/resourcegroups/[^/]+$", not_found("rg-images"))
    result = module_runner(gallery.main, gallery_args())
    assert result.failed and "Resource group 'rg-images' does not exist" in result.msg
    assert compute.calls.writes() == []


def test_create_reads_the_gallery_once_and_uses_the_operations_answer(
    compute: FakeCompute, module_runner: Runner
) -> None:
    args = gallery_args(location="eastus", description="images")
    created = module_runner(gallery.main, args)
    assert created.changed and created["gallery"]["unique_name"]
    assert compute.compute_requests() == [
        ("GET", gallery_path("rg-images", "gal1") + SHARING_EXPAND),
        ("PUT", gallery_path("rg-images", "gal1")),
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
    assert compute.calls[-1].request == ("GET", gallery_path("rg-images", "gal1") + SHARING_EXPAND)
