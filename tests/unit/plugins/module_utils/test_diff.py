# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Difference tracking and the shared normalisers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ansible_collections.goldenimage.azure.plugins.module_utils._diff import (
    DiffTracker,
    camel_to_snake,
    compare,
    drop_server_fields,
    enum_equal,
    keyed,
    normalize_enum,
    normalize_location,
    snake_to_camel,
    to_camel,
    to_snake,
    to_utc,
)


def test_tracker_records_each_path_once_and_renders_nested_before_after() -> None:
    tracker = DiffTracker()
    assert not tracker.changed
    tracker.add("description", "old", "new")
    tracker.add("tags.env", None, "prod")
    tracker.add("description", "ignored", "newer")
    assert tracker.paths() == ["description", "tags.env"]
    assert tracker.render() == {
        "before": {"description": "old", "tags": {"env": None}},
        "after": {"description": "newer", "tags": {"env": "prod"}},
    }


def test_compare_only_walks_what_was_asked_and_uses_normalisers() -> None:
    current = {
        "location": "eastus",
        "properties": {"description": "d", "osType": "Linux", "provisioningState": "Succeeded"},
    }
    desired = {
        "location": "East US",
        "properties": {"description": "d2", "osType": "linux", "eula": None},
    }
    tracker = DiffTracker()
    compare(
        tracker,
        desired,
        current,
        normalisers={"location": normalize_location, "properties.osType": normalize_enum},
    )
    assert [(d.path, d.before, d.after) for d in tracker.differences] == [
        ("properties.description", "d", "d2")
    ]


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("East US", "eastus"), ("eastus2", "eastus2"), ("West Europe", "westeurope")],
)
def test_region_names(raw: str, normal: str) -> None:
    assert normalize_location(raw) == normal


def test_enum_and_dates() -> None:
    assert enum_equal("Standard_LRS", "standard_lrs") and not enum_equal(
        "Standard_LRS", "Premium_LRS"
    )
    instant = datetime(2030, 1, 1, tzinfo=UTC)
    assert to_utc("2030-01-01T00:00:00Z") == instant
    assert to_utc("2030-01-01T01:00:00+01:00") == instant
    assert to_utc("2030-01-01T00:00:00.0000000+00:00") == instant  # ARM's seven digits
    assert to_utc("2030-01-01T00:00:00.5Z") == instant.replace(microsecond=500000)
    assert to_utc(date(2030, 1, 1)) == instant and to_utc("2030-01-01") == instant
    assert to_utc(None) is None


def test_server_managed_fields_are_dropped_at_every_depth() -> None:
    resource = {
        "id": "/x",
        "etag": "e",
        "name": "g",
        "properties": {"provisioningState": "Succeeded", "description": "d"},
    }
    assert drop_server_fields(resource) == {"name": "g", "properties": {"description": "d"}}


def test_lists_keyed_by_their_natural_key() -> None:
    regions = [
        {"name": "East US", "regionalReplicaCount": 1},
        {"name": "westeurope", "regionalReplicaCount": 2},
    ]
    assert set(keyed(regions, "name", normalize_location)) == {"eastus", "westeurope"}


def test_case_conversion_round_trips_and_leaves_opaque_maps_alone() -> None:
    assert camel_to_snake("hyperVGeneration") == "hyper_v_generation"
    assert snake_to_camel("hyper_v_generation") == "hyperVGeneration"
    assert camel_to_snake("osType") == "os_type" and snake_to_camel("os_type") == "osType"
    resource = {
        "osState": "Generalized",
        "tags": {"CostCenter": "x"},
        "identity": {
            "userAssignedIdentities": {"/subscriptions/S/resourceGroups/RG/x": {"principalId": "p"}}
        },
        "targetRegions": [{"regionalReplicaCount": 1}],
    }
    snake = to_snake(resource)
    assert snake == {
        "os_state": "Generalized",
        "tags": {"CostCenter": "x"},
        "identity": {
            "user_assigned_identities": {
                "/subscriptions/S/resourceGroups/RG/x": {"principal_id": "p"}
            }
        },
        "target_regions": [{"regional_replica_count": 1}],
    }
    assert to_camel({"os_state": "G", "tags": {"a_b": "1"}}) == {
        "osState": "G",
        "tags": {"a_b": "1"},
    }
