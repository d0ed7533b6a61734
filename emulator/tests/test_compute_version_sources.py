"""More gallery image version sources and settings: VHDs, data disks, encryption, security
types, older api-versions, latest resolution by VMs, safety flags over time."""

from __future__ import annotations

from typing import Any

import pytest
from test_compute_support import (
    Arm,
    error_of,
    gallery_body,
    generalized_vm,
    image_body,
    managed_image,
    version_body,
    vm_body,
)

from azsim.client import AdminError

TRUSTED = [{"name": "SecurityType", "value": "TrustedLaunchSupported"}]


@pytest.fixture
def arm(azsim: dict[str, Any], credential: Any, arm_settings: dict[str, Any]) -> Arm:
    return Arm(azsim, credential, arm_settings)


@pytest.fixture
def gallery(compute_client: Any, resource_group: str) -> str:
    compute_client.galleries.begin_create_or_update(resource_group, "gal", gallery_body()).result()
    compute_client.gallery_images.begin_create_or_update(
        resource_group, "gal", "linux", image_body(hyperVGeneration="V2")
    ).result()
    compute_client.gallery_images.begin_create_or_update(
        resource_group, "gal", "trusted", image_body(hyperVGeneration="V2", features=TRUSTED)
    ).result()
    return "gal"


@pytest.fixture
def storage_account(resource_group: str, arm: Arm) -> str:
    account = f"{arm.group_path(resource_group)}/providers/Microsoft.Storage/storageAccounts/vhds"
    arm.seed(
        [{"id": account, "body": {"location": "eastus", "kind": "StorageV2", "properties": {}}}]
    )
    return account


def publish(
    compute_client: Any, arm: Arm, resource_group: str, definition: str, name: str, body: dict
) -> Any:
    poller = compute_client.gallery_image_versions.begin_create_or_update(
        resource_group, "gal", definition, name, body
    )
    arm.advance(3600)
    return poller.result()


def test_version_from_vhd_with_data_disks_and_encryption(
    compute_client: Any, resource_group: str, arm: Arm, gallery: str, storage_account: str
) -> None:
    body = version_body(None)
    body["properties"]["storageProfile"] = {
        "osDiskImage": {
            "hostCaching": "ReadOnly",
            "source": {"uri": "https://vhds.blob.core.windows.net/vhds/os.vhd", "storageAccountId": storage_account},
        },
        "dataDiskImages": [
            {"lun": 1, "hostCaching": "None",
             "source": {"uri": "https://vhds.blob.core.windows.net/vhds/data.vhd", "storageAccountId": storage_account}},
        ],
    }  # fmt: skip
    des = f"{arm.group_path(resource_group)}/providers/Microsoft.Compute/diskEncryptionSets/des"
    body["properties"]["publishingProfile"]["targetRegions"] = [
        {
            "name": "eastus",
            "encryption": {
                "osDiskImage": {"diskEncryptionSetId": des},
                "dataDiskImages": [{"lun": 1, "diskEncryptionSetId": des}],
            },
        }
    ]
    body["properties"]["publishingProfile"]["storageAccountStrategy"] = "PreferStandard_ZRS"
    version = publish(compute_client, arm, resource_group, "linux", "1.0.0", body)
    storage = version.properties.storage_profile
    assert storage.os_disk_image.host_caching == "ReadOnly"
    assert storage.os_disk_image.source.uri.endswith("/os.vhd")
    assert [(d.lun, d.host_caching) for d in storage.data_disk_images] == [(1, "None")]
    region = version.properties.publishing_profile.target_regions[0]
    assert region.encryption.os_disk_image.disk_encryption_set_id == des
    assert region.encryption.data_disk_images[0].lun == 1
    assert region.storage_account_type == "Standard_ZRS"
    assert version.properties.publishing_profile.storage_account_strategy == "PreferStandard_ZRS"


def test_vhd_source_needs_its_storage_account(
    compute_client: Any, resource_group: str, gallery: str, arm: Arm
) -> None:
    body = version_body(None)
    missing = f"{arm.group_path(resource_group)}/providers/Microsoft.Storage/storageAccounts/none"
    body["properties"]["storageProfile"] = {
        "osDiskImage": {
            "source": {
                "uri": "https://none.blob.core.windows.net/v/os.vhd",
                "storageAccountId": missing,
            }
        }
    }
    error = error_of(
        lambda: compute_client.gallery_image_versions.begin_create_or_update(
            resource_group, "gal", "linux", "1.0.0", body
        )
    )
    assert (error.status_code, error.error.code) == (404, "NotFound")
    body["properties"]["storageProfile"] = {}
    error = error_of(
        lambda: compute_client.gallery_image_versions.begin_create_or_update(
            resource_group, "gal", "linux", "1.0.0", body
        )
    )
    assert (error.status_code, error.error.code) == (400, "InvalidParameter")


def test_security_type_of_the_source_must_be_supported(
    compute_client: Any, resource_group: str, arm: Arm, gallery: str
) -> None:
    poller = compute_client.virtual_machines.begin_create_or_update(
        resource_group, "tlvm", vm_body(securityProfile={"securityType": "TrustedLaunch"})
    )
    arm.advance(600)
    poller.result()
    stop = compute_client.virtual_machines.begin_deallocate(resource_group, "tlvm")
    arm.advance(600)
    stop.result()
    compute_client.virtual_machines.generalize(resource_group, "tlvm")
    tlvm = compute_client.virtual_machines.get(resource_group, "tlvm")
    vm_id = tlvm.id
    disk = compute_client.disks.get(resource_group, tlvm.properties.storage_profile.os_disk.name)
    assert disk.properties.security_profile.security_type == "TrustedLaunch"
    assert disk.properties.supported_capabilities.architecture == "x64"
    snapshot = compute_client.snapshots.begin_create_or_update(
        resource_group,
        "tlsnap",
        {"location": "eastus",
         "properties": {"creationData": {"createOption": "Copy", "sourceResourceId": disk.id}}},
    )  # fmt: skip
    arm.advance(60)
    assert snapshot.result().properties.security_profile.security_type == "TrustedLaunch"
    body = version_body(None)
    body["properties"]["storageProfile"] = {"source": {"virtualMachineId": vm_id}}
    error = error_of(
        lambda: compute_client.gallery_image_versions.begin_create_or_update(
            resource_group, "gal", "linux", "1.0.0", body
        )
    )
    assert error.error.code == "InvalidParameter" and "TrustedLaunch" in error.error.message
    version = publish(compute_client, arm, resource_group, "trusted", "1.0.0", body)
    assert version.properties.provisioning_state == "Succeeded"


@pytest.mark.parametrize("api_version", ["2019-12-01", "2022-01-03", "2024-03-03"])
def test_versions_at_older_api_versions(
    compute_client: Any, resource_group: str, arm: Arm, gallery: str, api_version: str
) -> None:
    vm = generalized_vm(compute_client, resource_group, arm, "oldvm")
    image = managed_image(compute_client, resource_group, arm, "oldimage", vm.id)
    path = arm.gallery_path(resource_group, "gal") + "/images/linux/versions/1.2.3"
    status, body, _ = arm.call("PUT", path, version_body(image.id), api_version=api_version)
    assert status == 201 and body["properties"]["provisioningState"] == "Creating"
    arm.advance(3600)
    status, body, _ = arm.call(
        "GET", path, api_version=api_version, query={"$expand": "ReplicationStatus"}
    )
    assert body["properties"]["provisioningState"] == "Succeeded"
    assert body["properties"]["replicationStatus"]["aggregatedState"] == "Completed"
    status, listing, _ = arm.call(
        "GET", path.rsplit("/", 1)[0], api_version=api_version, query={"$top": "1"}
    )
    assert [v["name"] for v in listing["value"]] == ["1.2.3"]


def test_vm_from_a_definition_takes_the_latest_version_not_excluded(
    compute_client: Any, resource_group: str, arm: Arm, gallery: str
) -> None:
    vm = generalized_vm(compute_client, resource_group, arm, "basevm")
    image = managed_image(compute_client, resource_group, arm, "baseimage", vm.id)
    publish(compute_client, arm, resource_group, "linux", "1.0.0", version_body(image.id))
    publish(compute_client, arm, resource_group, "linux", "1.0.10", version_body(image.id))
    publish(
        compute_client,
        arm,
        resource_group,
        "linux",
        "2.0.0",
        version_body(image.id, exclude_from_latest=True),
    )
    definition = compute_client.gallery_images.get(resource_group, "gal", "linux")
    poller = compute_client.virtual_machines.begin_create_or_update(
        resource_group, "consumer", vm_body({"id": definition.id})
    )
    arm.advance(600)
    consumer = poller.result()
    assert consumer.properties.storage_profile.image_reference.id.endswith("/versions/1.0.10")
    versions = compute_client.gallery_image_versions.list_by_gallery_image(
        resource_group, "gal", "linux"
    )
    excluded = {v.name: v.properties.publishing_profile.exclude_from_latest for v in versions}
    assert excluded == {"1.0.0": False, "1.0.10": False, "2.0.0": True}


def test_safety_flags_change_over_time(
    compute_client: Any, resource_group: str, arm: Arm, gallery: str
) -> None:
    vm = generalized_vm(compute_client, resource_group, arm, "safevm")
    image = managed_image(compute_client, resource_group, arm, "safeimage", vm.id)
    body = version_body(image.id, regions=[{"name": "eastus"}, {"name": "westus"}])
    end_of_life = arm.admin.clock()["now"][:4]
    body["properties"]["publishingProfile"]["endOfLifeDate"] = (
        f"{int(end_of_life) + 1}-01-01T00:00:00+00:00"
    )
    body["properties"]["safetyProfile"] = {
        "allowDeletionOfReplicatedLocations": False,
        "blockDeletionBeforeEndOfLife": True,
    }
    publish(compute_client, arm, resource_group, "linux", "1.0.0", body)
    removal = {"properties": {"publishingProfile": {"targetRegions": [{"name": "eastus"}]}}}
    error = error_of(
        lambda: compute_client.gallery_image_versions.begin_update(
            resource_group, "gal", "linux", "1.0.0", removal
        )
    )
    assert error.error.code == "OperationNotAllowed"
    allowing = {**removal, "properties": {**removal["properties"],
                                          "safetyProfile": {"allowDeletionOfReplicatedLocations": True}}}  # fmt: skip
    poller = compute_client.gallery_image_versions.begin_update(
        resource_group, "gal", "linux", "1.0.0", allowing
    )
    arm.advance(120)
    regions = [r.name for r in poller.result().properties.publishing_profile.target_regions]
    assert regions == ["East US"]

    error = error_of(
        lambda: compute_client.gallery_image_versions.begin_delete(
            resource_group, "gal", "linux", "1.0.0"
        )
    )
    assert error.error.code == "OperationNotAllowed"
    arm.advance(2 * 366 * 24 * 3600)  # past the end of life: deletion is allowed
    delete = compute_client.gallery_image_versions.begin_delete(
        resource_group, "gal", "linux", "1.0.0"
    )
    arm.advance(120)
    delete.result()
    assert not list(
        compute_client.gallery_image_versions.list_by_gallery_image(resource_group, "gal", "linux")
    )


def test_soft_deleted_name_is_kept(compute_client: Any, resource_group: str, arm: Arm) -> None:
    compute_client.galleries.begin_create_or_update(
        resource_group,
        "bin",
        gallery_body(softDeletePolicy={"isSoftDeleteEnabled": True, "retentionPeriodInDays": 2}),
    ).result()
    compute_client.gallery_images.begin_create_or_update(
        resource_group, "bin", "linux", image_body(hyperVGeneration="V2")
    ).result()
    vm = generalized_vm(compute_client, resource_group, arm, "binvm")
    image = managed_image(compute_client, resource_group, arm, "binimage", vm.id)
    poller = compute_client.gallery_image_versions.begin_create_or_update(
        resource_group, "bin", "linux", "1.0.0", version_body(image.id)
    )
    arm.advance(3600)
    poller.result()
    delete = compute_client.gallery_image_versions.begin_delete(
        resource_group, "bin", "linux", "1.0.0"
    )
    arm.advance(120)
    delete.result()
    error = error_of(
        lambda: compute_client.gallery_image_versions.begin_create_or_update(
            resource_group, "bin", "linux", "1.0.0", version_body(image.id)
        )
    )
    assert (error.status_code, error.error.code) == (409, "OperationNotAllowed")
    kept = list(
        compute_client.soft_deleted_resource.list_by_artifact_name(
            resource_group, "bin", "Images", "linux"
        )
    )
    assert len(kept) == 1
    arm.advance(3 * 24 * 3600)  # retention of two days has passed
    poller = compute_client.gallery_image_versions.begin_create_or_update(
        resource_group, "bin", "linux", "1.0.0", version_body(image.id)
    )
    arm.advance(3600)
    assert poller.result().properties.provisioning_state == "Succeeded"


def test_shallow_replication(
    compute_client: Any, resource_group: str, arm: Arm, gallery: str
) -> None:
    vm = generalized_vm(compute_client, resource_group, arm, "shallowvm")
    image = managed_image(compute_client, resource_group, arm, "shallowimage", vm.id)
    body = version_body(image.id, regions=[{"name": "eastus"}, {"name": "westus"}])
    body["properties"]["publishingProfile"]["replicationMode"] = "Shallow"
    error = error_of(
        lambda: compute_client.gallery_image_versions.begin_create_or_update(
            resource_group, "gal", "linux", "1.0.0", body
        )
    )
    assert (error.status_code, error.error.code) == (400, "InvalidParameter")
    body["properties"]["publishingProfile"]["targetRegions"] = [{"name": "eastus"}]
    version = publish(compute_client, arm, resource_group, "linux", "1.0.0", body)
    assert version.properties.publishing_profile.replication_mode == "Shallow"


def test_version_fails_when_its_source_goes_during_the_copy(
    compute_client: Any, resource_group: str, arm: Arm, gallery: str
) -> None:
    vm = generalized_vm(compute_client, resource_group, arm, "gonevm")
    image = managed_image(compute_client, resource_group, arm, "goneimage", vm.id)
    scale = arm.admin.clock()["scale"]
    arm.admin.set_scale(1)  # hold the copy while the source is deleted
    try:
        path = arm.gallery_path(resource_group, "gal") + "/images/linux/versions/1.0.0"
        status, _, headers = arm.call("PUT", path, version_body(image.id))
        assert status == 201
        status, _, _ = arm.call("DELETE", image.id, api_version="2026-04-01")
        assert status == 202
        arm.advance(3600)
    finally:
        arm.admin.set_scale(scale)
    operation = arm.get_url(headers["Azure-AsyncOperation"])
    assert operation["status"] == "Failed"
    assert operation["error"]["code"] == "NotFound" and "goneimage" in operation["error"]["message"]
    failed = compute_client.gallery_image_versions.get(
        resource_group, "gal", "linux", "1.0.0", expand="ReplicationStatus"
    )
    assert failed.properties.provisioning_state == "Failed"
    assert failed.properties.replication_status.aggregated_state == "Failed"


def test_put_adds_a_region_that_replicates_while_the_others_stay_done(
    compute_client: Any, resource_group: str, arm: Arm, gallery: str
) -> None:
    vm = generalized_vm(compute_client, resource_group, arm, "putvm")
    image = managed_image(compute_client, resource_group, arm, "putimage", vm.id)
    publish(compute_client, arm, resource_group, "linux", "1.0.0", version_body(image.id))
    path = arm.gallery_path(resource_group, "gal") + "/images/linux/versions/1.0.0"
    wider = version_body(
        image.id, regions=[{"name": "eastus"}, {"name": "japaneast", "regionalReplicaCount": 3}]
    )
    scale = arm.admin.clock()["scale"]
    arm.admin.set_scale(1)
    try:
        status, body, _ = arm.call("PUT", path, wider)
        assert status == 200 and body["properties"]["provisioningState"] == "Updating"
        _, body, _ = arm.call("GET", path, query={"$expand": "ReplicationStatus"})
    finally:
        arm.admin.set_scale(scale)
    summary = {s["region"]: s["state"] for s in body["properties"]["replicationStatus"]["summary"]}
    assert summary == {"East US": "Completed", "Japan East": "Replicating"}
    arm.advance(3600)
    _, body, _ = arm.call("GET", path, query={"$expand": "ReplicationStatus"})
    assert body["properties"]["replicationStatus"]["aggregatedState"] == "Completed"
    regions = body["properties"]["publishingProfile"]["targetRegions"]
    assert [(r["name"], r["regionalReplicaCount"]) for r in regions] == [
        ("East US", 1),
        ("Japan East", 3),
    ]


def test_a_region_made_to_fail_reads_failed_while_the_others_complete(
    compute_client: Any, resource_group: str, arm: Arm, gallery: str
) -> None:
    vm = generalized_vm(compute_client, resource_group, arm, "failvm")
    image = managed_image(compute_client, resource_group, arm, "failimage", vm.id)
    arm.admin.call(
        "POST",
        "compute/replication-failures",
        {"region": "West Europe", "version": "1.0.0", "message": "quota exceeded"},
    )
    body = version_body(image.id, regions=[{"name": "eastus"}, {"name": "westeurope"}])
    created = publish(compute_client, arm, resource_group, "linux", "1.0.0", body)
    assert created.provisioning_state == "Succeeded"  # its home region holds a replica
    path = arm.gallery_path(resource_group, "gal") + "/images/linux/versions/1.0.0"
    _, read, _ = arm.call("GET", path, query={"$expand": "ReplicationStatus"})
    status = read["properties"]["replicationStatus"]
    assert status["aggregatedState"] == "Failed"
    summary = {s["region"]: (s["state"], s["details"]) for s in status["summary"]}
    assert summary == {"East US": ("Completed", ""), "West Europe": ("Failed", "quota exceeded")}
    assert arm.admin.call("GET", "compute/replication-failures") == {"value": []}  # used up


def test_a_home_region_made_to_fail_fails_the_version(
    compute_client: Any, resource_group: str, arm: Arm, gallery: str
) -> None:
    vm = generalized_vm(compute_client, resource_group, arm, "homevm")
    image = managed_image(compute_client, resource_group, arm, "homeimage", vm.id)
    arm.admin.call("POST", "compute/replication-failures", {"region": "eastus"})
    try:
        error = error_of(
            lambda: publish(
                compute_client, arm, resource_group, "linux", "2.0.0", version_body(image.id)
            )
        )
    finally:
        arm.admin.call("DELETE", "compute/replication-failures")
    assert error.error.code == "ReplicationFailed"
    path = arm.gallery_path(resource_group, "gal") + "/images/linux/versions/2.0.0"
    _, read, _ = arm.call("GET", path)
    assert read["properties"]["provisioningState"] == "Failed"


def test_replication_failure_rules_are_checked(arm: Arm) -> None:
    for body in ({}, {"region": "nowhere"}, {"region": "eastus", "count": 0}):
        with pytest.raises(AdminError) as raised:
            arm.admin.call("POST", "compute/replication-failures", body)
        assert raised.value.status == 400
