"""Start, describe and stop the local ARM stand-in (`azsim`) for the test runners.

Shared by the integration runner and the packaging test. Everything goes through
the stand-in's command line and its documented files (azsim.json, env.sh), and
resource groups are made the way any ARM client makes them: an HTTPS PUT with a
token from Entra ID, here from azure-identity.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

RESOURCE_GROUP_API_VERSION = "2021-04-01"
METADATA_API_VERSION = "2022-09-01"
REQUEST_TIMEOUT_SECONDS = 30
START_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class StandIn:
    """A running stand-in as its state directory describes it."""

    state_dir: Path
    url: str
    ca_file: str
    subscription_id: str
    tenant_id: str
    client_id: str
    client_secret: str
    environment: dict[str, str]


def azsim_command() -> str:
    """The `azsim` script installed beside the Python running the tests."""
    command = Path(sys.executable).parent / "azsim"
    if not command.exists():
        raise RuntimeError(
            f"{command} not found: install the stand-in (pip install -e 'emulator[test]')"
        )
    return str(command)


def start_fresh(state_dir: Path, time_scale: int, extra_args: Sequence[str] = ()) -> StandIn:
    """Start a stand-in with empty state, stopping one an interrupted run left behind.

    `extra_args` go to `azsim start` as they are (e.g. `--blob-endpoint URL`).
    """
    if (state_dir / "azsim.json").exists():
        subprocess.run(
            [azsim_command(), "stop", "--dir", str(state_dir)],
            check=False,
            timeout=START_TIMEOUT_SECONDS,
        )
    shutil.rmtree(state_dir, ignore_errors=True)
    state_dir.mkdir(parents=True)
    subprocess.run(
        [
            azsim_command(),
            "start",
            "--dir",
            str(state_dir),
            "--time-scale",
            str(time_scale),
            *extra_args,
        ],
        check=True,
        timeout=START_TIMEOUT_SECONDS,
    )
    return describe(state_dir)


def stop(state_dir: Path) -> None:
    subprocess.run(
        [azsim_command(), "stop", "--dir", str(state_dir)],
        check=True,
        timeout=START_TIMEOUT_SECONDS,
    )


def read_exports(env_file: Path) -> dict[str, str]:
    """Parse the `export NAME=VALUE` lines the stand-in writes to env.sh."""
    exports = {}
    for line in env_file.read_text(encoding="utf-8").splitlines():
        words = shlex.split(line, comments=True)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, value = words[1].split("=", 1)
            exports[name] = value
    return exports


def describe(state_dir: Path) -> StandIn:
    info = json.loads((state_dir / "azsim.json").read_text(encoding="utf-8"))
    return StandIn(
        state_dir=state_dir,
        url=info["url"].rstrip("/"),
        ca_file=info["ca_file"],
        subscription_id=info["subscription_id"],
        tenant_id=info["tenant_id"],
        client_id=info["client_id"],
        client_secret=info["client_secret"],
        environment=read_exports(state_dir / "env.sh"),
    )


def cloud_entry(metadata: Any, url: str) -> dict[str, Any]:
    """The stand-in's cloud from the metadata document, which newer API versions list."""
    if isinstance(metadata, dict):
        return metadata
    for cloud in metadata:
        if cloud.get("resourceManager", "").rstrip("/") == url:
            return cloud
    raise RuntimeError(f"no cloud with resourceManager {url} in the metadata document")


def management_token(stand_in: StandIn) -> str:
    """A bearer token for ARM, found through the cloud metadata like any Azure client."""
    from azure.identity import ClientSecretCredential

    metadata = requests.get(
        f"{stand_in.url}/metadata/endpoints",
        params={"api-version": METADATA_API_VERSION},
        verify=stand_in.ca_file,
        timeout=REQUEST_TIMEOUT_SECONDS,
    ).json()
    authentication = cloud_entry(metadata, stand_in.url)["authentication"]
    credential = ClientSecretCredential(
        stand_in.tenant_id,
        stand_in.client_id,
        stand_in.client_secret,
        authority=authentication["loginEndpoint"],
        disable_instance_discovery=True,
        connection_verify=stand_in.ca_file,
    )
    audience = authentication["audiences"][0].rstrip("/")
    return credential.get_token(f"{audience}/.default").token


def resource_group_url(stand_in: StandIn, name: str) -> str:
    return f"{stand_in.url}/subscriptions/{stand_in.subscription_id}/resourcegroups/{name}"


def create_resource_group(stand_in: StandIn, token: str, name: str, location: str) -> None:
    response = requests.put(
        resource_group_url(stand_in, name),
        params={"api-version": RESOURCE_GROUP_API_VERSION},
        json={"location": location},
        headers={"Authorization": f"Bearer {token}"},
        verify=stand_in.ca_file,
        timeout=REQUEST_TIMEOUT_SECONDS,
    )
    if response.status_code not in (200, 201):
        raise RuntimeError(
            f"creating resource group {name}: HTTP {response.status_code} {response.text}"
        )


def delete_resource_group(stand_in: StandIn, token: str, name: str) -> None:
    """Ask for the deletion without waiting: the next target does not depend on it."""
    requests.delete(
        resource_group_url(stand_in, name),
        params={"api-version": RESOURCE_GROUP_API_VERSION},
        headers={"Authorization": f"Bearer {token}"},
        verify=stand_in.ca_file,
        timeout=REQUEST_TIMEOUT_SECONDS,
    )
