"""Gallery image versions, their sources, replication, safety and soft delete, through the
unpatched azure-mgmt-compute client."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.identity import ClientSecretCredential
from test_compute_support import (
    Arm,
    error_of,
    gallery_body,
    generalized_vm,
    image_body,
    managed_image,
    seeded_image,
    version_body,
)


@pytest.fixture
def arm(azsim: dict[str, Any], credential: Any, arm_settings: dict[str, Any]) -> Arm:
    return Arm(azsim, credential, arm_settings)


@pytest.fixture
def linux_v2(compute_client: Any, resource_group: str) -> str:
    """A gallery `gal` holding a generalized Linux V2 definition `linux`; returns the gallery."""
    compute_client.galleries.begin_create_or_update(resource_group, "gal", gallery_body()).result()
    compute_client.gallery_images.begin_create_or_update(
        resource_group, "gal", "linux", image_body(hyperVGeneration="V2")
    ).result()
    return "gal"


@pytest.fixture
def source_image(compute_client: Any, resource_group: str, arm: Arm) -> str:
    """A managed image captured from a generalized Ubuntu 24.04 (V2) VM."""
    vm = generalized_vm(compute_client, resource_group, arm, "srcvm")
    return managed_image(compute_client, resource_group, arm, "srcimage", vm.id).id


def test_generalize_flow_vm_to_managed_image_to_version(
    compute_client: Any, resource_group: str, arm: Arm, linux_v2: str
) -> None:
    vm = generalized_vm(compute_client, resource_group, arm, "flowvm")
    statuses = [
        s.code
        for s in compute_client.virtual_machines.instance_view(resource_group, "flowvm").statuses
    ]
    assert "OSState/generalized" in statuses and "PowerState/deallocated" in statuses
    image = managed_image(compute_client, resource_group, arm, "flowimage", vm.id)
    assert image.properties.hyper_v_generation == "V2"
    assert image.properties.storage_profile.os_disk.os_state == "Generalized"

    poller = compute_client.gallery_image_versions.begin_create_or_update(
        resource_group, "gal", "linux", "1.0.0", version_body(image.id)
    )
    arm.advance(3600)
    version = poller.result()
    assert version.properties.provisioning_state == "Succeeded"
    assert version.properties.storage_profile.source.id.lower() == image.id.lower()
    assert version.properties.publishing_profile.published_date is not None
    assert [
        v.name
        for v in compute_client.gallery_image_versions.list_by_gallery_image(
            resource_group, "gal", "linux"
        )
    ] == ["1.0.0"]


def test_version_straight_from_a_generalized_vm(
    compute_client: Any, resource_group: str, arm: Arm, linux_v2: str
) -> None:
    vm = generalized_vm(compute_client, resource_group, arm, "directvm")
    body = version_body(None)
    body["properties"]["storageProfile"] = {"source": {"virtualMachineId": vm.id}}
    poller = compute_client.gallery_image_versions.begin_create_or_update(
        resource_group, "gal", "linux", "1.0.1", body
    )
    arm.advance(3600)
    assert poller.result().properties.provisioning_state == "Succeeded"


def test_running_vm_cannot_be_generalized_or_captured(
    compute_client: Any, resource_group: str, arm: Arm, linux_v2: str
) -> None:
    vm = generalized_vm(compute_client, resource_group, arm, "runvm", generalize=False)
    error = error_of(lambda: compute_client.virtual_machines.generalize(resource_group, "runvm"))
    assert (error.status_code, error.error.code) == (409, "OperationNotAllowed")
    assert "running" in error.error.message
    body = version_body(None)
    body["properties"]["storageProfile"] = {"source": {"virtualMachineId": vm.id}}
    error = error_of(
        lambda: compute_client.gallery_image_versions.begin_create_or_update(
            resource_group, "gal", "linux", "1.0.0", body
        )
    )
    assert error.error.code == "InvalidParameter" and "generalized" in error.error.message
    error = error_of(
        lambda: compute_client.images.begin_create_or_update(
            resource_group,
            "notgen",
            {"location": "eastus", "properties": {"sourceVirtualMachine": {"id": vm.id}}},
        )
    )
    assert (error.status_code, error.error.code) == (409, "OperationNotAllowed")


def test_generalized_vm_cannot_start(compute_client: Any, resource_group: str, arm: Arm) -> None:
    generalized_vm(compute_client, resource_group, arm, "genvm")
    error = error_of(lambda: compute_client.virtual_machines.begin_start(resource_group, "genvm"))
    assert (error.status_code, error.error.code) == (409, "OperationNotAllowed")


@pytest.mark.parametrize("name", ["1.0", "1.0.0.0", "v1.0.0", "2147483648.0.0", "1.-1.0"])
def test_version_name_rule(
    compute_client: Any, resource_group: str, linux_v2: str, source_image: str, name: str
) -> None:
    error = error_of(
        lambda: compute_client.gallery_image_versions.begin_create_or_update(
            resource_group, "gal", "linux", name, version_body(source_image)
        )
    )
    assert (error.status_code, error.error.code) == (400, "InvalidParameter")


def test_missing_source_is_not_found(
    compute_client: Any, resource_group: str, linux_v2: str, source_image: str
) -> None:
    missing = source_image.rsplit("/", 1)[0] + "/absent"
    error = error_of(
        lambda: compute_client.gallery_image_versions.begin_create_or_update(
            resource_group, "gal", "linux", "1.0.0", version_body(missing)
        )
    )
    assert (error.status_code, error.error.code) == (404, "NotFound")


def test_source_must_fit_definition(
    compute_client: Any, resource_group: str, arm: Arm, source_image: str
) -> None:
    compute_client.galleries.begin_create_or_update(resource_group, "fit", gallery_body()).result()
    compute_client.gallery_images.begin_create_or_update(
        resource_group, "fit", "gen1", image_body(hyperVGeneration="V1")
    ).result()
    compute_client.gallery_images.begin_create_or_update(
        resource_group, "fit", "win", image_body(osType="Windows", hyperVGeneration="V2")
    ).result()
    compute_client.gallery_images.begin_create_or_update(
        resource_group, "fit", "special", image_body(osState="Specialized", hyperVGeneration="V2")
    ).result()
    cases = {
        "gen1": (409, "Conflict"),
        "win": (400, "InvalidParameter"),
        "special": (400, "InvalidParameter"),
    }
    for definition, expected in cases.items():
        error = error_of(
            lambda definition=definition: (
                compute_client.gallery_image_versions.begin_create_or_update(
                    resource_group, "fit", definition, "1.0.0", version_body(source_image)
                )
            )
        )
        assert (error.status_code, error.error.code) == expected, definition


def test_source_region_must_be_a_target(
    compute_client: Any, resource_group: str, linux_v2: str, source_image: str
) -> None:
    body = version_body(source_image, regions=[{"name": "westus"}])
    error = error_of(
        lambda: compute_client.gallery_image_versions.begin_create_or_update(
            resource_group, "gal", "linux", "1.0.0", body
        )
    )
    assert (error.status_code, error.error.code) == (400, "InvalidParameter")
    assert "eastus" in error.error.message


@pytest.fixture
def real_time_clock(arm: Arm, linux_v2: str, source_image: str) -> Iterator[None]:
    """One simulated second per real second, after the slower setup has run fast."""
    scale = arm.admin.clock()["scale"]
    arm.admin.set_scale(1)
    yield
    arm.admin.set_scale(scale)


@pytest.mark.usefixtures("real_time_clock")
def test_replication_progress_over_simulated_time(
    compute_client: Any, resource_group: str, arm: Arm, linux_v2: str, source_image: str
) -> None:
    body = version_body(
        source_image,
        regions=[{"name": "eastus"}, {"name": "westeurope", "regionalReplicaCount": 2}],
    )
    compute_client.gallery_image_versions.begin_create_or_update(
        resource_group, "gal", "linux", "2.0.0", body
    )
    first = compute_client.gallery_image_versions.get(
        resource_group, "gal", "linux", "2.0.0", expand="ReplicationStatus"
    )
    assert first.properties.provisioning_state == "Creating"
    assert first.properties.replication_status.aggregated_state == "InProgress"

    arm.advance(700)  # the home region holds a replica: provisioning ends, replication goes on
    middle = compute_client.gallery_image_versions.get(
        resource_group, "gal", "linux", "2.0.0", expand="ReplicationStatus"
    )
    assert middle.properties.provisioning_state == "Succeeded"
    regions = {s.region: s for s in middle.properties.replication_status.summary}
    assert regions["East US"].state == "Completed" and regions["East US"].progress == 100
    assert regions["West Europe"].state == "Replicating"
    assert 0 <= regions["West Europe"].progress < 100
    assert middle.properties.replication_status.aggregated_state == "InProgress"

    arm.advance(3600)
    done = compute_client.gallery_image_versions.get(
        resource_group, "gal", "linux", "2.0.0", expand="ReplicationStatus"
    )
    assert done.properties.replication_status.aggregated_state == "Completed"
    plain = compute_client.gallery_image_versions.get(resource_group, "gal", "linux", "2.0.0")
    assert plain.properties.replication_status is None


def test_version_updates_in_place(
    compute_client: Any, resource_group: str, arm: Arm, linux_v2: str, source_image: str
) -> None:
    body = version_body(source_image, exclude_from_latest=True)
    body["properties"]["safetyProfile"] = {"allowDeletionOfReplicatedLocations": False}
    poller = compute_client.gallery_image_versions.begin_create_or_update(
        resource_group, "gal", "linux", "1.0.0", body
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
    poller = compute_client.gallery_image_versions.begin_update(
        resource_group, "gal", "linux", "1.0.0", patch
    )
    arm.advance(120)
    updated = poller.result()
    regions = {r.name: r for r in updated.properties.publishing_profile.target_regions}
    assert regions["East US"].regional_replica_count == 2
    assert regions["North Europe"].exclude_from_latest is True
    assert updated.properties.publishing_profile.exclude_from_latest is False
    assert updated.tags == {"stage": "prod"}

    removal = {"properties": {"publishingProfile": {"targetRegions": [{"name": "eastus"}]}}}
    error = error_of(
        lambda: compute_client.gallery_image_versions.begin_update(
            resource_group, "gal", "linux", "1.0.0", removal
        )
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
        lambda: compute_client.gallery_image_versions.begin_update(
            resource_group, "gal", "linux", "1.0.0", storage_change
        )
    )
    assert (error.status_code, error.error.code) == (409, "PropertyChangeNotAllowed")
    mode_change = {"properties": {"publishingProfile": {"replicationMode": "Shallow"}}}
    error = error_of(
        lambda: compute_client.gallery_image_versions.begin_update(
            resource_group, "gal", "linux", "1.0.0", mode_change
        )
    )
    assert error.error.code == "PropertyChangeNotAllowed"


def test_version_source_cannot_change(
    compute_client: Any, resource_group: str, arm: Arm, linux_v2: str, source_image: str
) -> None:
    poller = compute_client.gallery_image_versions.begin_create_or_update(
        resource_group, "gal", "linux", "1.0.0", version_body(source_image)
    )
    arm.advance(3600)
    poller.result()
    other = managed_image(
        compute_client,
        resource_group,
        arm,
        "otherimage",
        generalized_vm(compute_client, resource_group, arm, "othervm").id,
    )
    error = error_of(
        lambda: compute_client.gallery_image_versions.begin_create_or_update(
            resource_group, "gal", "linux", "1.0.0", version_body(other.id)
        )
    )
    assert (error.status_code, error.error.code) == (409, "PropertyChangeNotAllowed")


def test_safety_profile_blocks_deletion_before_end_of_life(
    compute_client: Any, resource_group: str, arm: Arm, linux_v2: str, source_image: str
) -> None:
    body = version_body(source_image)
    body["properties"]["publishingProfile"]["endOfLifeDate"] = "2099-01-01T00:00:00+00:00"
    body["properties"]["safetyProfile"] = {"blockDeletionBeforeEndOfLife": True}
    poller = compute_client.gallery_image_versions.begin_create_or_update(
        resource_group, "gal", "linux", "1.0.0", body
    )
    arm.advance(3600)
    poller.result()
    error = error_of(
        lambda: compute_client.gallery_image_versions.begin_delete(
            resource_group, "gal", "linux", "1.0.0"
        )
    )
    assert (error.status_code, error.error.code) == (409, "OperationNotAllowed")
    assert compute_client.gallery_image_versions.get(resource_group, "gal", "linux", "1.0.0")


def test_definition_with_versions_cannot_be_deleted(
    compute_client: Any, resource_group: str, arm: Arm, linux_v2: str, source_image: str
) -> None:
    poller = compute_client.gallery_image_versions.begin_create_or_update(
        resource_group, "gal", "linux", "1.0.0", version_body(source_image)
    )
    arm.advance(3600)
    poller.result()
    error = error_of(
        lambda: compute_client.gallery_images.begin_delete(resource_group, "gal", "linux")
    )
    assert (error.status_code, error.error.code) == (409, "CannotDeleteResource")
    delete = compute_client.gallery_image_versions.begin_delete(
        resource_group, "gal", "linux", "1.0.0"
    )
    arm.advance(120)
    delete.result()
    compute_client.gallery_images.begin_delete(resource_group, "gal", "linux").result()


def test_soft_delete_keeps_and_restores_versions(
    compute_client: Any, resource_group: str, arm: Arm, source_image: str
) -> None:
    compute_client.galleries.begin_create_or_update(
        resource_group, "bin", gallery_body(softDeletePolicy={"isSoftDeleteEnabled": True})
    ).result()
    compute_client.gallery_images.begin_create_or_update(
        resource_group, "bin", "linux", image_body(hyperVGeneration="V2")
    ).result()
    for name in ("1.0.0", "1.0.1"):
        poller = compute_client.gallery_image_versions.begin_create_or_update(
            resource_group, "bin", "linux", name, version_body(source_image)
        )
        arm.advance(3600)
        poller.result()
    delete = compute_client.gallery_image_versions.begin_delete(
        resource_group, "bin", "linux", "1.0.0"
    )
    arm.advance(120)
    delete.result()
    with pytest.raises(ResourceNotFoundError):
        compute_client.gallery_image_versions.get(resource_group, "bin", "linux", "1.0.0")
    bypass = compute_client.gallery_image_versions.begin_delete(
        resource_group, "bin", "linux", "1.0.1", bypass_soft_delete=True
    )
    arm.advance(120)
    bypass.result()

    kept = list(
        compute_client.soft_deleted_resource.list_by_artifact_name(
            resource_group, "bin", "Images", "linux"
        )
    )
    assert [item.name for item in kept] == ["1.0.0"]
    assert kept[0].properties.resource_arm_id.endswith("/versions/1.0.0")
    assert kept[0].properties.soft_deleted_artifact_type == "Images"
    deleted_at = datetime.fromisoformat(kept[0].properties.soft_deleted_time)
    assert kept[0].properties.hard_deletion_target_time > deleted_at

    restore = compute_client.gallery_image_versions.begin_create_or_update(
        resource_group,
        "bin",
        "linux",
        "1.0.0",
        {"location": "eastus", "properties": {"restore": True}},
    )
    arm.advance(120)
    assert restore.result().properties.provisioning_state == "Succeeded"
    assert not list(
        compute_client.soft_deleted_resource.list_by_artifact_name(
            resource_group, "bin", "Images", "linux"
        )
    )
    error = error_of(
        lambda: compute_client.gallery_image_versions.begin_create_or_update(
            resource_group,
            "bin",
            "linux",
            "1.0.1",
            {"location": "eastus", "properties": {"restore": True}},
        )
    )
    assert error.status_code == 404

    arm.advance(8 * 24 * 3600)  # past the default retention: the bin is empty again
    second_delete = compute_client.gallery_image_versions.begin_delete(
        resource_group, "bin", "linux", "1.0.0"
    )
    arm.advance(120)
    second_delete.result()
    arm.advance(8 * 24 * 3600)
    assert not list(
        compute_client.soft_deleted_resource.list_by_artifact_name(
            resource_group, "bin", "Images", "linux"
        )
    )


def test_version_from_another_gallery_version_and_from_snapshot(
    compute_client: Any, resource_group: str, arm: Arm, linux_v2: str, source_image: str
) -> None:
    poller = compute_client.gallery_image_versions.begin_create_or_update(
        resource_group, "gal", "linux", "1.0.0", version_body(source_image)
    )
    arm.advance(3600)
    first = poller.result()
    compute_client.galleries.begin_create_or_update(resource_group, "copy", gallery_body()).result()
    compute_client.gallery_images.begin_create_or_update(
        resource_group, "copy", "linux", image_body(hyperVGeneration="V2")
    ).result()
    copy = compute_client.gallery_image_versions.begin_create_or_update(
        resource_group, "copy", "linux", "1.0.0", version_body(first.id)
    )
    arm.advance(3600)
    assert copy.result().properties.storage_profile.source.id == first.id

    disk_id = compute_client.virtual_machines.get(
        resource_group, "srcvm"
    ).properties.storage_profile.os_disk.managed_disk.id
    snapshot = compute_client.snapshots.begin_create_or_update(
        resource_group,
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
    from_snapshot = compute_client.gallery_image_versions.begin_create_or_update(
        resource_group, "gal", "linux", "1.1.0", body
    )
    arm.advance(3600)
    version = from_snapshot.result()
    assert version.properties.storage_profile.os_disk_image.host_caching == "ReadOnly"


def test_version_from_source_in_another_subscription(
    compute_client: Any, resource_group: str, arm: Arm, linux_v2: str
) -> None:
    other = str(uuid.uuid4())
    arm.add_subscription(other)
    foreign = arm.foreign_generalized_image(other, "foreign", "foreignimage")
    poller = compute_client.gallery_image_versions.begin_create_or_update(
        resource_group, "gal", "linux", "3.0.0", version_body(foreign)
    )
    arm.advance(3600)
    assert poller.result().properties.storage_profile.source.id == foreign


def test_source_the_caller_cannot_read_is_refused(
    compute_client: Any,
    make_client: Any,
    azsim: dict[str, Any],
    resource_group: str,
    arm: Arm,
    linux_v2: str,
) -> None:
    other = str(uuid.uuid4())
    arm.add_subscription(other)
    image_id = (
        f"/subscriptions/{other}/resourceGroups/foreign/providers/Microsoft.Compute/images/hidden"
    )
    arm.seed([{"id": image_id, "body": seeded_image(image_id)}])
    client_id, secret = arm.contributor_on(arm.group_path(resource_group))
    credential = ClientSecretCredential(
        azsim["tenant_id"],
        client_id,
        secret,
        authority=azsim["url"],
        disable_instance_discovery=True,
        connection_verify=azsim["ca_file"],
    )
    limited = make_client(type(compute_client), credential_override=credential)
    error = error_of(
        lambda: limited.gallery_image_versions.begin_create_or_update(
            resource_group, "gal", "linux", "3.0.1", version_body(image_id)
        )
    )
    assert (error.status_code, error.error.code) == (403, "LinkedAuthorizationFailed")
    assert image_id in error.error.message
    # The principal that may read the source publishes from it.
    poller = compute_client.gallery_image_versions.begin_create_or_update(
        resource_group, "gal", "linux", "3.0.1", version_body(image_id)
    )
    arm.advance(3600)
    assert poller.result().properties.provisioning_state == "Succeeded"
