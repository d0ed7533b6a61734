# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Managed images: sources, bodies, rules before writes, and what may change."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.goldenimage.azure.plugins.module_utils import _managed_image_api as api
from ansible_collections.goldenimage.azure.plugins.module_utils._version_spec import OptionError

SUB = "00000000-0000-0000-0000-000000000001"
RG = "rg-images"
PREFIX = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute"
VM_ID = f"{PREFIX}/virtualMachines/vm1"
DISK_ID = f"{PREFIX}/disks/os1"
SNAP_ID = f"{PREFIX}/snapshots/data1"
BLOB = "https://acct.blob.core.windows.net/vhds/data2.vhd"


def parse(**options: Any) -> api.ImageSource | None:
    return api.parse_image_source(options, subscription_id=SUB, resource_group=RG)


def arm_image(properties: dict[str, Any]) -> dict[str, Any]:
    """An image as ARM returns it (shape of a 2026-04-01 GET)."""
    return {
        "id": f"{PREFIX}/images/img1",
        "name": "img1",
        "type": "Microsoft.Compute/images",
        "location": "eastus",
        "tags": {"Team": "x"},
        "properties": {"provisioningState": "Succeeded", **properties},
    }


def test_vm_source_body() -> None:
    source = parse(virtual_machine="vm1")
    body = api.create_body(
        api.DesiredImage(source=source, hyper_v_generation="V2"), location="eastus", tags={}
    )
    assert body == {
        "location": "eastus",
        "tags": {},
        "properties": {"sourceVirtualMachine": {"id": VM_ID}, "hyperVGeneration": "V2"},
    }


def test_disk_source_with_data_disks_body() -> None:
    source = parse(
        os_disk={
            "disk": "os1",
            "os_type": "linux",
            "caching": "readwrite",
            "storage_account_type": "premium_lrs",
        },
        data_disks=[{"lun": 2, "blob_uri": BLOB}, {"lun": 1, "snapshot": "data1"}],
    )
    body = api.create_body(api.DesiredImage(source=source, zone_resilient=True), location="eastus")
    assert body["properties"] == {
        "storageProfile": {
            "osDisk": {
                "managedDisk": {"id": DISK_ID},
                "caching": "ReadWrite",
                "storageAccountType": "Premium_LRS",
                "osType": "Linux",
                "osState": "Generalized",
            },
            "dataDisks": [{"lun": 1, "snapshot": {"id": SNAP_ID}}, {"lun": 2, "blobUri": BLOB}],
            "zoneResilient": True,
        }
    }


def test_source_rules_name_the_option() -> None:
    with pytest.raises(OptionError, match="either virtual_machine or os_disk"):
        parse(virtual_machine="vm1", os_disk={"disk": "d", "os_type": "Linux"})
    with pytest.raises(OptionError, match="os_disk.os_type"):
        parse(os_disk={"disk": "d"})
    with pytest.raises(OptionError, match="data_disks: data disks can only accompany"):
        parse(virtual_machine="vm1", data_disks=[{"lun": 0, "disk": "d"}])
    with pytest.raises(OptionError, match="exactly one of disk, snapshot or blob_uri"):
        parse(os_disk={"os_type": "Linux"})
    with pytest.raises(OptionError, match=r"data_disks\[1\]: lun 0"):
        parse(
            os_disk={"disk": "d", "os_type": "Linux"},
            data_disks=[{"lun": 0, "disk": "a"}, {"lun": 0, "disk": "b"}],
        )
    with pytest.raises(
        OptionError, match="virtual_machine: .* is not the resource id of a virtual machine"
    ):
        parse(virtual_machine=DISK_ID)
    assert parse() is None


def test_existing_image_compares_equal_to_the_same_source() -> None:
    vm_image = arm_image(
        {"sourceVirtualMachine": {"id": VM_ID}, "storageProfile": {"osDisk": {"osType": "Linux"}}}
    )
    assert not api.classify_update(
        vm_image, api.DesiredImage(source=parse(virtual_machine=VM_ID.upper()))
    ).forbidden
    disk_image = arm_image(
        {
            "storageProfile": {
                "osDisk": {
                    "osType": "Linux",
                    "osState": "Generalized",
                    "managedDisk": {"id": DISK_ID},
                    "diskSizeGB": 30,
                },
                "dataDisks": [{"lun": 1, "snapshot": {"id": SNAP_ID}}],
            }
        }
    )
    same = parse(
        os_disk={"disk": "os1", "os_type": "Linux"}, data_disks=[{"lun": 1, "snapshot": "data1"}]
    )
    assert not api.classify_update(disk_image, api.DesiredImage(source=same)).forbidden


def test_every_change_but_tags_is_forbidden() -> None:
    current = arm_image(
        {
            "hyperVGeneration": "V1",
            "storageProfile": {
                "osDisk": {
                    "osType": "Linux",
                    "osState": "Generalized",
                    "managedDisk": {"id": DISK_ID},
                }
            },
        }
    )
    desired = api.DesiredImage(
        source=parse(os_disk={"disk": "os1", "os_type": "Windows"}),
        hyper_v_generation="V2",
        zone_resilient=True,
    )
    plan = api.classify_update(current, desired)
    assert [c.field for c in plan.forbidden] == [
        "os_disk.os_type",
        "hyper_v_generation",
        "zone_resilient",
    ]
    other = api.classify_update(current, api.DesiredImage(source=parse(virtual_machine="vm1")))
    assert other.forbidden[0].field == "source"
    message = api.forbidden_message("img1", other)
    assert f"source (current: {DISK_ID.lower()}, requested: {VM_ID.lower()})" in message


def test_vm_must_be_generalized() -> None:
    api.check_vm_generalized(
        {"statuses": [{"code": "OSState/generalized"}, {"code": "PowerState/deallocated"}]}
    )
    with pytest.raises(
        OptionError, match="virtual_machine: the virtual machine is not generalized"
    ):
        api.check_vm_generalized({"statuses": [{"code": "PowerState/running"}]})


def test_image_lives_in_its_source_region() -> None:
    source = parse(virtual_machine="vm1")
    assert source is not None
    api.check_same_region(source, "East US", "eastus")
    with pytest.raises(
        OptionError, match="location: the image must be in its source's region eastus"
    ):
        api.check_same_region(source, "eastus", "westus")


def test_result_and_facts() -> None:
    body = arm_image(
        {
            "hyperVGeneration": "V2",
            "storageProfile": {
                "osDisk": {"osType": "Windows", "osState": "Generalized", "diskSizeGB": 127}
            },
        }
    )
    result = api.image_result(body)
    assert result["hyper_v_generation"] == "V2"
    assert result["storage_profile"]["os_disk"]["disk_size_gb"] == 127
    assert result["tags"] == {"Team": "x"}
    facts = api.facts_of_image(body)
    assert (facts.os_type, facts.os_state, facts.hyper_v_generation, facts.location) == (
        "Windows",
        "Generalized",
        "V2",
        "eastus",
    )
