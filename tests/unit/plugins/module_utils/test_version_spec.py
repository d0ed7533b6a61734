# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Version names and target regions as users write them."""

from __future__ import annotations

import pytest

from ansible_collections.goldenimage.azure.plugins.module_utils._version_spec import (
    INT32_MAX,
    OptionError,
    RegionEncryption,
    TargetRegion,
    format_version,
    normalize_region,
    parse_target_regions,
    parse_version_name,
    try_parse_version_name,
)

DES = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/diskEncryptionSets/des1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.0.0", (1, 0, 0)),
        ("0.0.0", (0, 0, 0)),
        (f"{INT32_MAX}.2.3", (INT32_MAX, 2, 3)),
        (" 2026.1122.7 ", (2026, 1122, 7)),
    ],
)
def test_version_names_within_32_bits_parse(text: str, expected: tuple[int, int, int]) -> None:
    assert parse_version_name(text) == expected
    assert format_version(expected) == text.strip()


@pytest.mark.parametrize("text", ["1.0", "1.0.0.0", "v1.0.0", "1.-1.0", "a.b.c", "", "1..0"])
def test_malformed_version_names_name_the_option(text: str) -> None:
    with pytest.raises(OptionError) as error:
        parse_version_name(text, option="name")
    assert str(error.value).startswith("name: ")
    assert error.value.option == "name"


def test_version_part_beyond_32_bits_is_rejected_with_the_part_named() -> None:
    with pytest.raises(OptionError, match="minor part .* exceeds 2147483647"):
        parse_version_name(f"1.{INT32_MAX + 1}.0", option="source_image_version")


def test_try_parse_returns_none_for_non_semantic_names() -> None:
    assert try_parse_version_name("latest") is None
    assert try_parse_version_name(None) is None
    assert try_parse_version_name("3.2.1") == (3, 2, 1)


def test_region_names_lose_case_and_spaces() -> None:
    assert normalize_region("East US 2") == "eastus2"
    assert normalize_region("westeurope") == "westeurope"
    with pytest.raises(OptionError, match="target_regions"):
        normalize_region("  ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("eastus", TargetRegion("eastus")),
        ("East US=2", TargetRegion("eastus", replica_count=2)),
        ("eastus=2=standard_zrs", TargetRegion("eastus", 2, "Standard_ZRS")),
        ("eastus=Premium_LRS", TargetRegion("eastus", storage_account_type="Premium_LRS")),
        ("eastus=Standard_LRS=3", TargetRegion("eastus", 3, "Standard_LRS")),
    ],
)
def test_cli_shorthand_is_understood(text: str, expected: TargetRegion) -> None:
    assert parse_target_regions([text]) == [expected]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("eastus=2=Standard_LRS=1", "more than"),
        ("eastus=0", "between 1 and 100"),
        ("eastus=2=3", "replica count twice"),
        ("eastus=Fast_LRS", "not one of"),
        ("eastus=Standard_LRS=Premium_LRS", "storage account type twice"),
    ],
)
def test_bad_shorthand_is_rejected(text: str, problem: str) -> None:
    with pytest.raises(OptionError, match=problem) as error:
        parse_target_regions([text])
    assert error.value.option == "target_regions"


def test_dictionaries_with_encryption_become_arm_target_regions() -> None:
    regions = parse_target_regions(
        [
            {
                "name": "West Europe",
                "replica_count": 2,
                "storage_account_type": "premium_lrs",
                "exclude_from_latest": True,
                "encryption": {
                    "os_disk": {
                        "disk_encryption_set": DES,
                        "confidential_vm_encryption_type": "encryptedwithcmk",
                        "secure_vm_disk_encryption_set": DES,
                    },
                    "data_disks": [
                        {"lun": 1, "disk_encryption_set": DES},
                        {"lun": 0, "disk_encryption_set": DES},
                    ],
                },
            }
        ]
    )
    assert regions[0].to_arm() == {
        "name": "westeurope",
        "regionalReplicaCount": 2,
        "storageAccountType": "Premium_LRS",
        "excludeFromLatest": True,
        "encryption": {
            "osDiskImage": {
                "diskEncryptionSetId": DES,
                "securityProfile": {
                    "confidentialVMEncryptionType": "EncryptedWithCmk",
                    "secureVMDiskEncryptionSetId": DES,
                },
            },
            "dataDiskImages": [
                {"lun": 0, "diskEncryptionSetId": DES},
                {"lun": 1, "diskEncryptionSetId": DES},
            ],
        },
    }


def test_arm_target_region_round_trips() -> None:
    arm = {
        "name": "East US",
        "regionalReplicaCount": 1,
        "storageAccountType": "Standard_LRS",
        "encryption": {"osDiskImage": {"diskEncryptionSetId": DES}},
    }
    region = TargetRegion.from_arm(arm)
    assert region.name == "eastus"
    assert region.encryption == RegionEncryption(os_disk_encryption_set=DES)
    assert region.to_arm()["encryption"] == arm["encryption"]


def test_duplicate_regions_are_rejected_after_normalisation() -> None:
    with pytest.raises(OptionError, match="'eastus' is listed more than once"):
        parse_target_regions(["eastus=1", {"name": "East US"}])


def test_encryption_data_disk_rules() -> None:
    with pytest.raises(
        OptionError,
        match=r"target_regions\[eastus\]\.encryption\.data_disks: lun 0 is listed twice",
    ):
        parse_target_regions(
            [
                {
                    "name": "eastus",
                    "encryption": {
                        "data_disks": [
                            {"lun": 0, "disk_encryption_set": DES},
                            {"lun": 0, "disk_encryption_set": DES},
                        ]
                    },
                }
            ]
        )
    with pytest.raises(OptionError, match="needs a disk_encryption_set"):
        parse_target_regions([{"name": "eastus", "encryption": {"data_disks": [{"lun": 0}]}}])


def test_single_string_and_none_are_accepted() -> None:
    assert parse_target_regions("eastus=2") == [TargetRegion("eastus", 2)]
    assert parse_target_regions(None) == []
    with pytest.raises(OptionError, match="region string or a dictionary"):
        parse_target_regions([3])
