"""The calls the Image Builder provider makes into Microsoft.Compute, on a real simulation
state (SQLite in a temporary folder) without the HTTPS server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from azsim.core.errors import ArmError
from azsim.core.sim import Sim
from azsim.core.store import open_database
from azsim.providers import compute

LINUX_V2 = {"osType": "Linux", "hyperVGeneration": "V2", "architecture": "x64"}


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Sim]:
    simulation = Sim(open_database(tmp_path / "state.db"))
    simulation.ensure_defaults()
    with simulation.transaction():
        yield simulation


def seed(sim: Sim, resource_id: str, body: dict) -> str:
    sim.store.put(resource_id, {"id": resource_id, "name": resource_id.rsplit("/", 1)[1], **body})
    return resource_id


@pytest.fixture
def definition_id(sim: Sim) -> str:
    group = seed(
        sim, f"/subscriptions/{sim.subscription_id}/resourceGroups/rg", {"location": "eastus"}
    )
    gallery = seed(
        sim,
        f"{group}/providers/Microsoft.Compute/galleries/gal",
        {"location": "eastus", "properties": {"provisioningState": "Succeeded"}},
    )
    return seed(
        sim,
        f"{gallery}/images/ubuntu",
        {
            "location": "eastus",
            "properties": {
                "identifier": {"publisher": "p", "offer": "o", "sku": "s"},
                "osType": "Linux",
                "osState": "Generalized",
                "hyperVGeneration": "V2",
                "architecture": "x64",
                "provisioningState": "Succeeded",
            },
        },
    )


def advance(sim: Sim, seconds: float) -> None:
    sim.clock.advance(seconds)
    sim.run_due_events()


def publish(sim: Sim, version_id: str, regions: list[dict], **source: str) -> dict:
    return compute.create_gallery_image_version_from_build(
        sim,
        version_id,
        location="eastus",
        target_regions=regions,
        exclude_from_latest=True,
        replication_mode=None,
        storage_account_type="Standard_ZRS",
        tags={"build": "1"},
        source={**LINUX_V2, "location": "eastus", **source},
    )


def test_build_publishes_a_version_that_provisions_then_replicates(
    sim: Sim, definition_id: str
) -> None:
    version_id = f"{definition_id}/versions/1.0.0"
    version = publish(sim, version_id, [{"name": "eastus"}, {"name": "West Europe"}])
    props = version["properties"]
    assert props["provisioningState"] == "Creating"
    assert props["publishingProfile"]["excludeFromLatest"] is True
    # The gallery service writes region display names back.
    assert [r["name"] for r in props["publishingProfile"]["targetRegions"]] == [
        "East US",
        "West Europe",
    ]
    assert {r["storageAccountType"] for r in props["publishingProfile"]["targetRegions"]} == {
        "Standard_ZRS"
    }
    assert not any(key.startswith("__") for key in version)

    advance(sim, compute.rules.HOME_REPLICATION_SECONDS["Full"] + 1)
    stored = sim.store.get(version_id)
    assert stored is not None and stored["properties"]["provisioningState"] == "Succeeded"
    status = compute.version_view(sim, stored, True)["properties"]["replicationStatus"]
    assert status["aggregatedState"] == "InProgress"
    assert {s["region"]: s["state"] for s in status["summary"]}["East US"] == "Completed"

    advance(sim, 3600)
    status = compute.version_view(sim, sim.store.get(version_id) or {}, True)
    assert status["properties"]["replicationStatus"]["aggregatedState"] == "Completed"


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ({"hyperVGeneration": "V1"}, "Conflict"),
        ({"osType": "Windows"}, "InvalidParameter"),
        ({"architecture": "Arm64"}, "Conflict"),
        ({"location": "westus"}, "InvalidParameter"),
    ],
)
def test_build_targets_that_do_not_fit_fail_like_azure(
    sim: Sim, definition_id: str, source: dict, code: str
) -> None:
    with pytest.raises(ArmError) as caught:
        publish(sim, f"{definition_id}/versions/1.0.0", [{"name": "eastus"}], **source)
    assert caught.value.code == code
    assert sim.store.get(f"{definition_id}/versions/1.0.0") is None


def test_build_needs_an_existing_definition_and_a_new_version(sim: Sim, definition_id: str) -> None:
    with pytest.raises(ArmError) as caught:
        publish(sim, definition_id.replace("/ubuntu", "/missing") + "/versions/1.0.0", [])
    assert (caught.value.status, caught.value.code) == (404, "ParentResourceNotFound")
    with pytest.raises(ArmError) as caught:
        publish(sim, f"{definition_id}/versions/1.0", [])
    assert caught.value.code == "InvalidParameter"
    publish(sim, f"{definition_id}/versions/1.0.0", [])
    with pytest.raises(ArmError) as caught:
        publish(sim, f"{definition_id}/versions/1.0.0", [])
    assert caught.value.status == 409


def test_next_version_latest_and_source_schemes(sim: Sim, definition_id: str) -> None:
    assert compute.next_gallery_image_version(sim, definition_id, "Latest") == "0.0.1"
    for name in ("1.0.9", "1.0.10", "0.5.0"):
        publish(sim, f"{definition_id}/versions/{name}", [])
    assert compute.next_gallery_image_version(sim, definition_id, "Latest") == "1.0.11"
    assert compute.next_gallery_image_version(sim, definition_id, "Latest:0") == "0.5.1"
    assert (
        compute.next_gallery_image_version(sim, definition_id, "Source:22.04.202409170")
        == "22.04.202409170"
    )
    with pytest.raises(ArmError):
        compute.next_gallery_image_version(sim, definition_id, "Random")
    with pytest.raises(ArmError) as caught:
        compute.next_gallery_image_version(sim, definition_id + "x", "Latest")
    assert caught.value.status == 404


def test_build_creates_a_managed_image(sim: Sim, definition_id: str) -> None:
    group = f"/subscriptions/{sim.subscription_id}/resourceGroups/rg"
    image_id = f"{group}/providers/Microsoft.Compute/images/built"
    image = compute.create_managed_image_from_build(
        sim, image_id, location="East US", os_type="Linux", hyper_v_generation="V2", tags={"a": "b"}
    )
    assert image["location"] == "eastus"
    assert image["properties"]["hyperVGeneration"] == "V2"
    assert image["properties"]["storageProfile"]["osDisk"]["osState"] == "Generalized"
    assert image["properties"]["provisioningState"] == "Creating"
    advance(sim, 600)
    assert (sim.store.get(image_id) or {})["properties"]["provisioningState"] == "Succeeded"
    with pytest.raises(ArmError) as caught:
        compute.create_managed_image_from_build(
            sim, image_id, location="eastus", os_type="Linux", hyper_v_generation="V2", tags={}
        )
    assert caught.value.status == 409
    with pytest.raises(ArmError) as caught:
        compute.create_managed_image_from_build(
            sim,
            image_id.replace("/rg/", "/nogroup/"),
            location="eastus",
            os_type="Linux",
            hyper_v_generation="V2",
            tags={},
        )
    assert caught.value.code == "ResourceGroupNotFound"


def test_resolve_platform_image(sim: Sim) -> None:
    image = compute.resolve_platform_image(
        sim, "East US", "Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2", "latest"
    )
    assert image["name"] == "22.04.202502250"
    assert image["properties"]["hyperVGeneration"] == "V2"
    assert image["properties"]["osDiskImage"]["operatingSystem"] == "Linux"
    exact = compute.resolve_platform_image(
        sim, "eastus", "canonical", "ubuntu-24_04-lts", "server-gen1", "24.04.202409030"
    )
    assert exact["properties"]["hyperVGeneration"] == "V1"
    with pytest.raises(ArmError) as caught:
        compute.resolve_platform_image(sim, "eastus", "Canonical", "nope", "x", "latest")
    assert (caught.value.status, caught.value.code) == (404, "ImageNotFound")
    with pytest.raises(ArmError) as caught:
        compute.resolve_platform_image(
            sim, "mars", "Canonical", "ubuntu-24_04-lts", "server", "latest"
        )
    assert caught.value.status == 400


def test_build_version_does_not_depend_on_its_template(sim: Sim, definition_id: str) -> None:
    template = f"/subscriptions/{sim.subscription_id}/resourceGroups/rg/providers/Microsoft.VirtualMachineImages/imageTemplates/t"
    version_id = f"{definition_id}/versions/1.0.0"
    publish(sim, version_id, [{"name": "eastus"}], description=template)
    advance(sim, 3600)
    assert (sim.store.get(version_id) or {})["properties"]["provisioningState"] == "Succeeded"


def test_version_copied_from_a_version_keeps_its_data_disks(sim: Sim, definition_id: str) -> None:
    source_id = seed(
        sim,
        f"{definition_id}/versions/1.0.0",
        {
            "location": "eastus",
            "properties": {
                "publishingProfile": {"targetRegions": [{"name": "eastus"}]},
                "storageProfile": {
                    "dataDiskImages": [{"lun": 2, "hostCaching": "ReadOnly", "sizeInGB": 64}]
                },
            },
        },
    )
    copy = compute.create_gallery_image_version_from_build(
        sim,
        f"{definition_id}/versions/2.0.0",
        location="eastus",
        target_regions=[],
        exclude_from_latest=False,
        replication_mode=None,
        storage_account_type=None,
        tags={},
        source={"id": source_id},
    )
    disks = copy["properties"]["storageProfile"]["dataDiskImages"]
    assert disks == [{"lun": 2, "hostCaching": "ReadOnly", "sizeInGB": 64}]


def test_a_built_version_can_be_updated_without_a_source_reference(
    sim: Sim, definition_id: str
) -> None:
    # Promote a staged build output: a PUT that changes publishing only, as a client sends it
    # after reading the version back, with no source in its storage profile.
    version_id = f"{definition_id}/versions/1.0.0"
    publish(sim, version_id, [{"name": "eastus"}])
    advance(sim, compute.rules.HOME_REPLICATION_SECONDS["Full"] + 1)
    existing = sim.store.get(version_id)
    assert existing is not None
    payload = {
        "location": "eastus",
        "properties": {
            "publishingProfile": {
                "targetRegions": [{"name": "eastus"}, {"name": "westeurope"}],
                "storageAccountType": "Standard_ZRS",
                "excludeFromLatest": False,
            }
        },
    }
    body, _ = compute.prepare_version(sim, version_id, payload, None, existing)
    profile = body["properties"]["publishingProfile"]
    assert profile["excludeFromLatest"] is False
    assert [r["name"] for r in profile["targetRegions"]] == ["eastus", "westeurope"]
    assert body["__facts"] == existing["__facts"]
