"""Unit tests of the Image Builder validation and normalisation rules."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from azsim.providers import imagebuilder_rules as rules

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
IDENTITY = f"{SUB}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aib"
GALLERY_IMAGE = f"{SUB}/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/linux"
MANAGED_IMAGE = f"{SUB}/resourceGroups/rg/providers/Microsoft.Compute/images/golden"
SUBNET = f"{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/build"
ACI_SUBNET = f"{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/aci"
NEW = "2025-10-01"
OLD = "2022-07-01"


def template() -> dict[str, Any]:
    return {
        "location": "eastus",
        "identity": {"type": "UserAssigned", "userAssignedIdentities": {IDENTITY: {}}},
        "properties": {
            "source": {
                "type": "PlatformImage",
                "publisher": "Canonical",
                "offer": "ubuntu-24_04-lts",
                "sku": "server",
                "version": "latest",
            },
            "customize": [{"type": "Shell", "name": "update", "inline": ["apt-get update"]}],
            "distribute": [
                {"type": "SharedImage", "galleryImageId": GALLERY_IMAGE, "runOutputName": "sig"},
            ],
        },
    }


def refused(body: dict[str, Any], api_version: str = NEW) -> rules.RuleViolation:
    with pytest.raises(rules.RuleViolation) as caught:
        rules.validate_template(body, api_version)
    return caught.value


def test_a_complete_template_is_accepted() -> None:
    body = template()
    body["properties"].update(
        {
            "buildTimeoutInMinutes": 960,
            "vmProfile": {
                "vmSize": "Standard_D2s_v5",
                "osDiskSizeGB": 64,
                "vnetConfig": {"subnetId": SUBNET, "containerInstanceSubnetId": ACI_SUBNET},
            },
            "optimize": {"vmBoot": {"state": "Enabled"}},
            "errorHandling": {"onCustomizerError": "abort", "onValidationError": "cleanup"},
            "validate": {
                "inVMValidations": [{"type": "Shell", "name": "check", "inline": ["true"]}]
            },
            "autoRun": {"state": "Disabled"},
            "managedResourceTags": {"team": "images"},
            "stagingResourceGroup": f"{SUB}/resourceGroups/staging",
            "additionalDataDisks": [{"sizeGB": 32}],
        }
    )
    rules.validate_template(body, NEW)


@pytest.mark.parametrize("name", ["ok", "a.b-c_d", "x" * 64])
def test_template_names_that_match_the_pattern(name: str) -> None:
    rules.validate_template_name(name)


@pytest.mark.parametrize("name", ["", "x" * 65, "has space", "slash/no", "star*"])
def test_template_names_outside_the_pattern_are_refused(name: str) -> None:
    with pytest.raises(rules.RuleViolation) as caught:
        rules.validate_template_name(name)
    assert caught.value.code == "ValidationFailed"


def test_identity_is_required() -> None:
    body = template()
    del body["identity"]
    error = refused(body)
    assert error.code == "ValidationFailed"
    assert "Missing field 'identity'" in error.message
    assert error.status == 400


def test_exactly_one_user_assigned_identity() -> None:
    body = template()
    body["identity"]["userAssignedIdentities"][IDENTITY + "2"] = {}
    assert "Exactly one" in refused(body).message
    body["identity"] = {"type": "SystemAssigned"}
    assert "'type' has a bad value" in refused(body).message


@pytest.mark.parametrize("timeout", [-1, 961, "60", True])
def test_build_timeout_range(timeout: Any) -> None:
    body = template()
    body["properties"]["buildTimeoutInMinutes"] = timeout
    assert "buildTimeoutInMinutes" in refused(body).message


@pytest.mark.parametrize(
    ("source", "field"),
    [
        ({"type": "Marketplace"}, "type"),
        ({"type": "PlatformImage", "publisher": "p", "offer": "o", "sku": "s"}, "version"),
        ({"type": "ManagedImage"}, "imageId"),
        ({"type": "ManagedImage", "imageId": "/not/an/image"}, "imageId"),
        ({"type": "SharedImageVersion", "imageVersionId": GALLERY_IMAGE}, "imageVersionId"),
        (
            {
                "type": "PlatformImage",
                "publisher": "p",
                "offer": "o",
                "sku": "s",
                "version": "1",
                "planInfo": {"planName": "n", "planProduct": "p"},
            },
            "planPublisher",
        ),
    ],
)
def test_source_fields(source: dict[str, Any], field: str) -> None:
    body = template()
    body["properties"]["source"] = source
    assert f"'{field}'" in refused(body).message


def test_customizer_names_are_unique() -> None:
    body = template()
    body["properties"]["customize"].append({"type": "Shell", "name": "UPDATE", "inline": ["true"]})
    assert "unique" in refused(body).message


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ({"type": "Shell", "inline": ["x"], "scriptUri": "https://h/s.sh"}, "Exactly one"),
        ({"type": "Shell"}, "Exactly one"),
        (
            {"type": "Shell", "scriptUri": "https://h/s.sh", "sha256Checksum": "abc"},
            "sha256Checksum",
        ),
        ({"type": "PowerShell", "inline": ["x"], "runAsSystem": True}, "runElevated"),
        ({"type": "File", "sourceUri": "https://h/f"}, "destination"),
        ({"type": "WindowsUpdate", "updateLimit": -1}, "updateLimit"),
        ({"type": "WindowsRestart", "restartTimeout": "soon"}, "restartTimeout"),
        ({"type": "Ansible"}, "'type' has a bad value"),
    ],
)
def test_customizer_rules(step: dict[str, Any], expected: str) -> None:
    body = template()
    body["properties"]["customize"] = [step]
    assert expected in refused(body).message


def test_valid_checksum_and_elevated_system_run_are_accepted() -> None:
    body = template()
    body["properties"]["customize"] = [
        {"type": "Shell", "scriptUri": "https://h/s.sh", "sha256Checksum": "a" * 64},
        {"type": "PowerShell", "inline": ["x"], "runElevated": True, "runAsSystem": True},
        {"type": "WindowsRestart", "restartTimeout": "10m"},
        {"type": "WindowsUpdate", "filters": ["include:$true"], "updateLimit": 20},
    ]
    rules.validate_template(body, NEW)


def test_run_output_names_unique_across_distributors() -> None:
    body = template()
    body["properties"]["distribute"].append({"type": "VHD", "runOutputName": "SIG"})
    assert "used by more than one" in refused(body).message


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ({"type": "VHD", "runOutputName": "bad name"}, "runOutputName"),
        ({"type": "VHD"}, "runOutputName"),
        ({"type": "ManagedImage", "runOutputName": "mi", "imageId": MANAGED_IMAGE}, "location"),
        ({"type": "SharedImage", "runOutputName": "s"}, "galleryImageId"),
        (
            {
                "type": "SharedImage",
                "runOutputName": "s",
                "galleryImageId": GALLERY_IMAGE,
                "targetRegions": [{"name": "eastus"}],
                "replicationRegions": ["eastus"],
            },
            "Only one",
        ),
        (
            {
                "type": "SharedImage",
                "runOutputName": "s",
                "galleryImageId": GALLERY_IMAGE,
                "storageAccountType": "Standard_LRS",
            },
            "only with 'replicationRegions'",
        ),
        (
            {
                "type": "SharedImage",
                "runOutputName": "s",
                "galleryImageId": GALLERY_IMAGE,
                "targetRegions": [{"name": "eastus", "replicaCount": 0}],
            },
            "replicaCount",
        ),
        (
            {
                "type": "SharedImage",
                "runOutputName": "s",
                "galleryImageId": GALLERY_IMAGE,
                "versioning": {"scheme": "Newest"},
            },
            "scheme",
        ),
        (
            {
                "type": "SharedImage",
                "runOutputName": "s",
                "galleryImageId": GALLERY_IMAGE,
                "versioning": {"scheme": "Latest", "major": -2},
            },
            "major",
        ),
        (
            {
                "type": "SharedImage",
                "runOutputName": "s",
                "galleryImageId": GALLERY_IMAGE + "/versions/1.0.0",
                "versioning": {"scheme": "Source"},
            },
            "names a version",
        ),
        (
            {
                "type": "SharedImage",
                "runOutputName": "s",
                "galleryImageId": GALLERY_IMAGE,
                "replicationMode": "Partial",
            },
            "replicationMode",
        ),
        ({"type": "VHD", "runOutputName": "v", "uri": "ftp://x"}, "uri"),
        ({"type": "Docker", "runOutputName": "d"}, "'type' has a bad value"),
    ],
)
def test_distributor_rules(target: dict[str, Any], expected: str) -> None:
    body = template()
    body["properties"]["distribute"] = [target]
    assert expected in refused(body).message


def test_distribute_is_required_and_not_empty() -> None:
    body = template()
    body["properties"]["distribute"] = []
    assert "At least one" in refused(body).message
    del body["properties"]["distribute"]
    assert "Missing field 'distribute'" in refused(body).message


@pytest.mark.parametrize(
    ("vnet", "expected"),
    [
        ({"containerInstanceSubnetId": ACI_SUBNET}, "only if 'subnetId'"),
        (
            {
                "subnetId": SUBNET,
                "containerInstanceSubnetId": ACI_SUBNET,
                "proxyVmSize": "Standard_A1_v2",
            },
            "proxyVmSize",
        ),
        (
            {
                "subnetId": SUBNET,
                "containerInstanceSubnetId": ACI_SUBNET.replace("vnet/", "other/"),
            },
            "same virtual network",
        ),
        ({"subnetId": "/bad"}, "subnetId"),
    ],
)
def test_vnet_config_exclusions(vnet: dict[str, Any], expected: str) -> None:
    body = template()
    body["properties"]["vmProfile"] = {"vnetConfig": vnet}
    assert expected in refused(body).message


def test_validate_and_error_handling_values() -> None:
    body = template()
    body["properties"]["validate"] = {"sourceValidationOnly": True, "inVMValidations": []}
    assert "'customize' cannot" in refused(body).message
    body["properties"]["errorHandling"] = {"onCustomizerError": "retry"}
    body["properties"].pop("validate")
    assert "onCustomizerError" in refused(body).message


def test_unknown_fields_refused_from_2024_02_01_and_ignored_before() -> None:
    body = template()
    body["properties"]["optimize"] = {"vmboot": {"state": "Enabled"}}
    error = refused(body, NEW)
    assert error.code == "InvalidRequestContent"
    assert 'unknown field "vmboot"' in error.message
    rules.validate_template(body, OLD)


def test_read_only_fields_from_a_get_are_accepted() -> None:
    body = template()
    body["properties"].update({"provisioningState": "Succeeded", "exactStagingResourceGroup": "x"})
    body["properties"]["source"]["exactVersion"] = "1.2.3"
    rules.validate_template(body, NEW)


def test_update_accepts_only_the_documented_parts() -> None:
    rules.validate_update(
        {"tags": {"a": "b"}, "properties": {"vmProfile": {"vmSize": "Standard_D4s_v5"}}}, NEW
    )
    with pytest.raises(rules.RuleViolation) as caught:
        rules.validate_update({"properties": {"customize": []}}, NEW)
    assert "properties.customize" in caught.value.message
    with pytest.raises(rules.RuleViolation):
        rules.validate_update({"location": "westus"}, NEW)
    with pytest.raises(rules.RuleViolation):
        rules.validate_update({"properties": {"distribute": [{"type": "VHD"}]}}, NEW)


def test_vm_profile_is_updatable_from_2024_02_01_only() -> None:
    update = {"properties": {"vmProfile": {"vmSize": "Standard_D4s_v5"}}}
    rules.validate_update(update, "2024-02-01")
    with pytest.raises(rules.RuleViolation):
        rules.validate_update(update, "2023-07-01")
    rules.validate_update({"tags": {"a": "b"}}, "2020-02-14")


def test_apply_update_replaces_only_updatable_parts() -> None:
    stored = {
        "tags": {"old": "1"},
        "properties": rules.normalize_properties(template()["properties"]),
    }
    updated = rules.apply_update(
        stored, {"tags": {"new": "2"}, "properties": {"vmProfile": {"vmSize": "Standard_D4s_v5"}}}
    )
    assert updated["tags"] == {"new": "2"}
    assert updated["properties"]["vmProfile"] == {"vmSize": "Standard_D4s_v5", "osDiskSizeGB": 0}
    assert updated["properties"]["customize"] == stored["properties"]["customize"]
    assert stored["tags"] == {"old": "1"}


def test_normalisation_fills_service_defaults_and_drops_read_only_input() -> None:
    properties = template()["properties"]
    properties["provisioningState"] = "Failed"
    properties["distribute"][0]["targetRegions"] = [{"name": "eastus"}]
    result = rules.normalize_properties(copy.deepcopy(properties))
    assert "provisioningState" not in result
    assert result["buildTimeoutInMinutes"] == 0
    assert result["vmProfile"] == {"vmSize": "", "osDiskSizeGB": 0}
    assert result["distribute"][0]["excludeFromLatest"] is False
    assert result["distribute"][0]["targetRegions"] == [
        {"name": "eastus", "replicaCount": 1, "storageAccountType": "Standard_LRS"}
    ]


def test_older_api_versions_ignore_fields_they_do_not_know() -> None:
    properties = template()["properties"]
    properties["autoRun"] = {"state": "Enabled"}
    properties["errorHandling"] = {"onCustomizerError": "abort"}
    properties["distribute"][0]["versioning"] = {"scheme": "Latest"}
    old = rules.normalize_properties(copy.deepcopy(properties), "2022-02-14")
    assert "autoRun" not in old and "errorHandling" not in old
    assert "versioning" not in old["distribute"][0]
    new = rules.normalize_properties(copy.deepcopy(properties), "2024-02-01")
    assert new["autoRun"] == {"state": "Enabled"} and new["distribute"][0]["versioning"]


def test_staging_group_name() -> None:
    assert rules.staging_resource_group_name("rg", "t1", "abc") == "IT_rg_t1_abc"


def test_provisioning_errors_for_missing_references() -> None:
    existing = {GALLERY_IMAGE.lower()}

    def lookup(resource_id: str) -> dict[str, Any] | None:
        return {} if resource_id.lower() in existing else None

    properties = template()["properties"]
    assert rules.provisioning_error(properties, lookup) is None
    properties["source"] = {"type": "ManagedImage", "imageId": MANAGED_IMAGE}
    code, message = rules.provisioning_error(properties, lookup) or ("", "")
    assert code == "BadManagedImageSource" and MANAGED_IMAGE in message
    properties["source"] = {
        "type": "SharedImageVersion",
        "imageVersionId": GALLERY_IMAGE + "/versions/latest",
    }
    assert rules.provisioning_error(properties, lookup) is None
    properties["distribute"][0]["galleryImageId"] = GALLERY_IMAGE + "x"
    code, _ = rules.provisioning_error(properties, lookup) or ("", "")
    assert code == "BadSharedImageDistribute"
