"""A build survives `azsim stop` / `azsim start` in its middle: it continues on simulated time
and ends as it would have, its `run` operation included."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.identity import ClientSecretCredential
from azure.mgmt.imagebuilder import ImageBuilderClient
from azure.mgmt.resource.resources import ResourceManagementClient
from conftest import FAST_POLLING, start_stand_in, stop_stand_in
from test_imagebuilder_support import CONTRIBUTOR, IB_API, IDENTITY_API, Identity, template_body

from azsim.client import AdminClient

SCALE = 3600


@pytest.fixture(scope="module")
def own_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("ib-restart")
    yield directory
    stop_stand_in(directory)


def credential(info: dict[str, Any]) -> ClientSecretCredential:
    return ClientSecretCredential(
        info["tenant_id"],
        info["client_id"],
        info["client_secret"],
        authority=info["url"],
        disable_instance_discovery=True,
        connection_verify=info["ca_file"],
    )


def client(info: dict[str, Any], kind: type) -> Any:
    return kind(
        credential(info),
        info["subscription_id"],
        base_url=info["url"],
        credential_scopes=["https://management.core.windows.net/.default"],
        connection_verify=info["ca_file"],
        **FAST_POLLING,
    )


def raw(
    info: dict[str, Any], method: str, path: str, body: Any = None
) -> tuple[int, Any, dict[str, str]]:
    """One ARM call without an SDK poller, which would keep polling while the server is down."""
    token = credential(info).get_token("https://management.core.windows.net/.default").token
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    url = path if path.startswith("https://") else f"{info['url']}{path}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    context = AdminClient.from_info(info)._context
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            text, status, got = response.read(), response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        text, status, got = error.read(), error.code, dict(error.headers)
    return status, json.loads(text) if text else None, got


def test_a_build_continues_across_a_restart(own_dir: Path) -> None:
    info = start_stand_in(own_dir, "--time-scale", str(SCALE))
    admin = AdminClient.from_info(info)
    group = f"rg-restart-{uuid.uuid4().hex[:6]}"
    group_id = f"/subscriptions/{info['subscription_id']}/resourceGroups/{group}"
    client(info, ResourceManagementClient).resource_groups.create_or_update(
        group, {"location": "eastus"}
    )
    identity_path = f"{group_id}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aib"
    _, made, _ = raw(
        info, "PUT", f"{identity_path}?api-version={IDENTITY_API}", {"location": "eastus"}
    )
    identity = Identity(made["id"], made["properties"]["principalId"])
    assignment = f"{group_id}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}"
    role = f"/subscriptions/{info['subscription_id']}/providers/Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR}"
    raw(
        info,
        "PUT",
        f"{assignment}?api-version=2022-04-01",
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
        group, "durable", template_body(identity)
    ).result()

    admin.set_scale(1)  # hold the build where the test puts it
    template_path = f"{group_id}/providers/Microsoft.VirtualMachineImages/imageTemplates/durable"
    status, _, headers = raw(info, "POST", f"{template_path}/run?api-version={IB_API}")
    assert status == 202
    admin.advance(200)  # past Queued (90 s), inside Building
    _, before, _ = raw(info, "GET", f"{template_path}?api-version={IB_API}")
    running = before["properties"]["lastRunStatus"]
    assert (running["runState"], running["runSubState"]) == ("Running", "Building")

    stop_stand_in(own_dir)
    start_stand_in(own_dir)  # without --time-scale: the held clock stays held

    _, after, _ = raw(info, "GET", f"{template_path}?api-version={IB_API}")
    assert after["properties"]["lastRunStatus"]["runSubState"] == "Building"
    _, operation, _ = raw(info, "GET", headers["Azure-AsyncOperation"])
    assert operation["status"] == "InProgress"

    admin.advance(600)
    _, later, _ = raw(info, "GET", f"{template_path}?api-version={IB_API}")
    assert later["properties"]["lastRunStatus"]["runSubState"] in ("Customizing", "Distributing")
    admin.advance(1800)
    admin.set_scale(SCALE)
    done = builder.virtual_machine_image_templates.get(group, "durable").last_run_status
    assert done.run_state == "Succeeded"
    assert done.start_time.isoformat()[:19] == running["startTime"][:19]
    # the phases kept their simulated lengths: Queued 90 + Building 420 + Customizing 300 +
    # Distributing 180 seconds, however long the server was down in real time
    assert (done.end_time - done.start_time).total_seconds() == pytest.approx(990, abs=30)
    _, operation, _ = raw(info, "GET", headers["Azure-AsyncOperation"])
    assert operation["status"] == "Succeeded"
    outputs = list(builder.virtual_machine_image_templates.list_run_outputs(group, "durable"))
    assert [(o.name, o.provisioning_state) for o in outputs] == [("vhd", "Succeeded")]
