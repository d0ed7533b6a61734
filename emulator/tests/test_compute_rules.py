"""Unit tests of the Microsoft.Compute rules: pure functions, no server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from azsim.core.errors import ArmError
from azsim.providers import compute_catalog as catalog
from azsim.providers import compute_rules as rules

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def lower_location(name: str) -> str:
    return name.replace(" ", "").lower()


def definition(**overrides: object) -> dict:
    props = {
        "identifier": {"publisher": "Contoso", "offer": "Base", "sku": "ubuntu"},
        "osType": "Linux",
        "osState": "Generalized",
        "hyperVGeneration": "V2",
    }
    props.update(overrides)
    return rules.normalize_definition(props)


def facts(**overrides: object) -> rules.SourceFacts:
    values: dict = {
        "resource_id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/images/i",
        "location": "eastus",
        "os_type": "Linux",
        "os_state": "Generalized",
        "hyper_v_generation": "V2",
    }
    values.update(overrides)
    return rules.SourceFacts(**values)


@pytest.mark.parametrize("name", ["g", "gallery_1", "my.gallery-2", "a" * 80])
def test_gallery_names_azure_accepts(name: str) -> None:
    rules.validate_gallery_name(name)


@pytest.mark.parametrize("name", ["_g", "-g", "g-", "g.", "a" * 81, "gal lery", "ga/l"])
def test_gallery_names_azure_refuses(name: str) -> None:
    with pytest.raises(ArmError) as caught:
        rules.validate_gallery_name(name)
    assert (caught.value.status, caught.value.code) == (400, "InvalidParameter")
    assert caught.value.target == "galleryName"


def test_version_names_are_three_int32_parts() -> None:
    assert rules.parse_version_name("2147483647.0.12") == (2147483647, 0, 12)
    for bad in ("1.0", "1.0.0.0", "2147483648.0.0", "-1.0.0", "a.b.c", "1.0.0-beta"):
        with pytest.raises(ArmError) as caught:
            rules.parse_version_name(bad)
        assert caught.value.code == "InvalidParameter"


def test_next_patch_version_compares_numerically() -> None:
    assert rules.next_patch_version([]) == "0.0.1"
    assert rules.next_patch_version(["1.0.9", "1.0.10", "0.9.99"]) == "1.0.11"
    assert rules.next_patch_version(["1.0.9", "2.1.0"], major=1) == "1.0.10"
    assert rules.next_patch_version(["2.1.0"], major=3) == "3.0.1"


def test_version_from_platform_version_keeps_the_platform_spelling() -> None:
    assert rules.version_from_platform_version("22.04.202409170") == "22.04.202409170"
    assert rules.parse_version_name("22.04.202409170") == (22, 4, 202409170)
    with pytest.raises(ArmError):
        rules.version_from_platform_version("9.4.9999999999")


def test_definition_defaults_and_required_properties() -> None:
    props = rules.normalize_definition(
        {"identifier": {"publisher": "p", "offer": "o", "sku": "s"}, "osType": "linux",
         "osState": "generalized"}
    )  # fmt: skip
    assert props["osType"] == "Linux"
    assert props["hyperVGeneration"] == "V1"
    assert props["architecture"] == "x64"
    for missing in ("identifier", "osType", "osState"):
        broken = {"identifier": {"publisher": "p", "offer": "o", "sku": "s"},
                  "osType": "Linux", "osState": "Generalized"}  # fmt: skip
        del broken[missing]
        with pytest.raises(ArmError) as caught:
            rules.normalize_definition(broken)
        assert caught.value.target == missing


def test_definition_security_type_needs_generation_2() -> None:
    with pytest.raises(ArmError) as caught:
        definition(
            hyperVGeneration="V1", features=[{"name": "SecurityType", "value": "TrustedLaunch"}]
        )
    assert caught.value.code == "InvalidParameter"
    assert definition(features=[{"name": "SecurityType", "value": "TrustedLaunch"}])


def test_definition_security_type_compares_case_insensitively() -> None:
    for spelling in ("ConfidentialVMSupported", "confidentialvmsupported", "TRUSTEDLAUNCH"):
        props = definition(features=[{"name": "securitytype", "value": spelling}])
        assert rules.definition_security_type(props) in rules.DEFINITION_ACCEPTS_SECURITY
    props = definition(features=[{"name": "SecurityType", "value": "ConfidentialVMSupported"}])
    assert rules.definition_security_type(props) == "ConfidentialVmSupported"
    with pytest.raises(ArmError) as caught:
        definition(features=[{"name": "SecurityType", "value": "Confidential"}])
    assert caught.value.code == "InvalidParameter"


def test_a_shared_gallery_cannot_be_put_private() -> None:
    shared = {"permissions": "Groups", "groups": [{"type": "Subscriptions", "ids": ["a"]}]}
    with pytest.raises(ArmError) as caught:
        rules.merge_sharing_profile(shared, {"permissions": "Private"})
    assert (caught.value.status, caught.value.code) == (409, "OperationNotAllowed")
    unshared = {"permissions": "Groups", "groups": []}
    made_private = rules.merge_sharing_profile(unshared, {"permissions": "Private"})
    assert made_private is not None and made_private["permissions"] == "Private"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("identifier", {"publisher": "Other", "offer": "Base", "sku": "ubuntu"}),
        ("osType", "Windows"),
        ("osState", "Specialized"),
        ("hyperVGeneration", "V1"),
        ("architecture", "Arm64"),
    ],
)
def test_definition_fixed_properties_cannot_change(field: str, value: object) -> None:
    old = definition()
    new = {**old, field: value}
    with pytest.raises(ArmError) as caught:
        rules.check_definition_update(old, new)
    assert (caught.value.status, caught.value.code) == (409, "PropertyChangeNotAllowed")
    assert field in caught.value.message


def test_definition_features_change_only_with_allow_update_image() -> None:
    old = definition()
    new = {**old, "features": [{"name": "SecurityType", "value": "TrustedLaunchSupported"}]}
    with pytest.raises(ArmError) as caught:
        rules.check_definition_update(old, new)
    assert caught.value.code == "PropertyChangeNotAllowed"
    rules.check_definition_update(old, {**new, "allowUpdateImage": True})
    rules.check_definition_update(old, {**old, "description": "updatable", "eula": "x"})


def test_sharing_add_and_remove_groups() -> None:
    profile = rules.normalize_sharing_profile({"permissions": "Groups"})
    added = rules.apply_sharing_update(
        profile,
        {"operationType": "Add", "groups": [{"type": "Subscriptions", "ids": ["a", "b"]},
                                             {"type": "AADTenants", "ids": ["t"]}]},
        "x",
    )  # fmt: skip
    assert {g["type"]: g["ids"] for g in added["groups"]} == {
        "Subscriptions": ["a", "b"],
        "AADTenants": ["t"],
    }
    removed = rules.apply_sharing_update(
        added, {"operationType": "Remove", "groups": [{"type": "Subscriptions", "ids": ["A"]}]}, "x"
    )
    assert {g["type"]: g["ids"] for g in removed["groups"]} == {
        "Subscriptions": ["b"],
        "AADTenants": ["t"],
    }
    reset = rules.apply_sharing_update(removed, {"operationType": "Reset"}, "x")
    assert reset["permissions"] == "Private" and reset["groups"] == []


def test_sharing_groups_need_groups_permission_and_valid_operation() -> None:
    private = rules.normalize_sharing_profile(None)
    with pytest.raises(ArmError) as caught:
        rules.apply_sharing_update(
            private,
            {"operationType": "Add", "groups": [{"type": "Subscriptions", "ids": ["a"]}]},
            "x",
        )
    assert caught.value.code == "OperationNotAllowed"
    with pytest.raises(ArmError) as caught:
        rules.apply_sharing_update(private, {"operationType": "Share"}, "x")
    assert caught.value.code == "InvalidParameter"


def test_community_sharing_needs_publisher_info_and_enable() -> None:
    with pytest.raises(ArmError):
        rules.normalize_sharing_profile({"permissions": "Community"})
    info = {"publisherUri": "https://contoso.com", "publisherContact": "a@contoso.com",
            "eula": "eula", "publicNamePrefix": "contoso"}  # fmt: skip
    profile = rules.normalize_sharing_profile(
        {"permissions": "Community", "communityGalleryInfo": info}
    )
    enabled = rules.apply_sharing_update(profile, {"operationType": "EnableCommunity"}, "abc")
    assert enabled["communityGalleryInfo"]["communityGalleryEnabled"] is True
    assert enabled["communityGalleryInfo"]["publicNames"] == ["contoso-abc"]


def test_sharing_profile_updates_keep_groups_and_community_state() -> None:
    current = {"permissions": "Groups", "groups": [{"type": "Subscriptions", "ids": ["a"]}]}
    assert rules.merge_sharing_profile(current, None) is current
    kept = rules.merge_sharing_profile(current, {"permissions": "Groups", "groups": []})
    assert kept is not None and kept["groups"] == current["groups"]
    info = {"publisherUri": "https://c", "publisherContact": "a@c", "eula": "e",
            "publicNamePrefix": "c"}  # fmt: skip
    community = rules.normalize_sharing_profile(
        {"permissions": "Community", "communityGalleryInfo": info}
    )
    enabled = rules.apply_sharing_update(community, {"operationType": "EnableCommunity"}, "x")
    again = rules.merge_sharing_profile(
        enabled, {"permissions": "Community", "communityGalleryInfo": info}
    )
    assert again is not None and again["communityGalleryInfo"]["communityGalleryEnabled"] is True
    assert again["communityGalleryInfo"]["publicNames"] == ["c-x"]


def test_gallery_view_hides_groups_unless_expanded() -> None:
    groups = [{"type": "Subscriptions", "ids": ["a"]}]
    body = {"properties": {"sharingProfile": {"permissions": "Groups", "groups": groups}}}
    plain = rules.gallery_view(body, "Permissions", None)["properties"]["sharingProfile"]
    assert plain == {"permissions": "Groups"}
    expanded = rules.gallery_view(body, None, "SharingProfile/Groups")
    assert expanded["properties"]["sharingProfile"]["groups"] == groups
    assert body["properties"]["sharingProfile"]["groups"] == groups


def test_display_regions_uses_service_spelling() -> None:
    view = {"properties": {"publishingProfile": {"targetRegions": [{"name": "eastus"}]},
                           "replicationStatus": {"summary": [{"region": "westus"}]}}}  # fmt: skip
    rules.display_regions(view, {"eastus": "East US", "westus": "West US"})
    assert view["properties"]["publishingProfile"]["targetRegions"][0]["name"] == "East US"
    assert view["properties"]["replicationStatus"]["summary"][0]["region"] == "West US"


def test_publishing_profile_defaults_to_the_home_region() -> None:
    stored = rules.normalize_publishing_profile(None, "eastus", lower_location, NOW)
    assert stored["targetRegions"] == [
        {"name": "eastus", "regionalReplicaCount": 1, "storageAccountType": "Standard_LRS"}
    ]
    assert stored["replicationMode"] == "Full" and stored["excludeFromLatest"] is False
    assert stored["publishedDate"] == rules.iso(NOW)


def test_publishing_profile_regions_inherit_and_keep_settings() -> None:
    stored = rules.normalize_publishing_profile(
        {"replicaCount": 2, "storageAccountType": "Premium_LRS",
         "targetRegions": [{"name": "East US"},
                           {"name": "westeurope", "regionalReplicaCount": 3,
                            "storageAccountType": "Standard_ZRS", "excludeFromLatest": True}]},
        "eastus", lower_location, NOW,
    )  # fmt: skip
    east, west = stored["targetRegions"]
    assert (east["name"], east["regionalReplicaCount"], east["storageAccountType"]) == (
        "eastus", 2, "Premium_LRS")  # fmt: skip
    assert west == {"name": "westeurope", "regionalReplicaCount": 3,
                    "storageAccountType": "Standard_ZRS", "excludeFromLatest": True}  # fmt: skip


def test_publishing_profile_refuses_conflicting_storage_settings() -> None:
    with pytest.raises(ArmError):
        rules.normalize_publishing_profile(
            {"storageAccountType": "Standard_LRS", "storageAccountStrategy": "PreferStandard_ZRS"},
            "eastus", lower_location, NOW,
        )  # fmt: skip
    with pytest.raises(ArmError):
        rules.normalize_publishing_profile(
            {"targetRegions": [{"name": "eastus"}, {"name": "East US"}]},
            "eastus",
            lower_location,
            NOW,
        )


def test_safety_profile_block_deletion_needs_end_of_life() -> None:
    with pytest.raises(ArmError) as caught:
        rules.normalize_safety_profile({"blockDeletionBeforeEndOfLife": True}, {})
    assert caught.value.code == "InvalidParameter"
    stored = rules.normalize_safety_profile(None, {})
    assert stored["allowDeletionOfReplicatedLocations"] is True


def test_deletion_blocked_before_end_of_life() -> None:
    props = {"safetyProfile": {"blockDeletionBeforeEndOfLife": True},
             "publishingProfile": {"endOfLifeDate": rules.iso(NOW + timedelta(days=1))}}  # fmt: skip
    with pytest.raises(ArmError) as caught:
        rules.check_deletion_allowed(props, NOW)
    assert (caught.value.status, caught.value.code) == (409, "OperationNotAllowed")
    rules.check_deletion_allowed(props, NOW + timedelta(days=2))


def version_props(regions: list[tuple[str, str]], allow_removal: bool = True) -> dict:
    return {
        "storageProfile": {"source": {"id": "/x/images/a"}},
        "publishingProfile": {
            "replicationMode": "Full",
            "targetRegions": [{"name": n, "storageAccountType": t} for n, t in regions],
        },
        "safetyProfile": {"allowDeletionOfReplicatedLocations": allow_removal},
    }


def test_version_update_rules() -> None:
    old = version_props([("eastus", "Standard_LRS"), ("westus", "Standard_LRS")])
    rules.check_version_update(
        old, version_props([("eastus", "Standard_LRS"), ("northeurope", "Premium_LRS")])
    )
    changed_type = version_props([("eastus", "Premium_LRS")])
    with pytest.raises(ArmError) as caught:
        rules.check_version_update(old, changed_type)
    assert caught.value.code == "PropertyChangeNotAllowed"
    other_source = {**old, "storageProfile": {"source": {"id": "/x/images/b"}}}
    with pytest.raises(ArmError) as caught:
        rules.check_version_update(old, other_source)
    assert "source" in caught.value.message
    shallow = {
        **old,
        "publishingProfile": {**old["publishingProfile"], "replicationMode": "Shallow"},
    }
    with pytest.raises(ArmError) as caught:
        rules.check_version_update(old, shallow)
    assert "replicationMode" in caught.value.message


def test_removing_a_region_needs_allow_deletion_of_replicated_locations() -> None:
    old = version_props(
        [("eastus", "Standard_LRS"), ("westus", "Standard_LRS")], allow_removal=False
    )
    kept_policy = version_props([("eastus", "Standard_LRS")], allow_removal=False)
    with pytest.raises(ArmError) as caught:
        rules.check_version_update(old, kept_policy)
    assert (caught.value.status, caught.value.code) == (409, "OperationNotAllowed")
    assert "westus" in caught.value.message
    # An update that allows the removal may make it at the same time.
    rules.check_version_update(old, version_props([("eastus", "Standard_LRS")], allow_removal=True))


@pytest.mark.parametrize(
    ("definition_overrides", "source_overrides", "code"),
    [
        ({}, {"os_type": "Windows"}, "InvalidParameter"),
        ({}, {"os_state": "Specialized"}, "InvalidParameter"),
        ({"osState": "Specialized"}, {}, "InvalidParameter"),
        ({}, {"hyper_v_generation": "V1"}, "Conflict"),
        ({}, {"architecture": "Arm64"}, "Conflict"),
        ({}, {"security_type": "TrustedLaunch"}, "InvalidParameter"),
        (
            {"features": [{"name": "SecurityType", "value": "ConfidentialVM"}]},
            {},
            "InvalidParameter",
        ),
        ({}, {"location": "westus"}, "InvalidParameter"),
    ],
)
def test_source_must_fit_the_definition(
    definition_overrides: dict, source_overrides: dict, code: str
) -> None:
    with pytest.raises(ArmError) as caught:
        rules.check_source_fits(
            definition(**definition_overrides), facts(**source_overrides), ["eastus"]
        )
    assert caught.value.code == code


def test_fitting_sources_pass() -> None:
    trusted = definition(features=[{"name": "SecurityType", "value": "TrustedLaunchSupported"}])
    rules.check_source_fits(trusted, facts(security_type="TrustedLaunch"), ["eastus", "westus"])
    rules.check_source_fits(trusted, facts(), ["eastus"])


def test_shallow_replication_stays_in_the_source_region() -> None:
    single = {"replicationMode": "Shallow", "targetRegions": [{"name": "eastus"}]}
    rules.check_shallow_regions(single, "eastus")
    rules.check_shallow_regions(
        {"replicationMode": "Full", "targetRegions": [{"name": "westus"}]}, "eastus"
    )
    wider = {
        "replicationMode": "Shallow",
        "targetRegions": [{"name": "eastus"}, {"name": "westus"}],
    }
    with pytest.raises(ArmError) as caught:
        rules.check_shallow_regions(wider, "eastus")
    assert caught.value.code == "InvalidParameter" and "westus" in caught.value.message


def test_replication_progress_over_time() -> None:
    regions = [{"name": "eastus", "regionalReplicaCount": 1},
               {"name": "westus", "regionalReplicaCount": 2}]  # fmt: skip
    plan = rules.replication_plan(regions, "eastus", "Full", NOW)
    home = rules.HOME_REPLICATION_SECONDS["Full"]
    assert rules.provisioning_seconds(plan, "eastus", NOW) == home
    start = rules.replication_status(plan, NOW)
    assert start["aggregatedState"] == "InProgress"
    assert [s["state"] for s in start["summary"]] == ["Replicating", "Unknown"]
    middle = rules.replication_status(plan, NOW + timedelta(seconds=home + 100))
    assert [s["state"] for s in middle["summary"]] == ["Completed", "Replicating"]
    assert 0 < middle["summary"][1]["progress"] < 100
    end = rules.replication_status(plan, NOW + timedelta(hours=2))
    assert end["aggregatedState"] == "Completed"
    assert [s["progress"] for s in end["summary"]] == [100, 100]


def test_replication_plan_keeps_finished_regions_on_update() -> None:
    plan = rules.replication_plan(
        [{"name": "eastus", "regionalReplicaCount": 1}], "eastus", "Shallow", NOW
    )
    later = NOW + timedelta(hours=1)
    regions = [
        {"name": "eastus", "regionalReplicaCount": 1},
        {"name": "westus", "regionalReplicaCount": 1},
    ]
    updated = rules.replication_plan(regions, "eastus", "Shallow", later, plan)
    assert updated["eastus"] == plan["eastus"]
    status = rules.replication_status(updated, later + timedelta(seconds=1))
    assert [s["state"] for s in status["summary"]] == ["Completed", "Replicating"]


def test_soft_delete_times_use_retention_and_grace() -> None:
    consumable, hard = rules.soft_delete_times(
        {"retentionPeriodInDays": 3, "gracePeriodInDays": 2}, NOW
    )
    assert consumable == NOW + timedelta(days=3) and hard == NOW + timedelta(days=5)
    default_end, _ = rules.soft_delete_times({}, NOW)
    assert default_end == NOW + timedelta(days=rules.DEFAULT_SOFT_DELETE_RETENTION_DAYS)


def test_platform_catalog_resolves_latest_numerically() -> None:
    entry = catalog.find_sku("microsoftwindowsserver", "windowsserver", "2019-datacenter")
    assert entry is not None
    assert catalog.resolve_version(entry, "latest", "eastus") == "17763.6893.250210"
    with pytest.raises(ArmError) as caught:
        catalog.resolve_version(entry, "1.2.3", "eastus")
    assert (caught.value.status, caught.value.code) == (404, "ImageNotFound")
    body = catalog.image_body(entry, "17763.6293.240905", "eastus", "sub")
    assert body["properties"]["osDiskImage"]["operatingSystem"] == "Windows"
    assert body["properties"]["hyperVGeneration"] == "V1"
