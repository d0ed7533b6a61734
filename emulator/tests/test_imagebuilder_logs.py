"""A failed customization writes customization.log where Image Builder writes it (container
`packerlogs`, blob `<run id>/customization.log`) into the blob service the stand-in was started
with, here a real Azurite; the run's message points at it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.identity import ClientSecretCredential
from azure.mgmt.imagebuilder import ImageBuilderClient
from azure.mgmt.resource.resources import ResourceManagementClient
from conftest import FAST_POLLING, start_stand_in, stop_stand_in
from test_imagebuilder_restart import raw
from test_imagebuilder_support import CONTRIBUTOR, IDENTITY_API, Identity, template_body

from azsim.client import AdminClient

# Azurite's documented development account.
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def azurite_blob() -> str | None:
    """The `azurite-blob` launcher: AZSIM_AZURITE_BLOB, or one on PATH."""
    return os.environ.get("AZSIM_AZURITE_BLOB") or shutil.which("azurite-blob")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("azure.storage.blob")
    launcher = azurite_blob()
    if launcher is None:
        pytest.skip("Azurite is not installed (npm install azurite; set AZSIM_AZURITE_BLOB)")
    port = free_port()
    data = tmp_path_factory.mktemp("azurite")
    process = subprocess.Popen(
        [
            "node",
            launcher,
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--location",
            str(data),
            "--disableTelemetry",
            "--skipApiVersionCheck",
            "--silent",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/{ACCOUNT}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("Azurite did not start")
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory: pytest.TempPathFactory, azurite: str) -> Iterator[dict[str, Any]]:
    directory: Path = tmp_path_factory.mktemp("ib-logs")
    info = start_stand_in(directory, "--time-scale", "3600", "--blob-endpoint", azurite)
    yield info
    stop_stand_in(directory)


def client(info: dict[str, Any], kind: type) -> Any:
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
        info["subscription_id"],
        base_url=info["url"],
        credential_scopes=["https://management.core.windows.net/.default"],
        connection_verify=info["ca_file"],
        **FAST_POLLING,
    )


def test_failed_customization_writes_customization_log(
    stand_in: dict[str, Any], azurite: str
) -> None:
    from azure.storage.blob import BlobClient

    info = stand_in
    group = f"rg-logs-{uuid.uuid4().hex[:6]}"
    group_id = f"/subscriptions/{info['subscription_id']}/resourceGroups/{group}"
    client(info, ResourceManagementClient).resource_groups.create_or_update(
        group, {"location": "eastus"}
    )
    identity_path = f"{group_id}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aib"
    _, made, _ = raw(
        info, "PUT", f"{identity_path}?api-version={IDENTITY_API}", {"location": "eastus"}
    )
    identity = Identity(made["id"], made["properties"]["principalId"])
    role = f"/subscriptions/{info['subscription_id']}/providers/Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR}"
    raw(
        info,
        "PUT",
        f"{group_id}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}"
        "?api-version=2022-04-01",
        {
            "properties": {
                "roleDefinitionId": role,
                "principalId": identity.principal_id,
                "principalType": "ServicePrincipal",
            }
        },
    )
    builder = client(info, ImageBuilderClient)
    builder.virtual_machine_image_templates.begin_create_or_update(
        group, "logged", template_body(identity)
    ).result()
    AdminClient.from_info(info).call(
        "POST",
        "imagebuilder/failures",
        {
            "template": "logged",
            "sub_state": "Customizing",
            "message": "E: Unable to locate package nginxx",
        },
    )
    with pytest.raises(Exception, match="Unable to locate package nginxx"):
        builder.virtual_machine_image_templates.begin_run(group, "logged").result()

    message = builder.virtual_machine_image_templates.get(group, "logged").last_run_status.message
    location = message.split("Image Build log location: ", 1)[1].split(". OperationId", 1)[0]
    assert location.startswith(f"{azurite}/packerlogs/") and location.endswith("/customization.log")
    blob = BlobClient.from_blob_url(
        location, credential={"account_name": ACCOUNT, "account_key": KEY}, api_version="2021-12-02"
    )
    text = blob.download_blob().readall().decode()
    assert "E: Unable to locate package nginxx" in text
    assert "(telemetry) Starting provisioner shell" in text
    # the blob sits in the run's folder, named by the run id the message gives as OperationId
    run_id = message.split("OperationId: ", 1)[1].split(".", 1)[0]
    assert location.endswith(f"/packerlogs/{run_id}/customization.log")
