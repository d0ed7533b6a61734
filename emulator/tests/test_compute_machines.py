"""Virtual machines, disks, snapshots, managed images and the platform image catalog through
the unpatched azure-mgmt-compute client and plain HTTPS."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError
from test_compute_support import (
    COMPUTE_API,
    Arm,
    error_of,
    gallery_body,
    generalized_vm,
    image_body,
    managed_image,
    version_body,
    vm_body,
)

CANONICAL_JAMMY = ("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2")


@pytest.fixture
def arm(azsim: dict[str, Any], credential: Any, arm_settings: dict[str, Any]) -> Arm:
    return Arm(azsim, credential, arm_settings)


# ---------------------------------------------------------------- platform images


def test_platform_image_versions_and_latest(compute_client: Any) -> None:
    versions = compute_client.virtual_machine_images.list("eastus", *CANONICAL_JAMMY)
    names = [v.name for v in versions]
    assert names == ["22.04.202409170", "22.04.202411010", "22.04.202502250"]
    top = compute_client.virtual_machine_images.list(
        "eastus", *CANONICAL_JAMMY, orderby="name desc", top=1
    )
    assert [v.name for v in top] == ["22.04.202502250"]
    image = compute_client.virtual_machine_images.get(
        "westeurope", *CANONICAL_JAMMY, "22.04.202411010"
    )
    assert image.properties.hyper_v_generation == "V2"
    assert image.properties.os_disk_image.operating_system == "Linux"
    skus = compute_client.virtual_machine_images.list_skus(
        "eastus", "MicrosoftWindowsServer", "WindowsServer"
    )
    assert {"2019-Datacenter", "2022-datacenter-azure-edition"} <= {s.name for s in skus}
    offers = compute_client.virtual_machine_images.list_offers("eastus", "Canonical")
    assert "ubuntu-24_04-lts" in {o.name for o in offers}


def test_unknown_platform_image(compute_client: Any) -> None:
    error = error_of(
        lambda: compute_client.virtual_machine_images.get(
            "eastus", "Canonical", "nope", "x", "1.0.0"
        )
    )
    assert (error.status_code, error.error.code) == (404, "ImageNotFound")


# ---------------------------------------------------------------- virtual machines


def test_vm_lifecycle_with_os_disk_and_power_states(
    compute_client: Any, resource_group: str, arm: Arm
) -> None:
    poller = compute_client.virtual_machines.begin_create_or_update(
        resource_group, "vm1", vm_body()
    )
    arm.advance(600)
    vm = poller.result()
    assert vm.properties.provisioning_state == "Succeeded"
    reference = vm.properties.storage_profile.image_reference
    assert reference.exact_version == "24.04.202502210"
    assert vm.properties.os_profile.admin_password is None
    disk_id = vm.properties.storage_profile.os_disk.managed_disk.id
    disk = compute_client.disks.get(resource_group, disk_id.rsplit("/", 1)[1])
    assert disk.managed_by.lower() == vm.id.lower()
    assert disk.properties.disk_state == "Attached"
    assert disk.properties.hyper_v_generation == "V2"

    view = compute_client.virtual_machines.instance_view(resource_group, "vm1")
    assert [s.code for s in view.statuses] == ["ProvisioningState/succeeded", "PowerState/running"]
    expanded = compute_client.virtual_machines.get(resource_group, "vm1", expand="instanceView")
    assert expanded.properties.instance_view.statuses[-1].code == "PowerState/running"

    stop = compute_client.virtual_machines.begin_power_off(resource_group, "vm1")
    arm.advance(600)
    stop.result()
    statuses = [
        s.code
        for s in compute_client.virtual_machines.instance_view(resource_group, "vm1").statuses
    ]
    assert "PowerState/stopped" in statuses
    start = compute_client.virtual_machines.begin_start(resource_group, "vm1")
    arm.advance(600)
    start.result()

    assert [v.name for v in compute_client.virtual_machines.list(resource_group)] == ["vm1"]
    assert "vm1" in {v.name for v in compute_client.virtual_machines.list_all()}
    delete = compute_client.virtual_machines.begin_delete(resource_group, "vm1")
    arm.advance(600)
    delete.result()
    with pytest.raises(ResourceNotFoundError):
        compute_client.virtual_machines.get(resource_group, "vm1")
    detached = compute_client.disks.get(resource_group, disk_id.rsplit("/", 1)[1])
    assert detached.managed_by is None and detached.properties.disk_state == "Unattached"


def test_vm_rules(compute_client: Any, resource_group: str, arm: Arm) -> None:
    missing_image = vm_body(
        {"publisher": "Canonical", "offer": "nope", "sku": "x", "version": "latest"}
    )
    error = error_of(
        lambda: compute_client.virtual_machines.begin_create_or_update(
            resource_group, "bad", missing_image
        )
    )
    assert (error.status_code, error.error.code) == (404, "ImageNotFound")
    gen1_trusted = vm_body(
        {
            "publisher": "Canonical",
            "offer": "ubuntu-24_04-lts",
            "sku": "server-gen1",
            "version": "latest",
        },
        securityProfile={"securityType": "TrustedLaunch"},
    )
    error = error_of(
        lambda: compute_client.virtual_machines.begin_create_or_update(
            resource_group, "bad", gen1_trusted
        )
    )
    assert error.error.code == "InvalidParameter"
    no_size = vm_body()
    del no_size["properties"]["hardwareProfile"]
    error = error_of(
        lambda: compute_client.virtual_machines.begin_create_or_update(
            resource_group, "bad", no_size
        )
    )
    assert error.error.code == "InvalidParameter"


def test_vm_at_an_older_api_version(resource_group: str, arm: Arm) -> None:
    path = f"{arm.group_path(resource_group)}/providers/Microsoft.Compute/virtualMachines/oldvm"
    status, body, _ = arm.call("PUT", path, vm_body(), api_version="2022-08-01")
    assert status == 201 and body["properties"]["provisioningState"] == "Creating"
    arm.advance(600)
    status, body, _ = arm.call("GET", path, api_version="2022-08-01")
    assert body["properties"]["provisioningState"] == "Succeeded"


# ---------------------------------------------------------------- disks and snapshots


def test_disks_and_snapshots(compute_client: Any, resource_group: str, arm: Arm) -> None:
    empty = compute_client.disks.begin_create_or_update(
        resource_group,
        "data",
        {"location": "eastus", "sku": {"name": "Premium_LRS"},
         "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 64}},
    )  # fmt: skip
    arm.advance(60)
    disk = empty.result()
    assert disk.properties.disk_size_gb == 64 and disk.sku.name == "Premium_LRS"

    platform = "/Subscriptions/{}/Providers/Microsoft.Compute/Locations/eastus/Publishers/{}/ArtifactTypes/VMImage/Offers/{}/Skus/{}/Versions/22.04.202411010"
    from_image = compute_client.disks.begin_create_or_update(
        resource_group,
        "osdisk",
        {"location": "eastus", "properties": {"creationData": {
            "createOption": "FromImage",
            "imageReference": {"id": platform.format(arm.subscription_id, *CANONICAL_JAMMY)}}}},
    )  # fmt: skip
    arm.advance(60)
    os_disk = from_image.result()
    assert os_disk.properties.os_type == "Linux" and os_disk.properties.hyper_v_generation == "V2"

    snapshot = compute_client.snapshots.begin_create_or_update(
        resource_group,
        "snap",
        {"location": "eastus",
         "properties": {"creationData": {"createOption": "Copy", "sourceResourceId": os_disk.id}}},
    )  # fmt: skip
    arm.advance(60)
    snap = snapshot.result()
    assert snap.properties.disk_size_gb == os_disk.properties.disk_size_gb
    copy = compute_client.disks.begin_create_or_update(
        resource_group,
        "copy",
        {"location": "eastus",
         "properties": {"creationData": {"createOption": "Copy", "sourceResourceId": snap.id}}},
    )  # fmt: skip
    arm.advance(60)
    assert copy.result().properties.os_type == "Linux"

    grown = compute_client.disks.begin_update(
        resource_group, "data", {"properties": {"diskSizeGB": 128}, "tags": {"a": "b"}}
    )
    arm.advance(60)
    assert grown.result().properties.disk_size_gb == 128
    error = error_of(
        lambda: compute_client.disks.begin_update(
            resource_group, "data", {"properties": {"diskSizeGB": 32}}
        )
    )
    assert (error.status_code, error.error.code) == (409, "OperationNotAllowed")

    assert {d.name for d in compute_client.disks.list_by_resource_group(resource_group)} == {
        "data",
        "osdisk",
        "copy",
    }
    assert [s.name for s in compute_client.snapshots.list_by_resource_group(resource_group)] == [
        "snap"
    ]
    removal = compute_client.snapshots.begin_delete(resource_group, "snap")
    arm.advance(60)
    removal.result()
    with pytest.raises(ResourceNotFoundError):
        compute_client.snapshots.get(resource_group, "snap")


def test_disk_sources_must_exist_and_attached_disks_stay(
    compute_client: Any, resource_group: str, arm: Arm
) -> None:
    missing = f"{arm.group_path(resource_group)}/providers/Microsoft.Compute/disks/absent"
    error = error_of(
        lambda: compute_client.snapshots.begin_create_or_update(
            resource_group,
            "snap",
            {
                "location": "eastus",
                "properties": {
                    "creationData": {"createOption": "Copy", "sourceResourceId": missing}
                },
            },
        )
    )
    assert (error.status_code, error.error.code) == (404, "NotFound")
    no_option = {"location": "eastus", "properties": {"creationData": {}, "diskSizeGB": 4}}
    error = error_of(
        lambda: compute_client.disks.begin_create_or_update(resource_group, "d", no_option)
    )
    assert error.error.code == "InvalidParameter"

    poller = compute_client.virtual_machines.begin_create_or_update(
        resource_group, "holder", vm_body()
    )
    arm.advance(600)
    disk_name = poller.result().properties.storage_profile.os_disk.name
    error = error_of(lambda: compute_client.disks.begin_delete(resource_group, disk_name))
    assert (error.status_code, error.error.code) == (409, "OperationNotAllowed")


# ---------------------------------------------------------------- managed images


def test_managed_image_from_vm_with_tags_patch_and_rules(
    compute_client: Any, resource_group: str, arm: Arm
) -> None:
    vm = generalized_vm(compute_client, resource_group, arm, "imgvm")
    image = managed_image(compute_client, resource_group, arm, "img", vm.id)
    props = image.properties
    assert props.source_virtual_machine.id.lower() == vm.id.lower()
    assert props.storage_profile.os_disk.os_type == "Linux"
    assert (
        props.storage_profile.os_disk.managed_disk.id
        == vm.properties.storage_profile.os_disk.managed_disk.id
    )
    assert props.hyper_v_generation == "V2"

    tagged = compute_client.images.begin_update(resource_group, "img", {"tags": {"stage": "test"}})
    arm.advance(60)
    assert tagged.result().tags == {"stage": "test"}
    error = error_of(
        lambda: compute_client.images.begin_update(
            resource_group, "img", {"properties": {"hyperVGeneration": "V1"}}
        )
    )
    assert (error.status_code, error.error.code) == (409, "PropertyChangeNotAllowed")
    other = generalized_vm(compute_client, resource_group, arm, "imgvm2")
    changed = {"location": "eastus", "properties": {"sourceVirtualMachine": {"id": other.id}}}
    error = error_of(
        lambda: compute_client.images.begin_create_or_update(resource_group, "img", changed)
    )
    assert (error.status_code, error.error.code) == (409, "PropertyChangeNotAllowed")

    elsewhere = {"location": "westus", "properties": {"sourceVirtualMachine": {"id": vm.id}}}
    error = error_of(
        lambda: compute_client.images.begin_create_or_update(resource_group, "img2", elsewhere)
    )
    assert (error.status_code, error.error.code) == (404, "NotFound")
    wrong_generation = {
        "location": "eastus",
        "properties": {"sourceVirtualMachine": {"id": vm.id}, "hyperVGeneration": "V1"},
    }
    error = error_of(
        lambda: compute_client.images.begin_create_or_update(
            resource_group, "img3", wrong_generation
        )
    )
    assert error.error.code == "InvalidParameter"

    assert [i.name for i in compute_client.images.list_by_resource_group(resource_group)] == ["img"]
    assert "img" in {i.name for i in compute_client.images.list()}
    delete = compute_client.images.begin_delete(resource_group, "img")
    arm.advance(60)
    delete.result()
    with pytest.raises(ResourceNotFoundError):
        compute_client.images.get(resource_group, "img")


def test_managed_image_from_snapshot_and_blob(
    compute_client: Any, resource_group: str, arm: Arm
) -> None:
    vm = generalized_vm(compute_client, resource_group, arm, "snapvm", generalize=False)
    disk_id = vm.properties.storage_profile.os_disk.managed_disk.id
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
    body = {
        "location": "eastus",
        "properties": {
            "storageProfile": {
                "osDisk": {
                    "osType": "Linux",
                    "osState": "Generalized",
                    "snapshot": {"id": snap.id},
                },
                "dataDisks": [
                    {"lun": 0, "blobUri": "https://acct.blob.core.windows.net/vhds/data.vhd"}
                ],
                "zoneResilient": True,
            }
        },
    }
    poller = compute_client.images.begin_create_or_update(resource_group, "fromsnap", body)
    arm.advance(600)
    image = poller.result()
    # A gallery version made from the image lists the image's data disk.
    compute_client.galleries.begin_create_or_update(resource_group, "dd", gallery_body()).result()
    compute_client.gallery_images.begin_create_or_update(
        resource_group, "dd", "linux", image_body(hyperVGeneration="V2")
    ).result()
    version = compute_client.gallery_image_versions.begin_create_or_update(
        resource_group, "dd", "linux", "1.0.0", version_body(image.id)
    )
    arm.advance(3600)
    disks = version.result().properties.storage_profile.data_disk_images
    assert [(d.lun, d.size_in_gb) for d in disks] == [(0, 32)]
    assert image.properties.hyper_v_generation == "V2"
    assert image.properties.storage_profile.zone_resilient is True
    assert image.properties.storage_profile.data_disks[0].lun == 0

    blob = {
        "location": "eastus",
        "properties": {"storageProfile": {"osDisk": {"osType": "Windows", "osState": "Generalized",
                                                     "blobUri": "https://acct.blob.core.windows.net/vhds/os.vhd"}}}}  # fmt: skip
    poller = compute_client.images.begin_create_or_update(resource_group, "fromblob", blob)
    arm.advance(600)
    assert poller.result().properties.hyper_v_generation == "V1"

    two_sources = {
        "location": "eastus",
        "properties": {"storageProfile": {"osDisk": {"osType": "Linux", "osState": "Generalized",
                                                     "snapshot": {"id": snap.id}, "blobUri": "https://a/b.vhd"}}}}  # fmt: skip
    error = error_of(
        lambda: compute_client.images.begin_create_or_update(resource_group, "bad", two_sources)
    )
    assert error.error.code == "InvalidParameter"
    duplicate_lun = {
        "location": "eastus",
        "properties": {"storageProfile": {"osDisk": {"osType": "Linux", "osState": "Generalized", "snapshot": {"id": snap.id}},
                                          "dataDisks": [{"lun": 1, "snapshot": {"id": snap.id}},
                                                        {"lun": 1, "snapshot": {"id": snap.id}}]}}}  # fmt: skip
    error = error_of(
        lambda: compute_client.images.begin_create_or_update(resource_group, "bad", duplicate_lun)
    )
    assert error.error.code == "InvalidParameter"


@pytest.mark.parametrize("api_version", ["2019-07-01", "2021-07-01", "2025-04-01", COMPUTE_API])
def test_managed_image_api_versions(resource_group: str, arm: Arm, api_version: str) -> None:
    path = f"{arm.group_path(resource_group)}/providers/Microsoft.Compute/images/v{api_version.replace('-', '')}"
    body = {"location": "eastus", "properties": {"storageProfile": {"osDisk": {
        "osType": "Linux", "osState": "Generalized", "blobUri": "https://acct.blob.core.windows.net/vhds/os.vhd"}}}}  # fmt: skip
    status, answer, _ = arm.call("PUT", path, body, api_version=api_version)
    assert status == 201, answer
    status, answer, _ = arm.call("GET", path, api_version="2018-01-01")
    assert status == 400 and answer["error"]["code"] == "NoRegisteredProviderFound"


def test_os_disk_goes_with_the_vm_when_asked(
    compute_client: Any, resource_group: str, arm: Arm
) -> None:
    body = vm_body()
    body["properties"]["storageProfile"]["osDisk"]["deleteOption"] = "Delete"
    poller = compute_client.virtual_machines.begin_create_or_update(resource_group, "tmpvm", body)
    arm.advance(600)
    disk_name = poller.result().properties.storage_profile.os_disk.name
    delete = compute_client.virtual_machines.begin_delete(resource_group, "tmpvm")
    arm.advance(600)
    delete.result()
    with pytest.raises(ResourceNotFoundError):
        compute_client.disks.get(resource_group, disk_name)


def test_seeded_resources_read_as_settled(
    compute_client: Any, resource_group: str, arm: Arm
) -> None:
    """Resources created through /_sim/seed carry no simulation state and read as finished."""
    group = arm.group_path(resource_group)
    gallery = f"{group}/providers/Microsoft.Compute/galleries/seeded"
    definition = f"{gallery}/images/linux"
    version = f"{definition}/versions/1.0.0"
    vm = f"{group}/providers/Microsoft.Compute/virtualMachines/seededvm"
    arm.seed(
        [
            {"id": gallery, "body": {"location": "eastus", "properties": {}}},
            {"id": definition, "body": {"location": "eastus", "properties": {
                "identifier": {"publisher": "p", "offer": "o", "sku": "s"}, "osType": "Linux",
                "osState": "Generalized", "hyperVGeneration": "V2"}}},
            {"id": version, "body": {"location": "eastus", "properties": {
                "publishingProfile": {"targetRegions": [{"name": "East US"}, {"name": "westus"}]},
                "storageProfile": {}}}},
            {"id": vm, "body": {"location": "eastus", "properties": {"hardwareProfile": {"vmSize": "Standard_D2s_v5"}}}},
        ]
    )  # fmt: skip
    status = compute_client.gallery_image_versions.get(
        resource_group, "seeded", "linux", "1.0.0", expand="ReplicationStatus"
    ).properties.replication_status
    assert status.aggregated_state == "Completed"
    assert {s.region for s in status.summary} == {"East US", "West US"}
    view = compute_client.virtual_machines.instance_view(resource_group, "seededvm")
    assert [s.code for s in view.statuses] == ["ProvisioningState/succeeded", "PowerState/running"]
    delete = compute_client.virtual_machines.begin_delete(resource_group, "seededvm")
    arm.advance(600)
    delete.result()
    with pytest.raises(ResourceNotFoundError):
        compute_client.virtual_machines.get(resource_group, "seededvm")
