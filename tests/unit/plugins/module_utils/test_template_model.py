# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module options -> ARM ``properties`` of an image template, and the rules checked on them."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ansible_collections.goldenimage.azure.plugins.module_utils._template_model import (
    OptionNamer,
    TemplateOptionError,
    identity_to_arm,
    properties_from_options,
    snake_case,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._template_rules import (
    validate_identity,
    validate_name,
    validate_properties,
)

SUB = "00000000-0000-0000-0000-000000000001"
RG = f"/subscriptions/{SUB}/resourceGroups/images"
IDENTITY = f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/builder"
GALLERY_IMAGE = f"{RG}/providers/Microsoft.Compute/galleries/gal/images/ubuntu"
CHECKSUM = "a" * 64


def full_options() -> dict[str, Any]:
    """Every option group set, as Ansible hands them over after argument-spec processing."""
    return {
        "source": {
            "type": "platform_image",
            "publisher": "Canonical",
            "offer": "ubuntu-24_04-lts",
            "sku": "server",
            "version": None,
            "plan_info": {"plan_name": "p", "plan_product": "prod", "plan_publisher": "pub"},
        },
        "customize": [
            {"type": "shell", "name": "update", "inline": ["apt-get update"]},
            {
                "type": "shell",
                "name": "script",
                "script_uri": "https://x/s.sh",
                "sha256_checksum": CHECKSUM,
            },
            {
                "type": "powershell",
                "name": "ps",
                "inline": ["Write-Host hi"],
                "run_elevated": True,
                "run_as_system": True,
                "valid_exit_codes": [0, 3010],
            },
            {
                "type": "file",
                "name": "motd",
                "source_uri": "https://x/motd",
                "destination": "/etc/motd",
            },
            {"type": "windows_restart", "name": "reboot", "restart_timeout": "10m"},
            {
                "type": "windows_update",
                "name": "wu",
                "filters": ["include:$true"],
                "update_limit": 20,
            },
        ],
        "validate": {
            "continue_distribute_on_failure": True,
            "source_validation_only": False,
            "in_vm_validations": [{"type": "shell", "name": "check", "inline": ["true"]}],
        },
        "optimize": {"vm_boot": True, "workload": None},
        "error_handling": {"on_customizer_error": "abort", "on_validation_error": "cleanup"},
        "distribute": [
            {
                "type": "shared_image",
                "run_output_name": "gallery",
                "gallery_image_id": GALLERY_IMAGE,
                "target_regions": [
                    {"name": "eastus", "replica_count": 2, "storage_account_type": "Standard_ZRS"}
                ],
                "exclude_from_latest": True,
                "versioning": {"scheme": "latest", "major": 2},
                "replication_mode": "shallow",
                "artifact_tags": {"team": "images"},
            },
            {
                "type": "managed_image",
                "run_output_name": "managed",
                "image_id": f"{RG}/providers/Microsoft.Compute/images/golden",
                "location": "eastus",
            },
            {"type": "vhd", "run_output_name": "vhd"},
        ],
        "vm_profile": {
            "vm_size": "Standard_D2s_v3",
            "os_disk_size_gb": 64,
            "user_assigned_identities": [IDENTITY],
            "vnet_config": {
                "subnet_id": f"{RG}/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
            },
        },
        "build_timeout": 120,
        "staging_resource_group": "staging",
        "auto_run": False,
        "managed_resource_tags": {"owner": "ib"},
        "additional_data_disks": [{"size_gb": 32}],
    }


def test_full_options_become_arm_properties() -> None:
    properties = properties_from_options(full_options(), subscription_id=SUB)

    assert properties["source"] == {
        "type": "PlatformImage",
        "publisher": "Canonical",
        "offer": "ubuntu-24_04-lts",
        "sku": "server",
        "version": "latest",
        "planInfo": {"planName": "p", "planProduct": "prod", "planPublisher": "pub"},
    }
    assert [step["type"] for step in properties["customize"]] == [
        "Shell",
        "Shell",
        "PowerShell",
        "File",
        "WindowsRestart",
        "WindowsUpdate",
    ]
    assert properties["customize"][2] == {
        "type": "PowerShell",
        "name": "ps",
        "inline": ["Write-Host hi"],
        "runElevated": True,
        "runAsSystem": True,
        "validExitCodes": [0, 3010],
    }
    assert properties["customize"][3] == {
        "type": "File",
        "name": "motd",
        "sourceUri": "https://x/motd",
        "destination": "/etc/motd",
    }
    assert properties["validate"]["inVMValidations"] == [
        {"type": "Shell", "name": "check", "inline": ["true"]}
    ]
    assert properties["optimize"] == {"vmBoot": {"state": "Enabled"}}
    assert properties["errorHandling"] == {
        "onCustomizerError": "abort",
        "onValidationError": "cleanup",
    }
    shared = properties["distribute"][0]
    assert shared["type"] == "SharedImage"
    assert shared["targetRegions"] == [
        {"name": "eastus", "replicaCount": 2, "storageAccountType": "Standard_ZRS"}
    ]
    assert shared["versioning"] == {"scheme": "Latest", "major": 2}
    assert shared["replicationMode"] == "Shallow"
    assert properties["distribute"][2] == {"type": "VHD", "runOutputName": "vhd"}
    assert properties["vmProfile"]["osDiskSizeGB"] == 64
    assert properties["vmProfile"]["vnetConfig"] == {
        "subnetId": f"{RG}/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
    }
    assert properties["buildTimeoutInMinutes"] == 120
    assert properties["stagingResourceGroup"] == f"/subscriptions/{SUB}/resourceGroups/staging"
    assert properties["autoRun"] == {"state": "Disabled"}
    assert properties["additionalDataDisks"] == [{"sizeGB": 32}]
    validate_properties(properties)


def test_omitted_options_are_left_to_azure_defaults() -> None:
    options = {
        "source": {"type": "managed_image", "image_id": "/x"},
        "distribute": [{"type": "vhd", "run_output_name": "vhd", "uri": None}],
        "customize": None,
        "vm_profile": None,
    }
    assert properties_from_options(options) == {
        "source": {"type": "ManagedImage", "imageId": "/x"},
        "distribute": [{"type": "VHD", "runOutputName": "vhd"}],
    }


def test_identity_block_holds_the_one_identity() -> None:
    assert identity_to_arm(IDENTITY) == {
        "type": "UserAssigned",
        "userAssignedIdentities": {IDENTITY: {}},
    }
    assert identity_to_arm(None) is None


@pytest.mark.parametrize(
    ("arm_key", "option"),
    [
        ("osDiskSizeGB", "os_disk_size_gb"),
        ("sha256Checksum", "sha256_checksum"),
        ("inVMValidations", "in_vm_validations"),
        ("buildTimeoutInMinutes", "build_timeout"),
        ("runOutputName", "run_output_name"),
    ],
)
def test_snake_case_names_the_option(arm_key: str, option: str) -> None:
    assert snake_case(arm_key) == option


def test_namer_renders_option_paths_and_raw_template_paths() -> None:
    path = ("customize", 2, "sha256Checksum")
    assert OptionNamer()(path) == "customize[2].sha256_checksum"
    assert OptionNamer(raw=True)(path) == "template.customize[2].sha256Checksum"


def _broken(mutate: Any) -> dict[str, Any]:
    properties = properties_from_options(full_options(), subscription_id=SUB)
    mutate(properties)
    return properties


BROKEN_CASES = [
    ("customize[0]", "exactly one of inline or script_uri", lambda p: p["customize"][0].update(scriptUri="https://s")),
    ("customize[0]", "exactly one of inline or script_uri", lambda p: p["customize"][0].pop("inline")),
    ("customize[1].sha256_checksum", "64 hexadecimal", lambda p: p["customize"][1].update(sha256Checksum="abc")),
    ("customize[2].run_as_system", "needs run_elevated", lambda p: p["customize"][2].update(runElevated=False)),
    ("customize[1].name", "already used by step 0", lambda p: p["customize"][1].update(name="UPDATE")),
    ("customize[3].destination", "required", lambda p: p["customize"][3].pop("destination")),
    ("validate.in_vm_validations[0]", "exactly one", lambda p: p["validate"]["inVMValidations"][0].pop("inline")),
    ("distribute[1].run_output_name", "already used by target 0", lambda p: p["distribute"][1].update(runOutputName="GALLERY")),
    ("distribute[2].run_output_name", "must match", lambda p: p["distribute"][2].update(runOutputName="bad name")),
    ("distribute[2].run_output_name", "must match", lambda p: p["distribute"][2].update(runOutputName="x" * 65)),
    ("distribute[1].location", "required", lambda p: p["distribute"][1].pop("location")),
    ("distribute[0].gallery_image_id", "required", lambda p: p["distribute"][0].pop("galleryImageId")),
    ("distribute[0].replication_regions", "cannot be combined", lambda p: p["distribute"][0].update(replicationRegions=["westus"])),
    ("distribute[0].storage_account_type", "per target region", lambda p: p["distribute"][0].update(storageAccountType="Standard_LRS")),
    ("distribute[0].target_regions[0].replica_count", "at least 1", lambda p: p["distribute"][0]["targetRegions"][0].update(replicaCount=0)),
    ("distribute[0].versioning.major", "Latest", lambda p: p["distribute"][0].update(versioning={"scheme": "Source", "major": 1})),
    ("distribute", "at least one", lambda p: p.update(distribute=[])),
    ("build_timeout", "between 0 and 960", lambda p: p.update(buildTimeoutInMinutes=961)),
    ("build_timeout", "between 0 and 960", lambda p: p.update(buildTimeoutInMinutes=-1)),
    ("source.sku", "required", lambda p: p["source"].pop("sku")),
    ("source.plan_info.plan_product", "required", lambda p: p["source"]["planInfo"].pop("planProduct")),
    ("source.type", "must be one of", lambda p: p["source"].update(type="Iso")),
    ("source", "required", lambda p: p.pop("source")),
    ("vm_profile.vnet_config.container_instance_subnet_id", "needs subnet_id",
     lambda p: p["vmProfile"].update(vnetConfig={"containerInstanceSubnetId": "/s"})),
    ("vm_profile.vnet_config.proxy_vm_size", "cannot be combined",
     lambda p: p["vmProfile"]["vnetConfig"].update(containerInstanceSubnetId="/c", proxyVmSize="Standard_A1_v2")),
    ("error_handling.on_customizer_error", "cleanup, abort", lambda p: p["errorHandling"].update(onCustomizerError="keep")),
    ("staging_resource_group", "resource group id", lambda p: p.update(stagingResourceGroup="/subscriptions/x/rg")),
    ("additional_data_disks[0].size_gb", "at least 0", lambda p: p["additionalDataDisks"][0].update(sizeGB=-5)),
]  # fmt: skip


@pytest.mark.parametrize(("option", "problem", "mutate"), BROKEN_CASES)
def test_each_rule_names_the_option(option: str, problem: str, mutate: Any) -> None:
    with pytest.raises(TemplateOptionError) as caught:
        validate_properties(_broken(mutate))
    assert caught.value.option == option
    assert problem in caught.value.problem


def test_raw_template_errors_name_the_template_key() -> None:
    properties = _broken(lambda p: p["customize"][2].update(runElevated=False))
    with pytest.raises(
        TemplateOptionError, match=r"^template\.customize\[2\]\.runAsSystem: needs runElevated"
    ):
        validate_properties(properties, OptionNamer(raw=True))


def test_raw_template_passes_unknown_newer_types_through() -> None:
    properties = properties_from_options(full_options(), subscription_id=SUB)
    properties["customize"].append({"type": "Ansible", "name": "future", "playbook": "x"})
    properties["distribute"].append({"type": "FutureTarget", "runOutputName": "future"})
    properties["newerField"] = {"anything": True}
    validate_properties(copy.deepcopy(properties), OptionNamer(raw=True))


@pytest.mark.parametrize("name", ["golden-ubuntu", "a", "A.b_c-1", "x" * 64])
def test_valid_names_pass(name: str) -> None:
    validate_name("name", name)


@pytest.mark.parametrize("name", ["", "has space", "x" * 65, "slash/name"])
def test_invalid_names_fail(name: str) -> None:
    with pytest.raises(TemplateOptionError, match="^name: "):
        validate_name("name", name)


def test_identity_must_be_exactly_one_user_assigned_identity() -> None:
    validate_identity(IDENTITY)
    validate_identity([IDENTITY])
    with pytest.raises(TemplateOptionError, match="exactly one.*got 2"):
        validate_identity([IDENTITY, IDENTITY + "2"])
    with pytest.raises(TemplateOptionError, match="exactly one.*got 0"):
        validate_identity(None)
    with pytest.raises(TemplateOptionError, match="not a user-assigned identity"):
        validate_identity(f"{RG}/providers/Microsoft.Compute/images/x")
