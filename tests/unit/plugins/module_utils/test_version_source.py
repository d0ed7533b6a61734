# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Version sources: references, storage profiles, and the rules checked before any write."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.goldenimage.azure.plugins.module_utils import _version_source as src
from ansible_collections.goldenimage.azure.plugins.module_utils._version_spec import (
    OptionError,
    TargetRegion,
)

SUB = "00000000-0000-0000-0000-000000000001"
OTHER_SUB = "00000000-0000-0000-0000-000000000002"
RG = "rg-images"
PREFIX = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers"
IMAGE_ID = f"{PREFIX}/Microsoft.Compute/images/img1"
VM_ID = f"{PREFIX}/Microsoft.Compute/virtualMachines/vm1"
DISK_ID = f"{PREFIX}/Microsoft.Compute/disks/osdisk"
SNAP_ID = f"{PREFIX}/Microsoft.Compute/snapshots/snap1"
ACCOUNT_ID = f"{PREFIX}/Microsoft.Storage/storageAccounts/acct"
VHD = "https://acct.blob.core.windows.net/vhds/os.vhd"
OTHER_VERSION_ID = (
    f"/subscriptions/{OTHER_SUB}/resourceGroups/rg-other/providers/Microsoft.Compute"
    "/galleries/shared/images/ubuntu/versions/1.2.3"
)


def parse(**options: Any) -> src.VersionSource | None:
    return src.parse_version_source(options, subscription_id=SUB, resource_group=RG)


def test_managed_image_by_name_id_or_dictionary_resolves_to_one_id() -> None:
    by_name = parse(managed_image="img1")
    by_id = parse(managed_image=IMAGE_ID)
    by_dict = parse(managed_image={"name": "img1", "resource_group": RG})
    assert by_name == by_id == by_dict
    assert by_name is not None
    assert by_name.storage_profile() == {"source": {"id": IMAGE_ID}}


def test_virtual_machine_source_uses_virtual_machine_id() -> None:
    source = parse(virtual_machine="vm1")
    assert source is not None
    assert source.storage_profile() == {"source": {"virtualMachineId": VM_ID}}
    assert source.primary_kind is src.VIRTUAL_MACHINE


def test_gallery_version_from_another_subscription_by_dictionary_or_path() -> None:
    by_dict = parse(
        source_image_version={
            "gallery": "shared",
            "image": "ubuntu",
            "version": "1.2.3",
            "resource_group": "rg-other",
            "subscription_id": OTHER_SUB,
        }
    )
    assert by_dict is not None
    assert by_dict.storage_profile() == {"source": {"id": OTHER_VERSION_ID}}
    by_path = parse(source_image_version="shared/ubuntu/1.2.3")
    assert by_path is not None
    assert (
        by_path.resource_id
        == f"{PREFIX}/Microsoft.Compute/galleries/shared/images/ubuntu/versions/1.2.3"
    )


def test_id_of_the_wrong_type_names_the_option() -> None:
    with pytest.raises(OptionError) as error:
        parse(managed_image=DISK_ID)
    assert error.value.option == "managed_image"
    assert "managed image" in str(error.value)


def test_only_one_os_source() -> None:
    with pytest.raises(OptionError, match="only one OS source; managed_image and virtual_machine"):
        parse(managed_image="img1", virtual_machine="vm1")
    assert parse() is None


def test_os_disk_snapshot_and_vhd_with_data_disks_build_the_storage_profile() -> None:
    source = parse(
        os_disk={"snapshot": "snap1", "host_caching": "readonly"},
        data_disks=[
            {"lun": 1, "vhd_uri": VHD, "storage_account": "acct"},
            {"lun": 0, "disk": {"name": "osdisk"}, "host_caching": "None"},
        ],
    )
    assert source is not None
    assert source.storage_profile() == {
        "osDiskImage": {"source": {"id": SNAP_ID}, "hostCaching": "ReadOnly"},
        "dataDiskImages": [
            {"source": {"id": DISK_ID}, "hostCaching": "None", "lun": 0},
            {"source": {"uri": VHD, "storageAccountId": ACCOUNT_ID}, "lun": 1},
        ],
    }
    assert source.primary_id == SNAP_ID


def test_os_vhd_needs_its_storage_account_and_https() -> None:
    with pytest.raises(OptionError, match=r"os_disk\.storage_account"):
        parse(os_disk={"vhd_uri": VHD})
    with pytest.raises(OptionError, match=r"os_disk\.vhd_uri"):
        parse(os_disk={"vhd_uri": "http://acct/x.vhd", "storage_account": "acct"})
    source = parse(os_disk={"vhd_uri": VHD, "storage_account": ACCOUNT_ID})
    assert source is not None
    assert source.primary_id == ACCOUNT_ID
    assert source.primary_kind is src.STORAGE_ACCOUNT


def test_os_disk_needs_exactly_one_origin() -> None:
    with pytest.raises(OptionError, match="exactly one of disk, snapshot or vhd_uri"):
        parse(os_disk={"disk": "d", "snapshot": "s"})


def test_data_disk_rules() -> None:
    with pytest.raises(OptionError, match="data_disks: data disks can only accompany an os_disk"):
        parse(managed_image="img1", data_disks=[{"lun": 0, "disk": "d"}])
    with pytest.raises(OptionError, match=r"data_disks\[1\]: lun 0 is used by more than one"):
        parse(os_disk={"disk": "d"}, data_disks=[{"lun": 0, "disk": "a"}, {"lun": 0, "disk": "b"}])
    with pytest.raises(OptionError, match="lun must be a non-negative integer"):
        parse(os_disk={"disk": "d"}, data_disks=[{"disk": "a"}])


def test_name_without_resource_group_is_an_error() -> None:
    with pytest.raises(OptionError, match="needs a resource_group"):
        src.parse_version_source(
            {"managed_image": "img1"}, subscription_id=SUB, resource_group=None
        )


def test_identity_matches_what_azure_returns_for_the_same_source() -> None:
    source = parse(os_disk={"disk": DISK_ID.upper()}, data_disks=[{"lun": 0, "snapshot": "snap1"}])
    assert source is not None
    returned = {
        "osDiskImage": {"sizeInGB": 30, "hostCaching": "ReadWrite", "source": {"id": DISK_ID}},
        "dataDiskImages": [{"lun": 0, "sizeInGB": 4, "source": {"id": SNAP_ID}}],
    }
    assert src.source_identity_of(returned) == source.identity()
    image = parse(managed_image="img1")
    assert image is not None
    # Azure also describes the OS disk of an image-based version; the image id decides.
    assert (
        src.source_identity_of({"source": {"id": IMAGE_ID}, "osDiskImage": {"sizeInGB": 30}})
        == image.identity()
    )
    assert src.source_identity_of({}) is None


def managed_image_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": IMAGE_ID,
        "location": "East US",
        "properties": {
            "hyperVGeneration": "V2",
            "storageProfile": {"osDisk": {"osType": "Linux", "osState": "Generalized"}},
        },
    }
    body["properties"].update(overrides)
    return body


def definition_body(**properties: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"osType": "Linux", "osState": "Generalized", "hyperVGeneration": "V2"}
    base.update(properties)
    return {"location": "eastus", "properties": base}


def test_facts_of_each_source_kind() -> None:
    assert src.facts_of_managed_image(managed_image_body()) == src.ImageFacts(
        location="eastus", os_type="Linux", os_state="Generalized", hyper_v_generation="V2"
    )
    vm = {
        "location": "westus",
        "properties": {
            "storageProfile": {"osDisk": {"osType": "Windows"}},
            "securityProfile": {"securityType": "TrustedLaunch"},
        },
    }
    view = {"hyperVGeneration": "V2", "statuses": [{"code": "OSState/generalized"}]}
    assert src.facts_of_virtual_machine(vm, view) == src.ImageFacts(
        location="westus",
        os_type="Windows",
        os_state="Generalized",
        hyper_v_generation="V2",
        security_type="TrustedLaunch",
    )
    assert (
        src.facts_of_virtual_machine(vm, {"statuses": [{"code": "PowerState/running"}]}).os_state
        == "Specialized"
    )
    disk = {
        "location": "eastus",
        "properties": {
            "osType": "Linux",
            "hyperVGeneration": "V1",
            "supportedCapabilities": {"architecture": "Arm64"},
            "securityProfile": {"securityType": "ConfidentialVM_DiskEncryptedWithCustomerKey"},
        },
    }
    assert src.facts_of_disk(disk) == src.ImageFacts(
        location="eastus",
        os_type="Linux",
        hyper_v_generation="V1",
        architecture="Arm64",
        security_type="ConfidentialVM",
    )
    definition = definition_body(features=[{"name": "SecurityType", "value": "TrustedLaunch"}])
    version = {"location": "northeurope", "properties": {}}
    facts = src.facts_of_gallery_image_version(version, definition)
    assert facts.location == "northeurope"
    assert facts.security_type == "TrustedLaunch"
    assert facts.architecture == "x64"


def test_definition_defaults_match_azure() -> None:
    facts = src.facts_of_definition({"properties": {"osType": "Linux", "osState": "Generalized"}})
    assert (facts.hyper_v_generation, facts.architecture, facts.security_type) == (
        "V1",
        "x64",
        "Standard",
    )


def test_source_that_fits_the_definition_passes() -> None:
    source = parse(managed_image="img1")
    assert source is not None
    src.check_source_fits_definition(
        source,
        src.facts_of_managed_image(managed_image_body()),
        src.facts_of_definition(definition_body()),
    )


def test_every_mismatch_is_reported_at_once() -> None:
    source = parse(managed_image="img1")
    assert source is not None
    definition = src.facts_of_definition(
        definition_body(osType="Windows", osState="Specialized", hyperVGeneration="V1")
    )
    with pytest.raises(OptionError) as error:
        src.check_source_fits_definition(
            source, src.facts_of_managed_image(managed_image_body()), definition
        )
    message = str(error.value)
    assert message.startswith("managed_image: ")
    assert "OS type is Linux but the definition's is Windows" in message
    assert "OS state is Generalized but the definition's is Specialized" in message
    assert "Hyper-V generation is V2 but the definition's is V1" in message


@pytest.mark.parametrize(
    ("source_type", "definition_type", "fits"),
    [
        ("TrustedLaunch", "Standard", False),
        ("TrustedLaunch", "TrustedLaunchSupported", True),
        ("ConfidentialVM", "TrustedLaunch", False),
        ("ConfidentialVM", "ConfidentialVmSupported", True),
        ("Standard", "TrustedLaunchAndConfidentialVmSupported", True),
        ("Standard", "ConfidentialVM", False),
    ],
)
def test_security_type_compatibility(source_type: str, definition_type: str, fits: bool) -> None:
    problems = src.definition_mismatches(
        src.ImageFacts(security_type=source_type), src.ImageFacts(security_type=definition_type)
    )
    assert (not problems) is fits


def test_unknown_facts_are_not_held_against_the_source() -> None:
    assert (
        src.definition_mismatches(src.ImageFacts(), src.facts_of_definition(definition_body()))
        == []
    )


def test_source_region_must_be_a_target_region() -> None:
    source = parse(managed_image="img1")
    assert source is not None
    facts = src.facts_of_managed_image(managed_image_body())
    src.check_source_region(source, facts, [TargetRegion("westus"), TargetRegion("eastus")])
    with pytest.raises(OptionError, match=r"target_regions: the source region eastus .*\(westus\)"):
        src.check_source_region(source, facts, [TargetRegion("westus")])


def test_resource_id_parsing() -> None:
    parsed = src.parse_resource_id(OTHER_VERSION_ID)
    assert parsed is not None
    assert parsed.names == ("shared", "ubuntu", "1.2.3")
    assert parsed.subscription_id == OTHER_SUB
    assert src.parse_resource_id("/subscriptions/x") is None
    assert src.parse_resource_id(f"{PREFIX}/Microsoft.Compute/images") is None
