"""A stand-in of its own: state and credentials survive stop and start, and an operation cut
off by SIGKILL finishes after a restart because the simulated clock kept running."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.identity import ClientSecretCredential
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.storage import StorageManagementClient
from conftest import FAST_POLLING

from azsim.client import AdminClient

SCALE = 60  # the 60 simulated seconds of a group delete take one real second
EXTRA_SUBSCRIPTION = "00000000-1111-2222-3333-444444444444"
BLOB = "https://127.0.0.1:10000/{account}"


@pytest.fixture(scope="module")
def own_dir(tmp_path_factory: pytest.TempPathFactory, stand_in: Any) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("own-azsim")
    yield directory
    stand_in.stop(directory)


def _start(stand_in: Any, directory: Path) -> dict[str, Any]:
    return stand_in.start(
        directory,
        "--time-scale",
        str(SCALE),
        "--extra-subscription",
        EXTRA_SUBSCRIPTION,
        "--blob-endpoint",
        BLOB,
    )


def _client(
    info: dict[str, Any], kind: type = ResourceManagementClient, subscription_id: str | None = None
) -> Any:
    credential = ClientSecretCredential(
        info["tenant_id"],
        info["client_id"],
        info["client_secret"],
        authority=info["url"],
        disable_instance_discovery=True,
        connection_verify=info["ca_file"],
    )
    return kind(
        credential,
        subscription_id or info["subscription_id"],
        base_url=info["url"],
        credential_scopes=["https://management.core.windows.net/.default"],
        connection_verify=info["ca_file"],
        **FAST_POLLING,
    )


def _raw(info: dict[str, Any], method: str, path: str) -> tuple[int, dict[str, str], Any]:
    """One ARM call without an SDK poller, which would keep retrying while the server is down."""
    credential = ClientSecretCredential(
        info["tenant_id"],
        info["client_id"],
        info["client_secret"],
        authority=info["url"],
        disable_instance_discovery=True,
        connection_verify=info["ca_file"],
    )
    token = credential.get_token("https://management.core.windows.net/.default").token
    request = urllib.request.Request(
        f"{info['url']}{path}", method=method, headers={"Authorization": f"Bearer {token}"}
    )
    context = AdminClient.from_info(info)._context
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        raw = response.read()
        return response.status, dict(response.headers), json.loads(raw) if raw else None


def _wait_dead(pid: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return
        if state == "Z":
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} still running")


def test_state_and_credentials_survive_stop_and_start(own_dir: Path, stand_in: Any) -> None:
    first = _start(stand_in, own_dir)
    _client(first).resource_groups.create_or_update("rg-kept", {"location": "eastus"})
    ca = (own_dir / "ca.pem").read_bytes()
    stand_in.stop(own_dir)
    _wait_dead(first["pid"])
    second = _start(stand_in, own_dir)
    assert second["pid"] != first["pid"]
    assert second["port"] == first["port"]
    for key in ("client_id", "client_secret", "subscription_id", "tenant_id"):
        assert second[key] == first[key]
    assert (own_dir / "ca.pem").read_bytes() == ca
    assert _client(second).resource_groups.get("rg-kept").location == "eastus"


def test_sigkill_during_an_operation_then_restart_finishes_it(own_dir: Path, stand_in: Any) -> None:
    info = _start(stand_in, own_dir)
    client = _client(info)
    client.resource_groups.create_or_update("rg-doomed", {"location": "eastus"})
    status, headers, _ = _raw(
        info,
        "DELETE",
        f"/subscriptions/{info['subscription_id']}/resourcegroups/rg-doomed?api-version=2021-04-01",
    )
    assert status == 202
    os.kill(info["pid"], signal.SIGKILL)
    _wait_dead(info["pid"])
    time.sleep(60 / SCALE + 0.5)  # the operation's simulated minute passes while it is down
    restarted = _start(stand_in, own_dir)
    assert restarted["port"] == info["port"]
    # the first request after the restart finds the operation overdue and finishes it,
    # at the URL handed out before the crash
    status, _, operation = _raw(
        info, "GET", headers["Azure-AsyncOperation"].removeprefix(info["url"])
    )
    assert status == 200 and operation["status"] == "Succeeded"
    assert not client.resource_groups.check_existence("rg-doomed")
    assert client.resource_groups.check_existence("rg-kept")


def test_an_operation_in_flight_keeps_its_simulated_deadline(own_dir: Path, stand_in: Any) -> None:
    info = _start(stand_in, own_dir)
    admin = AdminClient.from_info(info)
    admin.set_scale(1)  # a simulated minute now takes a real one
    client = _client(info)
    client.resource_groups.create_or_update("rg-slow", {"location": "eastus"})
    client.resource_groups.begin_delete("rg-slow")
    os.kill(info["pid"], signal.SIGKILL)
    _wait_dead(info["pid"])
    stand_in.start(own_dir)  # without --time-scale: the persisted scale holds
    group = client.resource_groups.get("rg-slow")
    assert group.properties.provisioning_state == "Deleting"
    admin.advance(60)
    assert not client.resource_groups.check_existence("rg-slow")
    admin.set_scale(SCALE)


def test_extra_subscription_and_blob_endpoint(own_dir: Path, stand_in: Any) -> None:
    info = _start(stand_in, own_dir)
    other = _client(info, subscription_id=EXTRA_SUBSCRIPTION)
    other.resource_groups.create_or_update("rg-elsewhere", {"location": "westus2"})
    assert other.resource_groups.get("rg-elsewhere").id.startswith(
        f"/subscriptions/{EXTRA_SUBSCRIPTION}/"
    )
    storage = _client(info, StorageManagementClient)
    _client(info).resource_groups.create_or_update("rg-blob", {"location": "eastus"})
    name = f"st{uuid.uuid4().hex[:10]}"
    account = storage.storage_accounts.begin_create(
        "rg-blob",
        name,
        {"location": "eastus", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"},
    ).result(timeout=60)
    assert account.primary_endpoints.blob == f"https://127.0.0.1:10000/{name}/"


def test_reset_empties_state_but_keeps_principals(own_dir: Path, stand_in: Any) -> None:
    info = _start(stand_in, own_dir)
    admin = AdminClient.from_info(info)
    added = admin.add_principal(secret="s3cret-value", display_name="kept")
    admin.reset()
    state = admin.state()
    assert not any("/resourcegroups/" in i.lower() for i in state)
    assert f"/subscriptions/{info['subscription_id']}" in state
    assert added["client_id"] in [p["client_id"] for p in admin.principals()]
    # the default principal is still Owner: it can create again
    _client(info).resource_groups.create_or_update("rg-after-reset", {"location": "eastus"})
    assert json.loads((own_dir / "azsim.json").read_text())["client_id"] == info["client_id"]
