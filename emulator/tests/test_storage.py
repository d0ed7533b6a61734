"""Storage accounts through azure-mgmt-storage: long-running create, keys, list, delete."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.storage import StorageManagementClient

from azsim.client import AdminClient


@pytest.fixture(scope="module")
def storage_client(make_client: Any) -> Any:
    return make_client(StorageManagementClient)


def _account_name() -> str:
    return f"st{uuid.uuid4().hex[:12]}"


def test_create_is_long_running_and_ends_succeeded(
    storage_client: Any, resource_group: str, admin: AdminClient
) -> None:
    name = _account_name()
    since = admin.last_seq()
    poller = storage_client.storage_accounts.begin_create(
        resource_group,
        name,
        {
            "location": "westeurope",
            "sku": {"name": "Standard_LRS"},
            "kind": "StorageV2",
            "tags": {"purpose": "test"},
        },
    )
    account = poller.result(timeout=60)
    assert poller.done()
    assert account.provisioning_state == "Succeeded"
    assert account.primary_endpoints.blob == f"https://{name}.blob.core.windows.net/"
    assert account.location == "westeurope"
    puts = [e for e in admin.writes(since) if e["method"] == "PUT"]
    assert [e["status"] for e in puts] == [202]
    listed = [
        a.name for a in storage_client.storage_accounts.list_by_resource_group(resource_group)
    ]
    assert listed == [name]
    assert name in [a.name for a in storage_client.storage_accounts.list()]


def test_list_keys_and_keys_stay_out_of_the_log(
    storage_client: Any, resource_group: str, admin: AdminClient
) -> None:
    name = _account_name()
    storage_client.storage_accounts.begin_create(
        resource_group,
        name,
        {"location": "eastus", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"},
    ).result(timeout=60)
    keys = storage_client.storage_accounts.list_keys(resource_group, name).keys_property
    assert [k.key_name for k in keys] == ["key1", "key2"]
    assert keys[0].value != keys[1].value
    again = storage_client.storage_accounts.list_keys(resource_group, name).keys_property
    assert again[0].value == keys[0].value
    log_text = str(admin.requests())
    assert keys[0].value not in log_text and keys[1].value not in log_text


def test_invalid_and_taken_names(storage_client: Any, resource_group: str) -> None:
    with pytest.raises(HttpResponseError) as raised:
        storage_client.storage_accounts.begin_create(
            resource_group,
            "Bad_Name",
            {"location": "eastus", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"},
        )
    assert raised.value.error.code == "AccountNameInvalid"
    name = _account_name()
    body = {"location": "eastus", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"}
    storage_client.storage_accounts.begin_create(resource_group, name, body).result(timeout=60)
    availability = storage_client.storage_accounts.check_name_availability(
        {"name": name, "type": "Microsoft.Storage/storageAccounts"}
    )
    assert availability.name_available is False


def test_delete(storage_client: Any, resource_group: str) -> None:
    name = _account_name()
    storage_client.storage_accounts.begin_create(
        resource_group,
        name,
        {"location": "eastus", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"},
    ).result(timeout=60)
    storage_client.storage_accounts.delete(resource_group, name)
    with pytest.raises(ResourceNotFoundError) as raised:
        storage_client.storage_accounts.get_properties(resource_group, name)
    assert raised.value.error.code == "ResourceNotFound"
    assert f"Microsoft.Storage/storageAccounts/{name}" in raised.value.error.message
