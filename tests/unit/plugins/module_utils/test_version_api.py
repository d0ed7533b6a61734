# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Version bodies, update classification, numbering, latest and replication."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from ansible_collections.goldenimage.azure.plugins.module_utils import _version_api as api
from ansible_collections.goldenimage.azure.plugins.module_utils._diff import to_snake
from ansible_collections.goldenimage.azure.plugins.module_utils._version_source import (
    parse_version_source,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._version_spec import (
    OptionError,
    parse_target_regions,
)

SUB = "00000000-0000-0000-0000-000000000001"
RG = "rg-images"
IMAGE_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/images/img1"
OTHER_IMAGE_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/images/img2"
DES = (
    f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/diskEncryptionSets/des1"
)


def image_source(name: str = "img1") -> Any:
    return parse_version_source({"managed_image": name}, subscription_id=SUB, resource_group=RG)


def arm_version(
    name: str = "1.0.0",
    regions: list[dict[str, Any]] | None = None,
    *,
    source_id: str = IMAGE_ID,
    exclude: bool | None = None,
    state: str = "Succeeded",
    replication: dict[str, Any] | None = None,
    safety: dict[str, Any] | None = None,
    **publishing: Any,
) -> dict[str, Any]:
    """A version as ARM returns it (shape of a 2026-03-03 GET with $expand=ReplicationStatus)."""
    profile: dict[str, Any] = {
        "targetRegions": regions
        if regions is not None
        else [{"name": "East US", "regionalReplicaCount": 1, "storageAccountType": "Standard_LRS"}],
        "replicaCount": 1,
        "storageAccountType": "Standard_LRS",
        "publishedDate": "2026-11-01T10:00:00.1234567+00:00",
        "replicationMode": "Full",
    }
    if exclude is not None:
        profile["excludeFromLatest"] = exclude
    profile.update(publishing)
    properties: dict[str, Any] = {
        "publishingProfile": profile,
        "storageProfile": {
            "source": {"id": source_id},
            "osDiskImage": {"sizeInGB": 30, "hostCaching": "ReadWrite"},
        },
        "provisioningState": state,
        "safetyProfile": safety
        if safety is not None
        else {"allowDeletionOfReplicatedLocations": True, "reportedForPolicyViolation": False},
    }
    if replication is not None:
        properties["replicationStatus"] = replication
    return {
        "id": f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/galleries/g/images/d/versions/{name}",
        "name": name,
        "type": "Microsoft.Compute/galleries/images/versions",
        "location": "eastus",
        "tags": {"CamelKey": "v"},
        "properties": properties,
    }


# --- create ------------------------------------------------------------------------------------


def test_create_body_defaults_the_target_region_to_the_gallery_location() -> None:
    desired = api.DesiredVersion(source=image_source(), end_of_life_date="2027-01-01")
    body = api.create_body(desired, location="East US", tags={"a": "b"})
    assert body == {
        "location": "East US",
        "tags": {"a": "b"},
        "properties": {
            "publishingProfile": {
                "targetRegions": [{"name": "eastus"}],
                "endOfLifeDate": "2027-01-01T00:00:00Z",
            },
            "storageProfile": {"source": {"id": IMAGE_ID}},
        },
    }


def test_create_body_carries_every_given_setting() -> None:
    desired = api.DesiredVersion(
        source=image_source(),
        target_regions=parse_target_regions(["eastus=2=Standard_ZRS", "westus"]),
        replica_count=1,
        storage_account_type="Standard_LRS",
        replication_mode="Full",
        exclude_from_latest=True,
        allow_deletion_of_replicated_locations=False,
        block_deletion_before_end_of_life=True,
    )
    properties = api.create_body(desired, location="eastus")["properties"]
    assert properties["publishingProfile"] == {
        "targetRegions": [
            {"name": "eastus", "regionalReplicaCount": 2, "storageAccountType": "Standard_ZRS"},
            {"name": "westus"},
        ],
        "replicaCount": 1,
        "storageAccountType": "Standard_LRS",
        "replicationMode": "Full",
        "excludeFromLatest": True,
    }
    assert properties["safetyProfile"] == {
        "allowDeletionOfReplicatedLocations": False,
        "blockDeletionBeforeEndOfLife": True,
    }


def test_create_without_source_names_the_source_options() -> None:
    with pytest.raises(OptionError, match="needs one OS source"):
        api.create_body(api.DesiredVersion(), location="eastus")


def test_shallow_replication_only_to_the_source_region() -> None:
    desired = api.DesiredVersion(
        replication_mode="Shallow", target_regions=parse_target_regions(["eastus", "westus"])
    )
    with pytest.raises(OptionError, match="remove westus"):
        api.check_replication_mode(desired, "eastus")
    api.check_replication_mode(
        api.DesiredVersion(
            replication_mode="Shallow", target_regions=parse_target_regions(["eastus"])
        ),
        "eastus",
    )


# --- update classification --------------------------------------------------------------------------


def test_same_desired_state_is_a_no_op() -> None:
    current = arm_version()
    desired = api.DesiredVersion(
        source=image_source(),
        target_regions=parse_target_regions(["East US=1=Standard_LRS"]),
        replica_count=1,
        storage_account_type="standard_lrs",
        replication_mode="Full",
        exclude_from_latest=False,
        end_of_life_date=None,
    )
    plan = api.classify_update(current, desired)
    assert not plan.changed
    assert not plan.forbidden


def test_in_place_changes_are_listed_once_each() -> None:
    current = arm_version(endOfLifeDate="2027-01-01T00:00:00Z")
    desired = api.DesiredVersion(
        target_regions=parse_target_regions(
            [{"name": "eastus", "replica_count": 3, "exclude_from_latest": True}, "westus=2"]
        ),
        exclude_from_latest=True,
        end_of_life_date="2028-01-01",
        block_deletion_before_end_of_life=True,
    )
    plan = api.classify_update(current, desired)
    assert not plan.forbidden
    assert [change.field for change in plan.changes] == [
        "exclude_from_latest",
        "block_deletion_before_end_of_life",
        "end_of_life_date",
        "target_regions[westus]",
        "target_regions[eastus].replica_count",
        "target_regions[eastus].exclude_from_latest",
    ]


def test_equal_end_of_life_in_another_notation_is_no_change() -> None:
    current = arm_version(endOfLifeDate="2027-01-01T00:00:00+00:00")
    assert not api.classify_update(
        current, api.DesiredVersion(end_of_life_date="2027-01-01T00:00:00Z")
    ).changed


def test_region_removal_is_allowed_unless_the_safety_flag_forbids_it() -> None:
    two = [{"name": "eastus"}, {"name": "westus"}]
    desired = api.DesiredVersion(target_regions=parse_target_regions(["eastus"]))
    plan = api.classify_update(arm_version(regions=two), desired)
    assert [c.field for c in plan.changes] == ["target_regions[westus]"]
    guarded = arm_version(regions=two, safety={"allowDeletionOfReplicatedLocations": False})
    plan = api.classify_update(guarded, desired)
    assert not plan.changes
    assert "allow_deletion_of_replicated_locations is false" in plan.forbidden[0].field


def test_forbidden_changes_name_field_current_and_requested() -> None:
    current = arm_version(
        regions=[
            {
                "name": "eastus",
                "storageAccountType": "Standard_LRS",
                "encryption": {"osDiskImage": {"diskEncryptionSetId": DES}},
            }
        ]
    )
    desired = api.DesiredVersion(
        source=image_source("img2"),
        replication_mode="Shallow",
        storage_account_type="Premium_LRS",
        target_regions=parse_target_regions(
            [{"name": "eastus", "storage_account_type": "Standard_ZRS", "encryption": {}}]
        ),
    )
    plan = api.classify_update(current, desired)
    fields = [change.field for change in plan.forbidden]
    assert fields == [
        "source",
        "replication_mode",
        "storage_account_type",
        "target_regions[eastus].storage_account_type",
        "target_regions[eastus].encryption",
    ]
    message = plan.error_message("1.0.0")
    assert f"source (current: {IMAGE_ID}, requested: {OTHER_IMAGE_ID})" in message
    assert "replication_mode (current: Full, requested: Shallow)" in message
    assert (
        "target_regions[eastus].storage_account_type (current: Standard_LRS, requested: Standard_ZRS)"
        in message
    )


def test_region_storage_type_falls_back_to_the_version_wide_type() -> None:
    current = arm_version(regions=[{"name": "eastus"}], storageAccountType="Standard_ZRS")
    same = api.DesiredVersion(target_regions=parse_target_regions(["eastus=standard_zrs"]))
    assert not api.classify_update(current, same).forbidden


def test_update_body_keeps_what_exists_and_drops_read_only_fields() -> None:
    current = arm_version(
        regions=[
            {"name": "eastus", "regionalReplicaCount": 1, "storageAccountType": "Standard_LRS"}
        ]
    )
    desired = api.DesiredVersion(
        target_regions=parse_target_regions(["eastus=2", "westus"]), exclude_from_latest=True
    )
    body = api.update_body(current, desired)
    publishing = body["properties"]["publishingProfile"]
    assert "publishedDate" not in publishing
    assert publishing["targetRegions"] == [
        {"name": "eastus", "regionalReplicaCount": 2, "storageAccountType": "Standard_LRS"},
        {"name": "westus"},
    ]
    assert publishing["excludeFromLatest"] is True
    assert body["properties"]["storageProfile"] == {
        "source": {"id": IMAGE_ID},
        "osDiskImage": {"hostCaching": "ReadWrite"},
    }
    assert body["properties"]["safetyProfile"] == {"allowDeletionOfReplicatedLocations": True}
    assert body["tags"] == {"CamelKey": "v"}
    assert "replicationStatus" not in body["properties"]


# --- numbering -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "existing", "expected"),
    [
        ("patch", ["1.0.0", "1.2.3", "1.10.0"], "1.10.1"),
        ("minor", ["1.0.0", "1.2.3"], "1.3.0"),
        ("major", ["1.9.9", "0.1.0"], "2.0.0"),
        ("patch", [], "1.0.0"),
        ("date", [], "2026.1122.0"),
        ("date", ["2026.1122.0", "2026.1121.5"], "2026.1122.1"),
        ("date", ["2026.1121.5"], "2026.1122.0"),
        ("date", ["2027.101.3"], "2027.101.4"),
    ],
)
def test_next_version_after_the_highest(policy: str, existing: list[str], expected: str) -> None:
    assert (
        api.next_version_name(existing + ["not-semantic"], policy, date(2026, 11, 22)) == expected
    )


def test_numbering_never_leaves_32_bits() -> None:
    with pytest.raises(OptionError, match="version_bump: .* would exceed"):
        api.next_version_name(["1.2.2147483647"], "patch", date(2026, 1, 1))


def test_unknown_policy_is_rejected() -> None:
    with pytest.raises(OptionError, match="version_bump"):
        api.next_version_name(["1.0.0"], "weekly", date(2026, 1, 1))


def test_auto_numbering_finds_the_version_built_from_the_same_source() -> None:
    versions = [
        arm_version("1.0.0"),
        arm_version("1.1.0"),
        arm_version("2.0.0", source_id=OTHER_IMAGE_ID),
    ]
    found = api.find_version_from_source(versions, image_source())
    assert found is not None and found["name"] == "1.1.0"
    assert api.find_version_from_source(versions, image_source("img3")) is None


# --- latest --------------------------------------------------------------------------------------


def test_latest_is_the_highest_not_excluded() -> None:
    versions = [
        arm_version("1.9.0"),
        arm_version("1.10.0"),
        arm_version("2.0.0", exclude=True),
        arm_version("3.0.0", state="Failed"),
    ]
    latest = api.resolve_latest(versions)
    assert latest is not None and latest["name"] == "1.10.0"


def test_per_region_exclusion_overrides_the_global_flag() -> None:
    regions = [{"name": "eastus", "excludeFromLatest": False}, {"name": "westus"}]
    versions = [
        arm_version("1.0.0", regions=[{"name": "eastus"}, {"name": "westus"}]),
        arm_version("2.0.0", regions=regions, exclude=True),
    ]
    assert api.resolve_latest(versions)["name"] == "1.0.0"  # type: ignore[index]
    assert api.resolve_latest(versions, "East US")["name"] == "2.0.0"  # type: ignore[index]
    assert api.resolve_latest(versions, "westus")["name"] == "1.0.0"  # type: ignore[index]
    assert api.resolve_latest(versions, "northeurope") is None
    assert api.latest_by_region(versions) == {"eastus": "2.0.0", "westus": "1.0.0"}


def test_soft_deleted_versions_never_resolve_as_latest() -> None:
    deleted = arm_version("2.0.0")
    deleted["properties"]["imageState"] = "SoftDeleted"
    assert api.resolve_latest([arm_version("1.0.0"), deleted])["name"] == "1.0.0"  # type: ignore[index]


def test_sort_is_semantic_not_lexical() -> None:
    names = [
        v["name"]
        for v in api.sort_versions(
            [arm_version("1.10.0"), arm_version("1.9.0"), arm_version("1.2.0")]
        )
    ]
    assert names == ["1.2.0", "1.9.0", "1.10.0"]


# --- replication -----------------------------------------------------------------------------------

REPLICATING = {
    "aggregatedState": "InProgress",
    "summary": [
        {"region": "East US", "state": "Completed", "progress": 100},
        {"region": "West US", "state": "Replicating", "progress": 40, "details": "copying"},
    ],
}


def two_region_version(replication: dict[str, Any]) -> dict[str, Any]:
    return arm_version(
        regions=[{"name": "eastus"}, {"name": "westus"}, {"name": "northeurope"}],
        replication=replication,
    )


def test_replication_summary_and_scopes() -> None:
    summary = api.summarize_replication(two_region_version(REPLICATING))
    assert [r.region for r in summary.regions] == ["eastus", "northeurope", "westus"]
    assert summary.aggregated_state == "InProgress"
    assert [r.region for r in summary.pending()] == ["northeurope", "westus"]
    assert not summary.is_complete("all")
    assert summary.is_complete("source_region", "East US")
    assert not summary.is_complete("source_region", "westus")
    assert summary.is_complete("none")
    assert (
        summary.describe()
        == "eastus Completed 100%, northeurope Unknown 0%, westus Replicating 40% (copying)"
    )


def test_source_region_not_yet_reported_is_not_complete() -> None:
    summary = api.summarize_replication(arm_version(regions=[], replication={"summary": []}))
    assert not summary.is_complete("source_region", "eastus")


def test_failed_region_fails_the_aggregate() -> None:
    failed = {
        "summary": [{"region": "eastus", "state": "Failed", "progress": 10, "details": "quota"}]
    }
    summary = api.summarize_replication(arm_version(replication=failed))
    assert summary.aggregated_state == "Failed"
    assert not summary.is_complete()
    assert "failed to replicate to eastus" in api.replication_failure_message("1.0.0", summary)


def test_complete_everywhere() -> None:
    done = {"summary": [{"region": "eastus", "state": "Completed", "progress": 100}]}
    summary = api.summarize_replication(arm_version(replication=done))
    assert summary.aggregated_state == "Completed"
    assert summary.is_complete()


def test_timeout_message_carries_the_partial_status() -> None:
    summary = api.summarize_replication(two_region_version(REPLICATING))
    message = api.replication_timeout_message("1.0.0", summary, "all", 600)
    assert "within 600 seconds" in message
    assert "still waiting for: northeurope, westus" in message
    assert "westus Replicating 40%" in message


# --- results -------------------------------------------------------------------------------------


def test_result_is_snake_case_with_tags_verbatim_and_replication() -> None:
    result = api.version_result(arm_version(replication=REPLICATING))
    assert result["name"] == "1.0.0"
    assert result["tags"] == {"CamelKey": "v"}
    assert result["publishing_profile"]["target_regions"][0]["regional_replica_count"] == 1
    assert result["storage_profile"]["os_disk_image"]["size_in_gb"] == 30
    assert result["provisioning_state"] == "Succeeded"
    assert result["replication"]["regions"][0] == {
        "region": "eastus",
        "state": "Completed",
        "progress": 100,
        "details": None,
    }
    assert "replication_status" not in result
    assert "replication" not in api.version_result(arm_version())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("hyperVGeneration", "hyper_v_generation"),
        ("confidentialVMEncryptionType", "confidential_vm_encryption_type"),
        ("sizeInGB", "size_in_gb"),
        ("storageAccountId", "storage_account_id"),
        ("id", "id"),
    ],
)
def test_snake_case(name: str, expected: str) -> None:
    assert to_snake({name: 1}) == {expected: 1}


def test_datetimes_parse_in_every_notation_arm_uses() -> None:
    expected = datetime(2026, 11, 1, 10, 0, 0, 123456, tzinfo=api.UTC)
    assert api.parse_datetime("2026-11-01T10:00:00.1234567+00:00") == expected
    assert api.parse_datetime("2026-11-01T10:00:00.123456Z") == expected
    with pytest.raises(OptionError, match="end_of_life_date"):
        api.parse_datetime("next tuesday")
