"""The framework seen through the SDKs: resource groups, long-running operations, errors."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError


def test_resource_group_round_trip(resource_client: Any, resource_group: str) -> None:
    group = resource_client.resource_groups.get(resource_group)
    assert group.name == resource_group
    assert group.location == "eastus"
    assert group.properties.provisioning_state == "Succeeded"
    names = [g.name for g in resource_client.resource_groups.list()]
    assert resource_group in names


def test_missing_group_is_resource_group_not_found(resource_client: Any) -> None:
    with pytest.raises(ResourceNotFoundError) as raised:
        resource_client.resource_groups.get("rg-does-not-exist")
    assert raised.value.error.code == "ResourceGroupNotFound"
    assert "Resource group 'rg-does-not-exist' could not be found." in str(raised.value)


def test_unknown_location_is_rejected(resource_client: Any) -> None:
    with pytest.raises(HttpResponseError) as raised:
        resource_client.resource_groups.create_or_update("rg-nowhere", {"location": "moon"})
    assert raised.value.status_code == 400
    assert raised.value.error.code == "LocationNotAvailableForResourceType"
