"""Gallery image versions, their sources, replication, safety and soft delete, through the
unpatched azure-mgmt-compute client."""

from __future__ import annotations

from datetime import datetime

import pytest
from azure.core.exceptions import ResourceNotFoundError
from test_compute_support import (
    Arm,
    error_of,
    gallery_body,
    generalized_vm,
    image_body,
    managed_image,
    version_body,
)


@pytest.fixture
def linux_v2(compute, rg: str) -> str:
    """A gallery `gal` holding a generalized Linux V2 definition `linux`; returns the gallery."""
    compute.galleries.begin_create_or_update(rg, "gal", gallery_body()).result()
    compute.gallery_images.begin_create_or_update(
        rg, "gal", "linux", image_body(hyperVGeneration="V2")
    ).result()
    return "gal"


@pytest.fixture
def source_image(compute, rg: str, arm: Arm) -> str:
    """A managed image captured from a generalized Ubuntu 24.04 (V2) VM."""
    vm = generalized_vm(compute, rg, arm, "srcvm")
    return managed_image(compute, rg, arm, "srcimage", vm.id).id


def test_generalize_flow_vm_to_managed_image_to_version(
    compute, rg: str, arm: Arm, linux_v2: str
) -> None:
    vm = generalized_vm(compute, rg, arm, "flowvm")
    statuses = [s.code for s in compute.virtual_machines.instance_view(rg, "flowvm").statuses]
    assert "OSState/generalized" in statuses and "PowerState/deallocated" in statuses
    image = managed_image(compute, rg, arm, "flowimage", vm.id)
    assert image.properties.hyper_v_generation == "V2"
    assert image.properties.storage_profile.os_disk.os_state == "Generalized"

    poller = compute.gallery_image_versions.begin_create_or_update(
        rg, "gal", "linux", "1.0.0", version_body(image.id)
    )
    arm.advance(3600)
    version = poller.result()
    assert version.properties.provisioning_state == "Succeeded"
    assert version.properties.storage_profile.source.id.lower() == image.id.lower()
    assert version.properties.publishing_profile.published_date is not None
    assert [
        v.name for v in compute.gallery_image_versions.list_by_gallery_image(rg, "gal", "linux")
    ] == ["1.0.0"]


def test_version_straight_from_a_generalized_vm(compute, rg: str, arm: Arm, linux_v2: str) -> None:
    vm = generalized_vm(compute, rg, arm, "directvm")
    body = version_body(None)
    body["properties"]["storageProfile"] = {"source": {"virtualMachineId": vm.id}}
    poller = compute.gallery_image_versions.begin_create_or_update(
        rg, "gal", "linux", "1.0.1", body
    )
    arm.advance(3600)
    assert poller.result().properties.provisioning_state == "Succeeded"


def test_running_vm_cannot_be_generalized_or_captured(
    compute, rg: str, arm: Arm, linux_v2: str
) -> None:
    vm = generalized_vm(compute, rg, arm, "runvm", generalize=False)
    error = error_of(lambda: compute.virtual_machines.generalize(rg, "runvm"))
    assert (error.status_code, error.error.code) == (409, "OperationNotAllowed")
    assert "running" in error.error.message
    body = version_body(None)
    body["properties"]["storageProfile"] = {"source": {"virtualMachineId": vm.id}}
    error = error_of(
        lambda: compute.gallery_image_versions.begin_create_or_update(
            rg, "gal", "linux", "1.0.0", body
        )
    )
    assert error.error.code == "InvalidParameter" and "generalized" in error.error.message
    error = error_of(
        lambda: compute.images.begin_create_or_update(
            rg,
            "notgen",
            {"location": "eastus", "properties": {"sourceVirtualMachine": {"id": vm.id}}},
        )
    )
    assert (error.status_code, error.error.code) == (409, "OperationNotAllowed")


def test_generalized_vm_cannot_start(compute, rg: str, arm: Arm) -> None:
    generalized_vm(compute, rg, arm, "genvm")
    error = error_of(lambda: compute.virtual_machines.begin_start(rg, "genvm"))
    assert (error.status_code, error.error.code) == (409, "OperationNotAllowed")


@pytest.mark.parametrize("name", ["1.0", "1.0.0.0", "v1.0.0", "2147483648.0.0", "1.-1.0"])
def test_version_name_rule(compute, rg: str, linux_v2: str, source_image: str, name: str) -> None:
    error = error_of(
        lambda: compute.gallery_image_versions.begin_create_or_update(
            rg, "gal", "linux", name, version_body(source_image)
        )
    )
    assert (error.status_code, error.error.code) == (400, "InvalidParameter")


def test_missing_source_is_not_found(compute, rg: str, linux_v2: str, source_image: str) -> None:
    missing = source_image.rsplit("/", 1)[0] + "/absent"
    error = error_of(
        lambda: compute.gallery_image_versions.begin_create_or_update(
            rg, "gal", "linux", "1.0.0", version_body(missing)
        )
    )
    assert (error.status_code, error.error.code) == (404, "NotFound")


def test_source_must_fit_definition(compute, rg: str, arm: Arm, source_image: str) -> None:
    compute.galleries.begin_create_or_update(rg, "fit", gallery_body()).result()
    compute.gallery_images.begin_create_or_update(
        rg, "fit", "gen1", image_body(hyperVGeneration="V1")
    ).result()
    compute.gallery_images.begin_create_or_update(
        rg, "fit", "win", image_body(osType="Windows", hyperVGeneration="V2")
    ).result()
    compute.gallery_images.begin_create_or_update(
        rg, "fit", "special", image_body(osState="Specialized", hyperVGeneration="V2")
    ).result()
    cases = {
        "gen1": (409, "Conflict"),
        "win": (400, "InvalidParameter"),
        "special": (400, "InvalidParameter"),
    }
    for definition, expected in cases.items():
        error = error_of(
            lambda definition=definition: compute.gallery_image_versions.begin_create_or_update(
                rg, "fit", definition, "1.0.0", version_body(source_image)
            )
        )
        assert (error.status_code, error.error.code) == expected, definition


def test_source_region_must_be_a_target(compute, rg: str, linux_v2: str, source_image: str) -> None:
    body = version_body(source_image, regions=[{"name": "westus"}])
    error = error_of(
        lambda: compute.gallery_image_versions.begin_create_or_update(
            rg, "gal", "linux", "1.0.0", body
        )
    )
    assert (error.status_code, error.error.code) == (400, "InvalidParameter")
    assert "eastus" in error.error.message


def test_replication_progress_over_simulated_time(
    compute, rg: str, arm: Arm, linux_v2: str, source_image: str
) -> None:
    body = version_body(
        source_image,
        regions=[{"name": "eastus"}, {"name": "westeurope", "regionalReplicaCount": 2}],
    )
    compute.gallery_image_versions.begin_create_or_update(rg, "gal", "linux", "2.0.0", body)
    first = compute.gallery_image_versions.get(
        rg, "gal", "linux", "2.0.0", expand="ReplicationStatus"
    )
    assert first.properties.provisioning_state == "Creating"
    assert first.properties.replication_status.aggregated_state == "InProgress"

    arm.advance(700)  # the home region holds a replica: provisioning ends, replication goes on
    middle = compute.gallery_image_versions.get(
        rg, "gal", "linux", "2.0.0", expand="ReplicationStatus"
    )
    assert middle.properties.provisioning_state == "Succeeded"
    regions = {s.region: s for s in middle.properties.replication_status.summary}
    assert regions["East US"].state == "Completed" and regions["East US"].progress == 100
    assert regions["West Europe"].state == "Replicating"
    assert 0 <= regions["West Europe"].progress < 100
    assert middle.properties.replication_status.aggregated_state == "InProgress"

    arm.advance(3600)
    done = compute.gallery_image_versions.get(
        rg, "gal", "linux", "2.0.0", expand="ReplicationStatus"
    )
    assert done.properties.replication_status.aggregated_state == "Completed"
    plain = compute.gallery_image_versions.get(rg, "gal", "linux", "2.0.0")
    assert plain.properties.replication_status is None


def test_version_updates_in_place(
    compute, rg: str, arm: Arm, linux_v2: str, source_image: str
) -> None:
    body = version_body(source_image, exclude_from_latest=True)
    body["properties"]["safetyProfile"] = {"allowDeletionOfReplicatedLocations": False}
    poller = compute.gallery_image_versions.begin_create_or_update(
        rg, "gal", "linux", "1.0.0", body
    )
    arm.advance(3600)
    created = poller.result()
    assert created.properties.publishing_profile.exclude_from_latest is True

    patch = {
        "tags": {"stage": "prod"},
        "properties": {
            "publishingProfile": {
                "targetRegions": [
                    {"name": "eastus", "regionalReplicaCount": 2},
                    {"name": "northeurope", "excludeFromLatest": True},
                ],
                "excludeFromLatest": False,
                "endOfLifeDate": "2031-01-01T00:00:00+00:00",
            }
        },
    }
    poller = compute.gallery_image_versions.begin_update(rg, "gal", "linux", "1.0.0", patch)
    arm.advance(120)
    updated = poller.result()
    regions = {r.name: r for r in updated.properties.publishing_profile.target_regions}
    assert regions["East US"].regional_replica_count == 2
    assert regions["North Europe"].exclude_from_latest is True
    assert updated.properties.publishing_profile.exclude_from_latest is False
    assert updated.tags == {"stage": "prod"}

    removal = {"properties": {"publishingProfile": {"targetRegions": [{"name": "eastus"}]}}}
    error = error_of(
        lambda: compute.gallery_image_versions.begin_update(rg, "gal", "linux", "1.0.0", removal)
    )
    assert (error.status_code, error.error.code) == (409, "OperationNotAllowed")

    storage_change = {
        "properties": {
            "publishingProfile": {
                "targetRegions": [
                    {"name": "eastus", "storageAccountType": "Premium_LRS"},
                    {"name": "northeurope"},
                ]
            }
        }
    }
    error = error_of(
        lambda: compute.gallery_image_versions.begin_update(
            rg, "gal", "linux", "1.0.0", storage_change
        )
    )
    assert (error.status_code, error.error.code) == (409, "PropertyChangeNotAllowed")
    mode_change = {"properties": {"publishingProfile": {"replicationMode": "Shallow"}}}
    error = error_of(
        lambda: compute.gallery_image_versions.begin_update(
            rg, "gal", "linux", "1.0.0", mode_change
        )
    )
    assert error.error.code == "PropertyChangeNotAllowed"


def test_version_source_cannot_change(
    compute, rg: str, arm: Arm, linux_v2: str, source_image: str
) -> None:
    poller = compute.gallery_image_versions.begin_create_or_update(
        rg, "gal", "linux", "1.0.0", version_body(source_image)
    )
    arm.advance(3600)
    poller.result()
    other = managed_image(
        compute, rg, arm, "otherimage", generalized_vm(compute, rg, arm, "othervm").id
    )
    error = error_of(
        lambda: compute.gallery_image_versions.begin_create_or_update(
            rg, "gal", "linux", "1.0.0", version_body(other.id)
        )
    )
    assert (error.status_code, error.error.code) == (409, "PropertyChangeNotAllowed")


def test_safety_profile_blocks_deletion_before_end_of_life(
    compute, rg: str, arm: Arm, linux_v2: str, source_image: str
) -> None:
    body = version_body(source_image)
    body["properties"]["publishingProfile"]["endOfLifeDate"] = "2099-01-01T00:00:00+00:00"
    body["properties"]["safetyProfile"] = {"blockDeletionBeforeEndOfLife": True}
    poller = compute.gallery_image_versions.begin_create_or_update(
        rg, "gal", "linux", "1.0.0", body
    )
    arm.advance(3600)
    poller.result()
    error = error_of(
        lambda: compute.gallery_image_versions.begin_delete(rg, "gal", "linux", "1.0.0")
    )
    assert (error.status_code, error.error.code) == (409, "OperationNotAllowed")
    assert compute.gallery_image_versions.get(rg, "gal", "linux", "1.0.0")


def test_definition_with_versions_cannot_be_deleted(
    compute, rg: str, arm: Arm, linux_v2: str, source_image: str
) -> None:
    poller = compute.gallery_image_versions.begin_create_or_update(
        rg, "gal", "linux", "1.0.0", version_body(source_image)
    )
    arm.advance(3600)
    poller.result()
    error = error_of(lambda: compute.gallery_images.begin_delete(rg, "gal", "linux"))
    assert (error.status_code, error.error.code) == (409, "CannotDeleteResource")
    delete = compute.gallery_image_versions.begin_delete(rg, "gal", "linux", "1.0.0")
    arm.advance(120)
    delete.result()
    compute.gallery_images.begin_delete(rg, "gal", "linux").result()


def test_soft_delete_keeps_and_restores_versions(
    compute, rg: str, arm: Arm, source_image: str
) -> None:
    compute.galleries.begin_create_or_update(
        rg, "bin", gallery_body(softDeletePolicy={"isSoftDeleteEnabled": True})
    ).result()
    compute.gallery_images.begin_create_or_update(
        rg, "bin", "linux", image_body(hyperVGeneration="V2")
    ).result()
    for name in ("1.0.0", "1.0.1"):
        poller = compute.gallery_image_versions.begin_create_or_update(
            rg, "bin", "linux", name, version_body(source_image)
        )
        arm.advance(3600)
        poller.result()
    delete = compute.gallery_image_versions.begin_delete(rg, "bin", "linux", "1.0.0")
    arm.advance(120)
    delete.result()
    with pytest.raises(ResourceNotFoundError):
        compute.gallery_image_versions.get(rg, "bin", "linux", "1.0.0")
    bypass = compute.gallery_image_versions.begin_delete(
        rg, "bin", "linux", "1.0.1", bypass_soft_delete=True
    )
    arm.advance(120)
    bypass.result()

    kept = list(compute.soft_deleted_resource.list_by_artifact_name(rg, "bin", "Images", "linux"))
    assert [item.name for item in kept] == ["1.0.0"]
    assert kept[0].properties.resource_arm_id.endswith("/versions/1.0.0")
    assert kept[0].properties.soft_deleted_artifact_type == "Images"
    deleted_at = datetime.fromisoformat(kept[0].properties.soft_deleted_time)
    assert kept[0].properties.hard_deletion_target_time > deleted_at

    restore = compute.gallery_image_versions.begin_create_or_update(
        rg, "bin", "linux", "1.0.0", {"location": "eastus", "properties": {"restore": True}}
    )
    arm.advance(120)
    assert restore.result().properties.provisioning_state == "Succeeded"
    assert not list(
        compute.soft_deleted_resource.list_by_artifact_name(rg, "bin", "Images", "linux")
    )
    error = error_of(
        lambda: compute.gallery_image_versions.begin_create_or_update(
            rg, "bin", "linux", "1.0.1", {"location": "eastus", "properties": {"restore": True}}
        )
    )
    assert error.status_code == 404

    arm.advance(8 * 24 * 3600)  # past the default retention: the bin is empty again
    second_delete = compute.gallery_image_versions.begin_delete(rg, "bin", "linux", "1.0.0")
    arm.advance(120)
    second_delete.result()
    arm.advance(8 * 24 * 3600)
    assert not list(
        compute.soft_deleted_resource.list_by_artifact_name(rg, "bin", "Images", "linux")
    )


def test_version_from_another_gallery_version_and_from_snapshot(
    compute, rg: str, arm: Arm, linux_v2: str, source_image: str
) -> None:
    poller = compute.gallery_image_versions.begin_create_or_update(
        rg, "gal", "linux", "1.0.0", version_body(source_image)
    )
    arm.advance(3600)
    first = poller.result()
    compute.galleries.begin_create_or_update(rg, "copy", gallery_body()).result()
    compute.gallery_images.begin_create_or_update(
        rg, "copy", "linux", image_body(hyperVGeneration="V2")
    ).result()
    copy = compute.gallery_image_versions.begin_create_or_update(
        rg, "copy", "linux", "1.0.0", version_body(first.id)
    )
    arm.advance(3600)
    assert copy.result().properties.storage_profile.source.id == first.id

    disk_id = compute.virtual_machines.get(
        rg, "srcvm"
    ).properties.storage_profile.os_disk.managed_disk.id
    snapshot = compute.snapshots.begin_create_or_update(
        rg,
        "snap",
        {
            "location": "eastus",
            "properties": {"creationData": {"createOption": "Copy", "sourceResourceId": disk_id}},
        },
    )
    arm.advance(60)
    snap = snapshot.result()
    assert snap.properties.os_type == "Linux" and snap.properties.hyper_v_generation == "V2"
    body = version_body(None)
    body["properties"]["storageProfile"] = {
        "osDiskImage": {"source": {"id": snap.id}, "hostCaching": "ReadOnly"},
    }
    from_snapshot = compute.gallery_image_versions.begin_create_or_update(
        rg, "gal", "linux", "1.1.0", body
    )
    arm.advance(3600)
    version = from_snapshot.result()
    assert version.properties.storage_profile.os_disk_image.host_caching == "ReadOnly"


def test_version_from_source_in_another_subscription(
    compute, rg: str, arm: Arm, linux_v2: str, other_subscription: tuple[str, str]
) -> None:
    subscription_id, other_rg = other_subscription
    foreign = arm.foreign_generalized_image(subscription_id, other_rg, "foreignimage")
    poller = compute.gallery_image_versions.begin_create_or_update(
        rg, "gal", "linux", "3.0.0", version_body(foreign)
    )
    arm.advance(3600)
    assert poller.result().properties.storage_profile.source.id == foreign
