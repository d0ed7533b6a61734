# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image definition rules: features, immutable fields, bodies and predictions."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.goldenimage.azure.plugins.module_utils import _gallery_api as gallery
from ansible_collections.goldenimage.azure.plugins.module_utils import _gallery_image_api as api

IMAGE_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-images"
    "/providers/Microsoft.Compute/galleries/gal1/images/ubuntu-2404"
)


def arm_image(**properties: Any) -> dict[str, Any]:
    """An image definition the way ARM returns it (shape of a recorded 2026-03-03 response)."""
    base = {
        "identifier": {"publisher": "contoso", "offer": "ubuntu", "sku": "24_04-lts"},
        "osType": "Linux",
        "osState": "Generalized",
        "hyperVGeneration": "V2",
        "architecture": "x64",
        "features": [{"name": "SecurityType", "value": "TrustedLaunchSupported"}],
        "provisioningState": "Succeeded",
    }
    base.update(properties)
    return {
        "id": IMAGE_ID,
        "name": "ubuntu-2404",
        "type": "Microsoft.Compute/galleries/images",
        "location": "eastus",
        "tags": {},
        "properties": base,
    }


def params(**overrides: Any) -> dict[str, Any]:
    names = [
        "location",
        "description",
        "publisher",
        "offer",
        "sku",
        "os_type",
        "os_state",
        "hyper_v_generation",
        "architecture",
        "security_type",
        "accelerated_networking",
        "disk_controller_types",
        "hibernation",
        "features",
        "recommended_vcpus",
        "recommended_memory",
        "disallowed_disk_types",
        "purchase_plan",
        "eula",
        "privacy_statement_uri",
        "release_note_uri",
        "end_of_life_date",
    ]
    base: dict[str, Any] = dict.fromkeys(names)
    base.update(
        name="ubuntu-2404", publisher="contoso", offer="ubuntu", sku="24_04-lts", os_type="Linux"
    )
    base.update(overrides)
    return base


# --- state shaping ------------------------------------------------------------------------


def test_typed_features_are_lifted_out_of_the_feature_list() -> None:
    features = [
        {"name": "SecurityType", "value": "trustedlaunchandconfidentialvmsupported"},
        {"name": "IsAcceleratedNetworkSupported", "value": "true"},
        {"name": "DiskControllerTypes", "value": "NVMe, SCSI"},
        {"name": "IsHibernateSupported", "value": "False"},
        {"name": "IsSomethingNew", "value": "Yes", "startsAtVersion": "1.2.0"},
    ]
    state = api.image_state(arm_image(features=features))
    assert state["security_type"] == "TrustedLaunchAndConfidentialVMSupported"
    assert state["accelerated_networking"] is True
    assert state["disk_controller_types"] == ["NVMe", "SCSI"]
    assert state["hibernation"] is False
    assert state["features"] == [
        {"name": "IsSomethingNew", "value": "Yes", "starts_at_version": "1.2.0"}
    ]


def test_no_security_feature_reads_as_standard() -> None:
    assert api.image_state(arm_image(features=None))["security_type"] == "Standard"


def test_state_names_reuse_options_and_normalise_values() -> None:
    body = arm_image(
        osType="linux",
        endOfLifeDate="2030-12-31T00:00:00.0000000+00:00",
        recommended={"vCPUs": {"min": 2, "max": 16}},
        disallowed={"diskTypes": ["standard_lrs"]},
    )
    body["location"] = "East US"
    state = api.image_state(body)
    assert state["gallery_name"] == "gal1"
    assert state["resource_group"] == "rg-images"
    assert state["location"] == "eastus"
    assert state["os_type"] == "Linux"
    assert state["end_of_life_date"] == "2030-12-31T00:00:00Z"
    assert state["recommended_vcpus"] == {"min": 2, "max": 16}
    assert state["recommended_memory"] is None
    assert state["disallowed_disk_types"] == ["Standard_LRS"]


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "option"),
    [
        ({"name": "-bad"}, "name"),
        ({"recommended_vcpus": {"min": 8, "max": 2}}, "recommended_vcpus"),
        ({"recommended_memory": {"min": 0, "max": 2}}, "recommended_memory.min"),
        ({"privacy_statement_uri": "not a url"}, "privacy_statement_uri"),
        ({"release_note_uri": "ftp://example.com/notes"}, "release_note_uri"),
        ({"end_of_life_date": "someday"}, "end_of_life_date"),
        ({"features": [{"name": "SecurityType", "value": "TrustedLaunch"}]}, "features"),
        ({"features": [{"name": "A", "value": "1"}, {"name": "a", "value": "2"}]}, "features"),
        ({"sku": " "}, "sku"),
    ],
)
def test_bad_input_names_the_option(overrides: dict[str, Any], option: str) -> None:
    with pytest.raises(gallery.GalleryInputError) as caught:
        api.desired_image(params(**overrides), None)
    assert caught.value.option == option


def test_trusted_launch_needs_generation_two() -> None:
    desired = api.desired_image(params(security_type="TrustedLaunch"), None)
    predicted = api.predicted_new_image(
        desired, resource_id=IMAGE_ID, name="ubuntu-2404", location="eastus"
    )
    with pytest.raises(gallery.GalleryInputError) as caught:
        api.validate_combination(predicted)
    assert caught.value.option == "security_type"
    assert "V1" in str(caught.value)


# --- comparison -----------------------------------------------------------------------------


def test_same_definition_in_other_spelling_needs_no_change() -> None:
    current = api.image_state(
        arm_image(
            features=[
                {"name": "securitytype", "value": "TrustedLaunchSupported"},
                {"name": "DiskControllerTypes", "value": "SCSI, NVMe"},
            ],
            endOfLifeDate="2030-12-31T00:00:00+00:00",
        )
    )
    desired = api.desired_image(
        params(
            location="East US",
            os_state="Generalized",
            hyper_v_generation="V2",
            security_type="TrustedLaunchSupported",
            disk_controller_types=["NVMe", "SCSI"],
            end_of_life_date="2030-12-31",
        ),
        {},
    )
    assert gallery.find_differences(current, desired) == []


def test_immutable_changes_are_listed_with_current_and_requested_values() -> None:
    current = api.image_state(arm_image())
    desired = api.desired_image(
        params(sku="22_04-lts", os_type="Windows", security_type="TrustedLaunch"), None
    )
    conflicts = api.immutable_conflicts(current, desired, allow_update_image=False)
    assert conflicts == [
        gallery.Difference("sku", "24_04-lts", "22_04-lts"),
        gallery.Difference("os_type", "Linux", "Windows"),
        gallery.Difference("security_type", "TrustedLaunchSupported", "TrustedLaunch"),
    ]
    message = api.immutable_message("ubuntu-2404", conflicts)
    assert "sku: current '24_04-lts', requested '22_04-lts'" in message
    assert "allow_update_image=true" in message


def test_allow_update_image_lets_features_change() -> None:
    current = api.image_state(arm_image())
    desired = api.desired_image(params(security_type="TrustedLaunch", hibernation=True), None)
    assert api.immutable_conflicts(current, desired, allow_update_image=True) == []
    assert [d.path for d in gallery.find_differences(current, desired)] == [
        "security_type",
        "hibernation",
    ]


def test_mutable_fields_are_not_conflicts() -> None:
    current = api.image_state(arm_image())
    desired = api.desired_image(params(description="new", end_of_life_date="2031-01-01"), None)
    assert api.immutable_conflicts(current, desired, allow_update_image=False) == []


# --- bodies and predictions ------------------------------------------------------------------


def test_body_round_trips_through_the_state() -> None:
    desired = api.desired_image(
        params(
            os_state="Generalized",
            hyper_v_generation="V2",
            security_type="TrustedLaunchAndConfidentialVMSupported",
            accelerated_networking=True,
            disk_controller_types=["NVMe", "SCSI"],
            features=[{"name": "IsSomethingNew", "value": "Yes"}],
            recommended_vcpus={"min": 2, "max": 8},
            purchase_plan={"name": "plan", "publisher": "contoso", "product": "ubuntu"},
            end_of_life_date="2030-12-31",
        ),
        {"team": "images"},
    )
    predicted = api.predicted_new_image(
        desired, resource_id=IMAGE_ID, name="ubuntu-2404", location="eastus"
    )
    body = api.image_body(predicted)
    assert body["properties"]["features"] == [
        {"name": "SecurityType", "value": "TrustedLaunchAndConfidentialVmSupported"},
        {"name": "IsAcceleratedNetworkSupported", "value": "True"},
        {"name": "DiskControllerTypes", "value": "SCSI, NVMe"},
        {"name": "IsSomethingNew", "value": "Yes"},
    ]
    assert "allowUpdateImage" not in body["properties"]
    # What the service stores and returns reads back as the predicted state.
    returned = {**body, "id": IMAGE_ID, "name": "ubuntu-2404"}
    returned["properties"] = {**body["properties"], "provisioningState": "Succeeded"}
    assert api.image_state(returned) == predicted


def test_standard_security_sends_no_security_feature() -> None:
    desired = api.desired_image(params(security_type="Standard"), None)
    predicted = api.predicted_new_image(
        desired, resource_id=IMAGE_ID, name="ubuntu-2404", location="eastus"
    )
    assert "features" not in api.image_body(predicted)["properties"]
    assert predicted["hyper_v_generation"] == "V1"
    assert predicted["architecture"] == "x64"


def test_allow_update_image_travels_in_the_body_when_asked() -> None:
    state = api.image_state(arm_image())
    assert api.image_body(state, allow_update_image=True)["properties"]["allowUpdateImage"] is True


def test_unchanged_features_keep_the_spelling_azure_stores() -> None:
    stored = [
        {"name": "DiskControllerTypes", "value": "NVMe, SCSI"},
        {"name": "isacceleratednetworksupported", "value": "true"},
        {"name": "SecurityType", "value": "TrustedLaunchSupported"},
    ]
    state = api.image_state(arm_image(features=stored))
    state["security_type"] = "TrustedLaunch"  # the one real change
    features = api.image_body(state, current_features=stored)["properties"]["features"]
    assert features == [
        {"name": "SecurityType", "value": "TrustedLaunch"},
        {"name": "isacceleratednetworksupported", "value": "true"},
        {"name": "DiskControllerTypes", "value": "NVMe, SCSI"},
    ]


def test_identifier_differing_only_in_case_is_not_a_conflict() -> None:
    current = api.image_state(arm_image())
    desired = api.desired_image(params(publisher="Contoso", sku="24_04-LTS"), None)
    aligned = api.align_identifier_case(current, desired)
    assert aligned["publisher"] == "contoso" and aligned["sku"] == "24_04-lts"
    assert api.immutable_conflicts(current, aligned, allow_update_image=False) == []
    other = api.align_identifier_case(current, api.desired_image(params(sku="22_04-lts"), None))
    assert [d.path for d in api.immutable_conflicts(current, other, False)] == ["sku"]
