# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Raw ARM requests through the real azure-core pipeline, faked only at the transport."""

from __future__ import annotations

import sys

import pytest

pytest.importorskip("azure.mgmt.core", reason="azure-mgmt-core is not installed")

from ansible_collections.goldenimage.azure.plugins.module_utils._arm import ArmClient
from ansible_collections.goldenimage.azure.plugins.module_utils._clients import (
    RETRY_SETTINGS,
    USER_AGENT,
    MissingSdkError,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._cloud import KNOWN_CLOUDS
from ansible_collections.goldenimage.azure.plugins.module_utils._errors import (
    AzureOperationError,
    get_or_none,
)
from ansible_collections.goldenimage.azure.tests.unit.azure_fakes import (
    FakeCredential,
    FakeTransport,
    Reply,
    arm_error,
    page,
)

RG_PATH = "/subscriptions/sub-1/resourceGroups/rg1"
API = "2022-09-01"


def make_client(transport: FakeTransport, credential: FakeCredential | None = None) -> ArmClient:
    return ArmClient(
        credential or FakeCredential(), KNOWN_CLOUDS["azurecloud"], True, transport=transport
    )


def test_get_returns_json_and_sends_api_version_user_agent_and_token() -> None:
    transport = FakeTransport().add(
        "GET", "/resourceGroups/rg1", Reply(200, {"name": "rg1", "location": "eastus"})
    )
    body = make_client(transport).get(RG_PATH, API)
    assert body == {"name": "rg1", "location": "eastus"}
    request = transport.requests[0]
    assert request.url == f"https://management.azure.com{RG_PATH}?api-version={API}"
    assert request.headers["User-Agent"].startswith(USER_AGENT)
    assert request.headers["Authorization"] == "Bearer fake-token"


def test_absent_resource_group_is_none_through_get_or_none() -> None:
    transport = FakeTransport().add(
        "GET",
        "/resourceGroups/rg1",
        arm_error(404, "ResourceGroupNotFound", "Resource group 'rg1' could not be found."),
    )
    client = make_client(transport)
    assert get_or_none(client.get, RG_PATH, API, resource="resource group rg1") is None


def test_forbidden_is_an_operation_error_with_code_and_request_id() -> None:
    transport = FakeTransport().add(
        "GET",
        "/resourceGroups/rg1",
        arm_error(403, "AuthorizationFailed", "The client does not have authorization.", "rid-9"),
    )
    with pytest.raises(AzureOperationError) as raised:
        get_or_none(make_client(transport).get, RG_PATH, API, resource="resource group rg1")
    error = raised.value
    assert (error.status, error.code, error.request_id) == (403, "AuthorizationFailed", "rid-9")
    assert str(error).startswith(
        "Azure refused to read resource group rg1: AuthorizationFailed: The client"
    )


def test_list_follows_next_link_and_token_is_requested_once() -> None:
    next_link = "https://management.azure.com/subscriptions/sub-1/resourcegroups?api-version=2022-09-01&$skiptoken=2"
    transport = (
        FakeTransport()
        .add("GET", r"skiptoken=2", page([{"name": "c"}]))
        .add(
            "GET",
            r"/subscriptions/sub-1/resourcegroups\?api-version",
            page([{"name": "a"}, {"name": "b"}], next_link),
        )
    )
    credential = FakeCredential()
    names = [
        item["name"]
        for item in make_client(transport, credential).list(
            "/subscriptions/sub-1/resourcegroups", API
        )
    ]
    assert names == ["a", "b", "c"]
    assert len(transport.requests) == 2
    assert len(credential.requests) == 1  # the bearer policy reuses the token


def test_throttled_get_is_retried_after_retry_after() -> None:
    throttled = arm_error(429, "TooManyRequests", "Slow down")
    throttled.headers["Retry-After"] = "1"
    transport = FakeTransport().add(
        "GET", "/resourceGroups/rg1", throttled, Reply(200, {"name": "rg1"})
    )
    assert make_client(transport).get(RG_PATH, API) == {"name": "rg1"}
    assert len(transport.requests) == 2


def test_long_running_put_is_polled_by_arm_polling() -> None:
    operation = "https://management.azure.com/subscriptions/sub-1/providers/Microsoft.Compute/locations/eastus/operations/op1"
    transport = (
        FakeTransport()
        .add(
            "PUT",
            "/galleries/g1",
            Reply(
                201,
                {"name": "g1", "properties": {"provisioningState": "Creating"}},
                {"Azure-AsyncOperation": operation, "Retry-After": "0"},
            ),
        )
        .add(
            "GET",
            "/operations/op1",
            Reply(200, {"status": "InProgress"}, {"Retry-After": "0"}),
            Reply(200, {"status": "Succeeded"}),
        )
        .add(
            "GET",
            "/galleries/g1",
            Reply(200, {"name": "g1", "properties": {"provisioningState": "Succeeded"}}),
        )
    )
    path = f"{RG_PATH}/providers/Microsoft.Compute/galleries/g1"
    poller = make_client(transport).begin("PUT", path, "2026-03-03", {"location": "eastus"})
    result = poller.result(timeout=10)
    assert poller.done()
    assert result["properties"]["provisioningState"] == "Succeeded"
    assert [call.split("?")[0].rsplit("/", 1)[-1] for call in transport.calls()] == [
        "g1",
        "op1",
        "op1",
        "g1",
    ]


def test_url_keeps_absolute_links_and_appends_api_version() -> None:
    client = make_client(FakeTransport())
    assert (
        client.url("subscriptions/s", "1")
        == "https://management.azure.com/subscriptions/s?api-version=1"
    )
    assert client.url("https://x.example/a?b=1", "2") == "https://x.example/a?b=1&api-version=2"


def test_missing_azure_mgmt_core_names_the_pip_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "azure.mgmt.core", None)
    with pytest.raises(MissingSdkError) as raised:
        make_client(FakeTransport()).get(RG_PATH, API)
    assert raised.value.package == "azure-mgmt-core"


def test_persistent_server_errors_are_retried_a_bounded_number_of_times() -> None:
    transport = FakeTransport().add(
        "GET", "/resourceGroups/rg1", arm_error(503, "ServiceUnavailable", "Busy")
    )
    with pytest.raises(AzureOperationError) as raised:
        get_or_none(make_client(transport).get, RG_PATH, API, resource="resource group rg1")
    assert raised.value.status == 503 and raised.value.code == "ServiceUnavailable"
    assert len(transport.requests) == 1 + RETRY_SETTINGS["retry_total"]


def test_a_refused_write_is_not_retried() -> None:
    transport = FakeTransport().add(
        "PUT", "/resourceGroups/rg1", arm_error(409, "Conflict", "Busy elsewhere")
    )
    with pytest.raises(Exception) as raised:
        make_client(transport).put(RG_PATH, API, {"location": "eastus"})
    assert type(raised.value).__name__ == "ResourceExistsError"
    assert len(transport.requests) == 1
