"""The /_sim/ admin API: request log, fault injection, clock, seed and state."""

from __future__ import annotations

import http.client
import random
import time
import uuid
from typing import Any

import pytest

from azsim.client import AdminClient, AdminError


@pytest.fixture(autouse=True)
def _no_faults_left(admin: AdminClient) -> Any:
    yield
    admin.clear_faults()


def _group_path(azsim: dict[str, Any], name: str) -> str:
    return f"/subscriptions/{azsim['subscription_id']}/resourcegroups/{name}"


def test_log_entries_have_the_documented_fields(
    admin: AdminClient, resource_client: Any, resource_group: str
) -> None:
    since = admin.last_seq()
    resource_client.resource_groups.get(resource_group)
    entries = admin.requests(since)
    assert entries and [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)
    entry = [e for e in entries if e["kind"] == "arm"][-1]
    assert set(entry) == {
        "seq",
        "time",
        "method",
        "host",
        "path",
        "api_version",
        "status",
        "duration_ms",
        "principal",
        "kind",
    }
    assert entry["method"] == "GET" and entry["status"] == 200
    assert entry["path"].lower().endswith(f"/resourcegroups/{resource_group}")
    assert entry["api_version"] and entry["principal"]
    assert admin.writes(since) == []


def test_log_holds_no_secrets(
    admin: AdminClient,
    azsim: dict[str, Any],
    credential: Any,
    resource_client: Any,
    arm_settings: dict[str, Any],
) -> None:
    token = credential.get_token(*arm_settings["credential_scopes"]).token
    list(resource_client.resource_groups.list())
    text = str(admin.requests())
    assert azsim["client_secret"] not in text
    assert token not in text and token.split(".")[2] not in text
    assert "token" in {e["kind"] for e in admin.requests()}


def test_clear_log(admin: AdminClient) -> None:
    admin.clock()
    admin.clear_requests()
    # only the clearing call itself remains, logged once it finished
    assert [(e["method"], e["path"]) for e in admin.requests()] == [("DELETE", "/_sim/requests")]


def test_429_with_retry_after_is_retried_by_the_sdk(
    admin: AdminClient, azsim: dict[str, Any], resource_client: Any, resource_group: str
) -> None:
    admin.add_fault(f"{resource_group}$", method="GET", status=429, retry_after=1, count=1)
    since = admin.last_seq()
    started = time.monotonic()
    assert resource_client.resource_groups.get(resource_group).name == resource_group
    assert time.monotonic() - started >= 1
    statuses = [e["status"] for e in admin.requests(since) if e["kind"] == "arm"]
    assert statuses == [429, 200]
    assert admin.faults() == []  # a counted rule goes once used up


def test_fault_body_and_error_code(
    admin: AdminClient, arm_request: Any, azsim: dict[str, Any], resource_group: str
) -> None:
    admin.add_fault(
        f"{resource_group}$", status=409, error_code="Conflict", message="busy", count=1
    )
    status, body, headers = arm_request(
        "GET", f"{_group_path(azsim, resource_group)}?api-version=2021-04-01"
    )
    assert status == 409 and body == {"error": {"code": "Conflict", "message": "busy"}}
    assert "Retry-After" not in headers


def test_reset_connection(
    admin: AdminClient, azsim: dict[str, Any], resource_client: Any, resource_group: str
) -> None:
    admin.add_fault(f"{resource_group}$", method="GET", reset=True, count=1)
    connection = http.client.HTTPSConnection(
        "127.0.0.1", azsim["port"], context=admin._context, timeout=10
    )
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        connection.request("GET", f"{_group_path(azsim, resource_group)}?api-version=2021-04-01")
        connection.getresponse().read()
    connection.close()
    # the SDK retries a reset connection
    admin.add_fault(f"{resource_group}$", method="GET", reset=True, count=1)
    assert resource_client.resource_groups.get(resource_group).name == resource_group


def test_added_latency(admin: AdminClient, resource_client: Any, resource_group: str) -> None:
    admin.add_fault(f"{resource_group}$", method="GET", latency_ms=400, count=1)
    since = admin.last_seq()
    started = time.monotonic()
    resource_client.resource_groups.get(resource_group)
    assert time.monotonic() - started >= 0.4
    entry = next(e for e in admin.requests(since) if e["kind"] == "arm")
    assert entry["status"] == 200 and entry["duration_ms"] >= 400


def test_probability_is_reproducible_with_a_seed(
    admin: AdminClient, arm_request: Any, azsim: dict[str, Any], resource_group: str
) -> None:
    admin.add_fault(f"{resource_group}$", method="GET", status=503, probability=0.5, seed=7)
    path = f"{_group_path(azsim, resource_group)}?api-version=2021-04-01"
    statuses = [arm_request("GET", path)[0] for _ in range(20)]
    rng = random.Random(7)
    expected = [503 if rng.random() < 0.5 else 200 for _ in range(20)]
    assert statuses == expected
    assert 0 < statuses.count(503) < 20


def test_faults_match_method(
    admin: AdminClient, arm_request: Any, azsim: dict[str, Any], resource_group: str
) -> None:
    admin.add_fault(f"{resource_group}$", method="PATCH", status=500, count=1)
    path = f"{_group_path(azsim, resource_group)}?api-version=2021-04-01"
    assert arm_request("GET", path)[0] == 200
    assert arm_request("PATCH", path, body={"tags": {}})[0] == 500
    assert arm_request("PATCH", path, body={"tags": {}})[0] == 200


def test_bad_fault_is_refused(admin: AdminClient) -> None:
    with pytest.raises(AdminError) as raised:
        admin.add_fault(".*", status=429, retry_after=1.5)  # type: ignore[arg-type]
    assert raised.value.status == 400


def test_clock_advance_and_scale(admin: AdminClient) -> None:
    before = admin.clock()
    after = admin.advance(3600)
    assert after["now"] > before["now"]
    scale = before["scale"]
    assert admin.set_scale(120)["scale"] == 120
    assert admin.set_scale(scale)["scale"] == scale


def test_seed_and_state(admin: AdminClient, resource_client: Any, azsim: dict[str, Any]) -> None:
    name = f"rg-seeded-{uuid.uuid4().hex[:6]}"
    group_id = f"/subscriptions/{azsim['subscription_id']}/resourceGroups/{name}"
    since = admin.last_seq()
    admin.seed(
        [
            {
                "id": group_id,
                "body": {"location": "eastus", "properties": {"provisioningState": "Succeeded"}},
            }
        ]
    )
    assert group_id in admin.state()
    assert resource_client.resource_groups.get(name).location == "eastus"
    assert admin.writes(since) == []  # seeding is not an ARM write
    resource_client.resource_groups.begin_delete(name).result(timeout=60)
    assert group_id not in admin.state()


def test_extension_admin_routes_are_reachable(admin: AdminClient) -> None:
    assert admin.call("GET", "clock")["scale"] > 0
    with pytest.raises(AdminError) as raised:
        admin.call("GET", "no-such-admin-route")
    assert raised.value.status == 404
