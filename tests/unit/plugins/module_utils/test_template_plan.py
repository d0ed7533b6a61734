# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The update strategy of image templates: nothing, PATCH, replace, refuse."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ansible_collections.goldenimage.azure.plugins.module_utils._template_plan import (
    DesiredTemplate,
    clean_properties,
    plan_template,
)

RG = "/subscriptions/sub/resourceGroups/images"
IDENTITY = f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/builder"
OTHER_IDENTITY = f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/other"
GALLERY_IMAGE = f"{RG}/providers/Microsoft.Compute/galleries/gal/images/ubuntu"


def desired_properties() -> dict[str, Any]:
    return {
        "source": {
            "type": "PlatformImage",
            "publisher": "Canonical",
            "offer": "o",
            "sku": "s",
            "version": "latest",
        },
        "customize": [{"type": "Shell", "name": "update", "inline": ["apt-get update"]}],
        "distribute": [
            {
                "type": "SharedImage",
                "runOutputName": "gallery",
                "galleryImageId": GALLERY_IMAGE,
                "targetRegions": [{"name": "East US"}, {"name": "westeurope", "replicaCount": 2}],
            },
            {"type": "VHD", "runOutputName": "vhd"},
        ],
        "vmProfile": {"vmSize": "Standard_D2s_v3"},
    }


def desired(**changes: Any) -> DesiredTemplate:
    fields: dict[str, Any] = {
        "location": "East US",
        "identity": {"type": "UserAssigned", "userAssignedIdentities": {IDENTITY: {}}},
        "properties": desired_properties(),
        "tags": {"env": "test"},
    }
    fields.update(changes)
    return DesiredTemplate(**fields)


def server_echo(template: DesiredTemplate) -> dict[str, Any]:
    """What Azure returns after creating ``template``: defaults filled in, ids re-cased, read-only fields."""
    properties = copy.deepcopy(template.properties)
    properties["source"]["exactVersion"] = "24.04.202511010"
    properties["customize"][0].update(sha256Checksum="")
    for target in properties["distribute"]:
        target.setdefault("artifactTags", {})
        if target["type"] == "SharedImage":
            target["galleryImageId"] = target["galleryImageId"].upper()
            target["excludeFromLatest"] = False
            target["targetRegions"] = [
                {
                    "name": region["name"].replace(" ", "").lower(),
                    "replicaCount": region.get("replicaCount", 1),
                    "storageAccountType": "Standard_LRS",
                }
                for region in reversed(target["targetRegions"])
            ]
        if target["type"] == "VHD":
            target["uri"] = ""
    properties["distribute"].reverse()
    properties["vmProfile"].update(osDiskSizeGB=0, userAssignedIdentities=[])
    properties.update(
        buildTimeoutInMinutes=0,
        provisioningState="Succeeded",
        lastRunStatus={"runState": "Succeeded", "runSubState": "Distributing"},
        exactStagingResourceGroup="/subscriptions/sub/resourceGroups/IT_images_golden_1234",
        autoRun={"state": "Disabled"},
    )
    return {
        "id": f"{RG}/providers/Microsoft.VirtualMachineImages/imageTemplates/golden",
        "name": "golden",
        "location": "eastus",
        "tags": dict(template.tags or {}),
        "identity": {
            "type": "UserAssigned",
            "userAssignedIdentities": {IDENTITY.lower(): {"principalId": "p", "clientId": "c"}},
        },
        "properties": properties,
    }  # fmt: skip


def running(current: dict[str, Any]) -> dict[str, Any]:
    current["properties"]["lastRunStatus"] = {"runState": "Running", "runSubState": "Customizing"}
    return current


def test_absent_template_is_created_with_the_put_body() -> None:
    plan = plan_template("golden", desired(), None)
    assert plan.action == "create"
    assert plan.changed
    assert plan.body is not None
    assert plan.body["properties"] == desired_properties()
    assert plan.body["tags"] == {"env": "test"}
    assert plan.diff["before"] == {}


def test_server_echo_of_the_same_definition_is_no_change() -> None:
    plan = plan_template("golden", desired(), server_echo(desired()))
    assert plan.action == "none", plan.changes
    assert not plan.changed
    assert plan.patch is None and plan.body is None


@pytest.mark.parametrize(
    ("change", "expected_changes"),
    [
        ({"tags": {"env": "prod"}}, ("tags",)),
        (
            {"identity": {"type": "UserAssigned", "userAssignedIdentities": {OTHER_IDENTITY: {}}}},
            ("identity",),
        ),
    ],
)
def test_identity_and_tags_are_patched(
    change: dict[str, Any], expected_changes: tuple[str, ...]
) -> None:
    plan = plan_template("golden", desired(**change), server_echo(desired()))
    assert plan.action == "update"
    assert plan.changes == expected_changes
    assert plan.patch is not None
    assert set(plan.patch) == {expected_changes[0]}


def test_distribute_and_vm_profile_are_patched_with_only_those_fields() -> None:
    properties = desired_properties()
    properties["distribute"][0]["targetRegions"].append({"name": "northeurope"})
    properties["vmProfile"] = {"vmSize": "Standard_D4s_v3", "osDiskSizeGB": 128}
    plan = plan_template("golden", desired(properties=properties), server_echo(desired()))
    assert plan.action == "update"
    assert plan.changes == ("properties.distribute", "properties.vmProfile")
    assert plan.patch == {
        "properties": {
            "distribute": properties["distribute"],
            "vmProfile": {
                "vmSize": "Standard_D4s_v3",
                "osDiskSizeGB": 128,
                "userAssignedIdentities": [],
            },
        }
    }
    assert plan.before is not None and plan.after is not None
    assert plan.before["properties"]["vmProfile"] == {"vmSize": "Standard_D2s_v3"}
    assert plan.after["properties"]["vmProfile"]["osDiskSizeGB"] == 128


def test_dropping_a_vnet_config_clears_it_in_the_patch() -> None:
    with_vnet = desired_properties()
    with_vnet["vmProfile"]["vnetConfig"] = {
        "subnetId": f"{RG}/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
    }
    plan = plan_template("golden", desired(), server_echo(desired(properties=with_vnet)))
    assert plan.patch is not None
    assert plan.patch["properties"]["vmProfile"]["vnetConfig"] is None


@pytest.mark.parametrize(
    ("mutate", "immutable"),
    [
        (
            lambda p: p["customize"].append({"type": "Shell", "name": "more", "inline": ["true"]}),
            "properties.customize",
        ),
        (lambda p: p["source"].update(sku="other"), "properties.source"),
        (lambda p: p.update(buildTimeoutInMinutes=90), "properties.buildTimeoutInMinutes"),
        (lambda p: p.update(validate={"continueDistributeOnFailure": True}), "properties.validate"),
    ],
)
def test_an_immutable_change_replaces_the_template(mutate: Any, immutable: str) -> None:
    properties = desired_properties()
    mutate(properties)
    plan = plan_template("golden", desired(properties=properties), server_echo(desired()))
    assert plan.action == "replace"
    assert plan.immutable_changes == (immutable,)
    assert plan.body is not None and plan.body["properties"] == properties
    assert plan.patch is None


def test_a_location_change_replaces_the_template() -> None:
    plan = plan_template("golden", desired(location="westeurope"), server_echo(desired()))
    assert plan.action == "replace"
    assert plan.immutable_changes == ("location",)


def test_mixed_changes_replace_and_keep_the_new_tags() -> None:
    properties = desired_properties()
    properties["source"]["version"] = "24.04.1"
    plan = plan_template(
        "golden", desired(properties=properties, tags={"env": "prod"}), server_echo(desired())
    )
    assert plan.action == "replace"
    assert plan.changes == ("tags", "properties.source")
    assert plan.body is not None and plan.body["tags"] == {"env": "prod"}


def test_tags_not_given_are_left_alone_and_carried_over_on_replace() -> None:
    properties = desired_properties()
    properties["source"]["version"] = "24.04.1"
    plan = plan_template(
        "golden", desired(properties=properties, tags=None), server_echo(desired())
    )
    assert plan.changes == ("properties.source",)
    assert plan.body is not None and plan.body["tags"] == {"env": "test"}


def test_replace_never_refuses_with_the_immutable_fields_named() -> None:
    properties = desired_properties()
    properties["source"]["sku"] = "other"
    plan = plan_template(
        "golden", desired(properties=properties), server_echo(desired()), replace="never"
    )
    assert (
        plan.refusal is not None
        and "properties.source" in plan.refusal
        and "replace=never" in plan.refusal
    )
    assert not plan.changed
    assert plan.body is None
    assert plan.diff["after"]["properties"]["source"]["sku"] == "other"


def test_replace_never_still_patches_mutable_changes() -> None:
    plan = plan_template("golden", desired(tags={}), server_echo(desired()), replace="never")
    assert plan.action == "update" and plan.refusal is None
    assert plan.patch == {"tags": {}}


@pytest.mark.parametrize("tags", [{"env": "prod"}, None])
def test_a_running_build_blocks_every_write(tags: dict[str, str] | None) -> None:
    properties = desired_properties()
    if tags is None:
        properties["source"]["sku"] = "other"
    plan = plan_template(
        "golden", desired(properties=properties, tags=tags), running(server_echo(desired()))
    )
    assert plan.refusal is not None and "cancel_running_build" in plan.refusal
    assert not plan.changed


def test_a_running_build_is_canceled_first_when_asked() -> None:
    plan = plan_template(
        "golden",
        desired(tags={"env": "prod"}),
        running(server_echo(desired())),
        cancel_running_build=True,
    )
    assert plan.refusal is None and plan.cancel_first
    assert plan.action == "update"


def test_a_running_build_does_not_matter_when_nothing_changes() -> None:
    plan = plan_template("golden", desired(), running(server_echo(desired())))
    assert plan.action == "none" and plan.refusal is None


def test_delete_plans() -> None:
    current = server_echo(desired())
    assert plan_template("golden", None, None).action == "none"
    plan = plan_template("golden", None, current)
    assert plan.action == "delete" and plan.changed and plan.diff["after"] == {}
    blocked = plan_template("golden", None, running(current))
    assert blocked.refusal is not None
    assert plan_template("golden", None, running(current), cancel_running_build=True).cancel_first


def test_raw_template_fields_newer_than_the_module_are_compared() -> None:
    properties = desired_properties()
    properties["futureSetting"] = {"mode": "fast"}
    current = server_echo(desired(properties=copy.deepcopy(properties)))
    assert plan_template("golden", desired(properties=properties), current).action == "none"
    properties["futureSetting"] = {"mode": "slow"}
    plan = plan_template("golden", desired(properties=properties), current)
    assert plan.action == "replace" and plan.immutable_changes == ("properties.futureSetting",)


def test_server_fields_unknown_to_the_module_are_ignored() -> None:
    current = server_echo(desired())
    current["properties"]["someNewReadOnlyField"] = "x"
    assert plan_template("golden", desired(), current).action == "none"


def test_clean_properties_keeps_casing_unless_folding() -> None:
    properties = {
        "distribute": [{"type": "SharedImage", "runOutputName": "g", "galleryImageId": "/A/B"}]
    }
    assert clean_properties(properties)["distribute"][0]["galleryImageId"] == "/A/B"
    assert clean_properties(properties, fold=True)["distribute"][0]["galleryImageId"] == "/a/b"
