# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The gallery rules: normalisation, comparison, sharing plans, deletion plans."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.goldenimage.azure.plugins.module_utils import _gallery_api as api

SUB = "00000000-0000-0000-0000-000000000001"
GALLERY_ID = (
    f"/subscriptions/{SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/gal1"
)
OTHER_SUB = "AAAAAAAA-0000-0000-0000-000000000002"
TENANT = "bbbbbbbb-0000-0000-0000-000000000003"


def arm_gallery(**properties: Any) -> dict[str, Any]:
    """A gallery the way ARM returns it (shape of a recorded 2026-03-03 response)."""
    return {
        "id": GALLERY_ID,
        "name": "gal1",
        "type": "Microsoft.Compute/galleries",
        "location": "eastus",
        "tags": {"env": "dev"},
        "properties": {
            "description": "images",
            "identifier": {"uniqueName": f"{SUB}-GAL1"},
            "provisioningState": "Succeeded",
            **properties,
        },
    }


def params(**overrides: Any) -> dict[str, Any]:
    base = {
        "name": "gal1",
        "location": None,
        "description": None,
        "sharing": None,
        "soft_delete": None,
    }
    base.update(overrides)
    return base


# --- normalisation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [("East US", "eastus"), ("eastus", "eastus"), ("West Europe", "westeurope"), (None, None)],
)
def test_locations_compare_the_way_arm_returns_them(
    given: str | None, expected: str | None
) -> None:
    assert api.normalize_location(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2030-12-31", "2030-12-31T00:00:00Z"),
        ("2030-12-31T00:00:00Z", "2030-12-31T00:00:00Z"),
        ("2030-12-31T00:00:00.0000000+00:00", "2030-12-31T00:00:00Z"),
        ("2030-12-31T02:00:00+02:00", "2030-12-31T00:00:00Z"),
        ("2030-12-31T00:00:00", "2030-12-31T00:00:00Z"),
    ],
)
def test_dates_become_one_utc_instant(given: str, expected: str) -> None:
    assert api.utc_instant(given) == expected


def test_a_date_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValueError):
        api.utc_instant("next tuesday")


def test_enum_values_take_the_documented_spelling() -> None:
    assert api.canonical_choice("groups", api.SHARING_PERMISSIONS) == "Groups"
    assert api.canonical_choice("Unheard", api.SHARING_PERMISSIONS) == "Unheard"


@pytest.mark.parametrize("name", ["gal1", "My_Gallery.v2", "a"])
def test_valid_gallery_names_pass(name: str) -> None:
    api.validate_gallery_name(name)


@pytest.mark.parametrize("name", ["_gal", "gal-", "gal.", "has space", "x" * 81, ""])
def test_invalid_gallery_names_name_the_option(name: str) -> None:
    with pytest.raises(api.GalleryInputError) as caught:
        api.validate_gallery_name(name)
    assert caught.value.option == "name"


# --- state shaping ---------------------------------------------------------------------


def test_gallery_state_uses_option_names_and_normalised_values() -> None:
    body = arm_gallery(
        sharingProfile={
            "permissions": "groups",
            "groups": [
                {"type": "Subscriptions", "ids": [OTHER_SUB]},
                {"type": "AADTenants", "ids": [TENANT]},
            ],
        },
        softDeletePolicy={"isSoftDeleteEnabled": True, "retentionPeriodInDays": 7},
    )
    body["location"] = "East US"
    state = api.gallery_state(body)
    assert state["resource_group"] == "rg-images"
    assert state["location"] == "eastus"
    assert state["unique_name"] == f"{SUB}-GAL1"
    assert state["sharing"] == {
        "permission": "Groups",
        "subscriptions": [OTHER_SUB.lower()],
        "tenants": [TENANT],
        "community": None,
    }
    assert state["soft_delete"] == {"enabled": True, "retention_days": 7, "grace_days": None}


def test_a_gallery_without_sharing_profile_is_private() -> None:
    state = api.gallery_state(arm_gallery())
    assert state["sharing"]["permission"] == "Private"
    assert state["soft_delete"]["enabled"] is False


# --- desired state and validation -------------------------------------------------------


def test_direct_sharing_without_groups_permission_names_the_option() -> None:
    with pytest.raises(api.GalleryInputError) as caught:
        api.desired_gallery(
            params(sharing={"permission": "Private", "subscriptions": [OTHER_SUB]}), None
        )
    assert caught.value.option == "sharing.subscriptions"


def test_community_sharing_needs_every_community_field() -> None:
    sharing = {"permission": "Community", "community": {"publisher_uri": "https://example.com"}}
    with pytest.raises(api.GalleryInputError) as caught:
        api.desired_gallery(params(sharing=sharing), None)
    assert "sharing.community.eula" in str(caught.value)


def test_community_contact_must_be_an_email() -> None:
    community = {
        "publisher_uri": "https://example.com",
        "publisher_contact": "nobody",
        "eula": "https://example.com/eula",
        "public_name_prefix": "contoso",
    }
    with pytest.raises(api.GalleryInputError) as caught:
        api.desired_gallery(
            params(sharing={"permission": "Community", "community": community}), None
        )
    assert caught.value.option == "sharing.community.publisher_contact"


def test_soft_delete_retention_must_be_positive() -> None:
    with pytest.raises(api.GalleryInputError) as caught:
        api.desired_gallery(params(soft_delete={"enabled": True, "retention_days": 0}), None)
    assert caught.value.option == "soft_delete.retention_days"


def test_unset_options_are_not_desired() -> None:
    desired = api.desired_gallery(params(), None)
    assert api.find_differences(api.gallery_state(arm_gallery()), desired) == []


# --- comparison and plans -----------------------------------------------------------------


def test_same_state_in_other_spelling_needs_no_change() -> None:
    current = api.gallery_state(
        arm_gallery(
            sharingProfile={
                "permissions": "Groups",
                "groups": [{"type": "Subscriptions", "ids": [OTHER_SUB]}],
            }
        )
    )
    desired = api.desired_gallery(
        params(
            location="East US",
            description="images",
            sharing={"permission": "Groups", "subscriptions": [OTHER_SUB.lower()], "tenants": None},
        ),
        {"env": "dev"},
    )
    plan = api.plan_gallery_update(current, desired)
    assert not plan.changed


def test_description_change_is_one_put() -> None:
    current = api.gallery_state(arm_gallery())
    desired = api.desired_gallery(params(description="new"), None)
    plan = api.plan_gallery_update(current, desired)
    assert plan == api.GalleryPlan(reset=False, put=True, share_updates=())
    assert api.find_differences(current, desired) == [
        api.Difference("description", "images", "new")
    ]


def test_group_sharing_from_private_sets_permission_then_adds() -> None:
    current = api.gallery_state(arm_gallery())
    desired = api.desired_gallery(
        params(sharing={"permission": "Groups", "subscriptions": [OTHER_SUB], "tenants": [TENANT]}),
        None,
    )
    plan = api.plan_gallery_update(current, desired)
    assert plan.put and not plan.reset
    assert plan.share_updates == (
        {
            "operationType": "Add",
            "groups": [
                {"type": "Subscriptions", "ids": [OTHER_SUB.lower()]},
                {"type": "AADTenants", "ids": [TENANT]},
            ],
        },
    )


def test_group_lists_are_reconciled_with_add_and_remove_only() -> None:
    kept, dropped, added = SUB, OTHER_SUB.lower(), "cccccccc-0000-0000-0000-000000000004"
    current = api.gallery_state(
        arm_gallery(
            sharingProfile={
                "permissions": "Groups",
                "groups": [{"type": "Subscriptions", "ids": [kept, dropped]}],
            }
        )
    )
    desired = api.desired_gallery(
        params(sharing={"permission": "Groups", "subscriptions": [kept, added]}), None
    )
    plan = api.plan_gallery_update(current, desired)
    assert not plan.put and not plan.reset
    assert plan.share_updates == (
        {"operationType": "Remove", "groups": [{"type": "Subscriptions", "ids": [dropped]}]},
        {"operationType": "Add", "groups": [{"type": "Subscriptions", "ids": [added]}]},
    )


def test_tenants_left_out_are_left_alone() -> None:
    current = api.gallery_state(
        arm_gallery(
            sharingProfile={
                "permissions": "Groups",
                "groups": [{"type": "AADTenants", "ids": [TENANT]}],
            }
        )
    )
    desired = api.desired_gallery(
        params(sharing={"permission": "Groups", "subscriptions": []}), None
    )
    assert not api.plan_gallery_update(current, desired).changed


def test_back_to_private_is_a_reset_only() -> None:
    current = api.gallery_state(
        arm_gallery(
            sharingProfile={
                "permissions": "Groups",
                "groups": [{"type": "Subscriptions", "ids": [SUB]}],
            }
        )
    )
    desired = api.desired_gallery(params(sharing={"permission": "Private"}), None)
    assert api.plan_gallery_update(current, desired) == api.GalleryPlan(
        reset=True, put=False, share_updates=()
    )
    predicted = api.predicted_gallery_update(current, desired)
    assert predicted["sharing"] == {
        "permission": "Private",
        "subscriptions": [],
        "tenants": [],
        "community": None,
    }


def test_community_sharing_puts_the_info_then_enables_it() -> None:
    community = {
        "publisher_uri": "https://contoso.example",
        "publisher_contact": "images@contoso.example",
        "eula": "https://contoso.example/eula",
        "public_name_prefix": "contoso",
    }
    current = api.gallery_state(arm_gallery())
    desired = api.desired_gallery(
        params(sharing={"permission": "Community", "community": community}), None
    )
    plan = api.plan_gallery_update(current, desired)
    assert plan.put and plan.share_updates == ({"operationType": "EnableCommunity"},)
    body = api.gallery_body(api.predicted_gallery_update(current, desired))
    assert body["properties"]["sharingProfile"] == {
        "permissions": "Community",
        "communityGalleryInfo": {
            "publisherUri": "https://contoso.example",
            "publisherContact": "images@contoso.example",
            "eula": "https://contoso.example/eula",
            "publicNamePrefix": "contoso",
        },
    }


def test_enabled_community_gallery_is_left_alone() -> None:
    info = {
        "publisherUri": "https://contoso.example",
        "publisherContact": "images@contoso.example",
        "eula": "https://contoso.example/eula",
        "publicNamePrefix": "contoso",
        "communityGalleryEnabled": True,
        "publicNames": ["contoso-1234"],
    }
    current = api.gallery_state(
        arm_gallery(sharingProfile={"permissions": "Community", "communityGalleryInfo": info})
    )
    community = {
        "publisher_uri": "https://contoso.example",
        "publisher_contact": "images@contoso.example",
        "eula": "https://contoso.example/eula",
        "public_name_prefix": "contoso",
    }
    desired = api.desired_gallery(
        params(sharing={"permission": "Community", "community": community}), None
    )
    assert not api.plan_gallery_update(current, desired).changed


def test_switching_groups_to_community_resets_first() -> None:
    community = {
        "publisher_uri": "https://contoso.example",
        "publisher_contact": "images@contoso.example",
        "eula": "https://contoso.example/eula",
        "public_name_prefix": "contoso",
    }
    current = api.gallery_state(
        arm_gallery(
            sharingProfile={
                "permissions": "Groups",
                "groups": [{"type": "Subscriptions", "ids": [SUB]}],
            }
        )
    )
    desired = api.desired_gallery(
        params(sharing={"permission": "Community", "community": community}), None
    )
    plan = api.plan_gallery_update(current, desired)
    assert plan.reset and plan.put
    assert plan.share_updates == ({"operationType": "EnableCommunity"},)


def test_new_gallery_prediction_matches_what_a_read_would_return() -> None:
    desired = api.desired_gallery(
        params(description="images", soft_delete={"enabled": True, "retention_days": 7}),
        {"env": "dev"},
    )
    predicted = api.predicted_new_gallery(
        desired, resource_id=GALLERY_ID, name="gal1", location="eastus"
    )
    returned = api.gallery_state(
        arm_gallery(softDeletePolicy={"isSoftDeleteEnabled": True, "retentionPeriodInDays": 7})
    )
    # The unique name is generated by Azure and cannot be predicted.
    returned["unique_name"] = None
    assert predicted == returned


def test_put_body_carries_only_writable_fields() -> None:
    state = api.gallery_state(
        arm_gallery(
            sharingProfile={
                "permissions": "Groups",
                "groups": [{"type": "Subscriptions", "ids": [SUB]}],
            }
        )
    )
    body = api.gallery_body(state)
    assert body == {
        "location": "eastus",
        "tags": {"env": "dev"},
        "properties": {"description": "images", "sharingProfile": {"permissions": "Groups"}},
    }


# --- deletion ---------------------------------------------------------------------------


def test_force_delete_goes_versions_then_definitions_then_gallery() -> None:
    images = [{"id": f"{GALLERY_ID}/images/b"}, {"id": f"{GALLERY_ID}/images/a"}]
    versions = [{"id": f"{GALLERY_ID}/images/a/versions/1.0.0"}]
    assert api.force_delete_plan(GALLERY_ID, images, versions) == [
        f"{GALLERY_ID}/images/a/versions/1.0.0",
        f"{GALLERY_ID}/images/a",
        f"{GALLERY_ID}/images/b",
        GALLERY_ID,
    ]


def test_refusal_names_the_definitions_and_the_way_out() -> None:
    message = api.refuse_delete_message("gal1", [{"name": "ubuntu"}, {"name": "win"}])
    assert "2 image definition(s) (ubuntu, win)" in message
    assert "force=true" in message
