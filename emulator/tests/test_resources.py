"""Subscriptions, locations, providers and resource groups, with ARM's errors and paging."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.storage import StorageManagementClient

from azsim.client import AdminClient


def test_subscription_locations_tenants(arm_request: Any, azsim: dict[str, Any]) -> None:
    sub = azsim["subscription_id"]
    status, body, headers = arm_request("GET", f"/subscriptions/{sub}?api-version=2022-12-01")
    assert status == 200 and body["subscriptionId"] == sub and body["state"] == "Enabled"
    assert uuid.UUID(headers["x-ms-request-id"]) and headers["x-ms-correlation-request-id"]
    for older in ("2019-10-01", "2021-04-01", "2022-09-01"):
        assert arm_request("GET", f"/subscriptions/{sub}?api-version={older}")[0] == 200
    status, body, _ = arm_request("GET", "/subscriptions?api-version=2022-12-01")
    assert sub in [s["subscriptionId"] for s in body["value"]]
    status, body, _ = arm_request("GET", f"/subscriptions/{sub}/locations?api-version=2022-12-01")
    names = {loc["name"]: loc["displayName"] for loc in body["value"]}
    assert len(names) >= 20 and names["eastus"] == "East US"
    assert names["westeurope"] == "West Europe"
    status, body, _ = arm_request("GET", "/tenants?api-version=2022-12-01")
    assert body["value"][0]["tenantId"] == azsim["tenant_id"]
    status, body, _ = arm_request(
        "GET", f"/subscriptions/{sub}/providers/Microsoft.Storage?api-version=2021-04-01"
    )
    assert status == 200 and body["registrationState"] == "Registered"
    account_type = [t for t in body["resourceTypes"] if t["resourceType"] == "storageAccounts"]
    assert account_type and account_type[0]["apiVersions"]


def test_unknown_subscription(arm_request: Any) -> None:
    status, body, _ = arm_request(
        "GET", f"/subscriptions/{uuid.uuid4()}/resourcegroups?api-version=2021-04-01"
    )
    # the default principal holds no role there, so ARM refuses before looking
    assert status in (403, 404)
    assert body["error"]["code"] in ("AuthorizationFailed", "SubscriptionNotFound")


def test_api_version_checks(arm_request: Any, azsim: dict[str, Any], resource_group: str) -> None:
    group = f"/subscriptions/{azsim['subscription_id']}/resourceGroups/{resource_group}"
    status, body, _ = arm_request("GET", group)
    assert status == 400 and body["error"]["code"] == "MissingApiVersionParameter"
    status, body, _ = arm_request("GET", f"{group}?api-version=1999-01-01")
    assert status == 400 and body["error"]["code"] == "InvalidApiVersionParameter"
    assert "2021-04-01" in body["error"]["message"]
    status, body, _ = arm_request(
        "GET", f"{group}/providers/Microsoft.Storage/storageAccounts/x?api-version=1999-01-01"
    )
    assert status == 400 and body["error"]["code"] == "NoRegisteredProviderFound"
    assert "The supported api-versions are" in body["error"]["message"]
    status, body, _ = arm_request(
        "GET", f"{group}/providers/Microsoft.Storage/noSuchThings/x?api-version=2023-01-01"
    )
    assert status == 404 and body["error"]["code"] == "InvalidResourceType"
    status, body, _ = arm_request("PUT", f"{group}?api-version=2021-04-01", body={})
    assert status == 400 and body["error"]["code"] == "LocationRequired"


def test_malformed_json_is_invalid_request_content(
    arm_request: Any, azsim: dict[str, Any], resource_group: str
) -> None:
    group = f"/subscriptions/{azsim['subscription_id']}/resourceGroups/{resource_group}"
    status, body, _ = arm_request("PATCH", f"{group}?api-version=2021-04-01", body=b'{"tags": ')
    assert status == 400 and body["error"]["code"] == "InvalidRequestContent"


def test_group_update_head_and_conflicts(resource_client: Any, resource_group: str) -> None:
    updated = resource_client.resource_groups.update(resource_group, {"tags": {"team": "img"}})
    assert updated.tags == {"team": "img"}
    assert resource_client.resource_groups.check_existence(resource_group) is True
    assert resource_client.resource_groups.check_existence("rg-never-made") is False
    with pytest.raises(HttpResponseError) as raised:
        resource_client.resource_groups.create_or_update(resource_group, {"location": "westus"})
    assert raised.value.error.code == "InvalidResourceGroupLocation"


def test_delete_is_long_running_and_cascades(
    make_client: Any,
    resource_client: Any,
    admin: AdminClient,
    azsim: dict[str, Any],
) -> None:
    name = f"rg-cascade-{uuid.uuid4().hex[:6]}"
    resource_client.resource_groups.create_or_update(name, {"location": "eastus"})
    storage = make_client(StorageManagementClient)
    storage.storage_accounts.begin_create(
        name,
        f"st{uuid.uuid4().hex[:10]}",
        {"location": "eastus", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"},
    ).result(timeout=60)
    identity = make_client(ManagedServiceIdentityClient).user_assigned_identities.create_or_update(
        name, "doomed", {"location": "eastus"}
    )
    group_id = f"/subscriptions/{azsim['subscription_id']}/resourceGroups/{name}".lower()
    assert sum(i.lower().startswith(group_id + "/") for i in admin.state()) == 2
    other = f"rg-bystander-{uuid.uuid4().hex[:6]}"
    resource_client.resource_groups.create_or_update(other, {"location": "eastus"})

    since = admin.last_seq()
    scale = admin.clock()["scale"]
    admin.set_scale(1)  # hold the delete in progress until the clock is moved on
    try:
        resource_client.resource_groups.begin_delete(name, polling=False)
        group = resource_client.resource_groups.get(name)
        assert group.properties.provisioning_state == "Deleting"
        with pytest.raises(HttpResponseError) as raised:
            resource_client.resource_groups.create_or_update(name, {"location": "eastus"})
        assert raised.value.error.code == "ResourceGroupBeingDeleted"
        admin.advance(120)
    finally:
        admin.set_scale(scale)
    assert not resource_client.resource_groups.check_existence(name)
    writes = admin.writes(since)
    assert writes[0]["method"] == "DELETE" and writes[0]["status"] == 202
    state = [i.lower() for i in admin.state()]
    assert not any(i == group_id or i.startswith(group_id + "/") for i in state)
    assert any(i.endswith(f"/resourcegroups/{other}") for i in state)
    assert identity.client_id not in [p["client_id"] for p in admin.principals()]
    resource_client.resource_groups.begin_delete(other).result(timeout=60)


def test_paging_follows_next_link(resource_client: Any, admin: AdminClient) -> None:
    prefix = f"rg-page-{uuid.uuid4().hex[:6]}"
    names = [f"{prefix}-{n}" for n in range(5)]
    for name in names:
        resource_client.resource_groups.create_or_update(name, {"location": "eastus"})
    since = admin.last_seq()
    listed = [g.name for g in resource_client.resource_groups.list(top=2)]
    assert set(names) <= set(listed)
    list_calls = [
        e
        for e in admin.requests(since)
        if e["method"] == "GET" and e["path"].lower().endswith("/resourcegroups")
    ]
    assert len(list_calls) >= 3  # pages of two
    tagged = list(resource_client.resource_groups.list(filter="tagName eq 'nothing-has-this'"))
    assert tagged == []
    for name in names:
        resource_client.resource_groups.begin_delete(name)


def test_operation_status_resource(arm_request: Any, azsim: dict[str, Any]) -> None:
    name = f"rg-op-{uuid.uuid4().hex[:6]}"
    sub = azsim["subscription_id"]
    arm_request(
        "PUT",
        f"/subscriptions/{sub}/resourcegroups/{name}?api-version=2021-04-01",
        body={"location": "eastus"},
    )
    status, _, headers = arm_request(
        "DELETE", f"/subscriptions/{sub}/resourcegroups/{name}?api-version=2021-04-01"
    )
    assert status == 202
    assert int(headers["Retry-After"]) >= 1
    async_url = headers["Azure-AsyncOperation"]
    assert async_url.startswith(azsim["url"] + f"/subscriptions/{sub}/providers/")
    path = async_url.removeprefix(azsim["url"])
    status, body, _ = arm_request("GET", path)
    assert status == 200 and body["status"] in ("InProgress", "Succeeded")
    assert body["name"] in path
    location = headers["Location"].removeprefix(azsim["url"])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status, _, _ = arm_request("GET", location)
        if status != 202:
            break
        time.sleep(0.2)
    assert status in (200, 204)
    assert arm_request("GET", path)[1]["status"] == "Succeeded"
