"""Shared fixtures: one stand-in per test session, started and stopped through the real CLI."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from azsim.client import AdminClient

# A simulated hour per real second keeps long-running operations short in tests.
TEST_TIME_SCALE = 3600


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "azsim", *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def read_env(path: Path) -> dict[str, str]:
    """The `export NAME=value` lines of an env file, as a dict."""
    env = {}
    for line in path.read_text().splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            env[name] = shlex.split(value)[0] if value else ""
    return env


def start_stand_in(directory: Path, *extra: str) -> dict[str, Any]:
    result = run_cli("start", "--dir", str(directory), *extra)
    if result.returncode != 0:
        log = (directory / "azsim.log").read_text() if (directory / "azsim.log").exists() else ""
        raise RuntimeError(f"azsim start failed: {result.stdout}{result.stderr}\n{log[-3000:]}")
    return json.loads((directory / "azsim.json").read_text())


def stop_stand_in(directory: Path) -> None:
    run_cli("stop", "--dir", str(directory))


@pytest.fixture(scope="session")
def azsim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("azsim")


@pytest.fixture(scope="session")
def azsim(azsim_dir: Path) -> Iterator[dict[str, Any]]:
    """The running stand-in's azsim.json."""
    info = start_stand_in(azsim_dir, "--time-scale", str(TEST_TIME_SCALE))
    yield info
    stop_stand_in(azsim_dir)


@pytest.fixture(scope="session")
def azsim_env(azsim: dict[str, Any], azsim_dir: Path) -> dict[str, str]:
    """env.sh as a dict, for subprocesses: `subprocess.run(..., env={**os.environ, **azsim_env})`."""
    return read_env(azsim_dir / "env.sh")


@pytest.fixture(scope="session")
def azsim_proxy_env(azsim: dict[str, Any], azsim_dir: Path) -> dict[str, str]:
    """env-proxy.sh as a dict."""
    return read_env(azsim_dir / "env-proxy.sh")


@pytest.fixture(scope="session")
def azsim_msi_env(azsim: dict[str, Any], azsim_dir: Path) -> dict[str, str]:
    """env-msi.sh as a dict."""
    return read_env(azsim_dir / "env-msi.sh")


class StandIn:
    """Start and stop further stand-ins (tests of restarts use their own)."""

    start = staticmethod(start_stand_in)
    stop = staticmethod(stop_stand_in)


@pytest.fixture(scope="session")
def stand_in() -> type[StandIn]:
    return StandIn


@pytest.fixture(scope="session")
def admin(azsim: dict[str, Any]) -> AdminClient:
    return AdminClient.from_info(azsim)


@pytest.fixture(scope="session", autouse=True)
def _no_proxy_for_loopback() -> None:
    # SDK clients honour HTTPS_PROXY from the environment; loopback must bypass it.
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"


@pytest.fixture(scope="session")
def credential(azsim: dict[str, Any]) -> Any:
    from azure.identity import ClientSecretCredential

    return ClientSecretCredential(
        azsim["tenant_id"],
        azsim["client_id"],
        azsim["client_secret"],
        authority=azsim["url"],
        disable_instance_discovery=True,
        connection_verify=azsim["ca_file"],
    )


@pytest.fixture(scope="session")
def arm_settings(azsim: dict[str, Any]) -> dict[str, Any]:
    """base_url and credential_scopes, read from the metadata endpoint as clients do."""
    import urllib.request

    from azsim.client import AdminClient as _Admin

    context = _Admin.from_info(azsim)._context
    url = f"{azsim['url']}/metadata/endpoints?api-version=2022-09-01"
    with urllib.request.urlopen(url, context=context, timeout=10) as response:
        cloud = json.loads(response.read())[0]
    audience = cloud["authentication"]["audiences"][0]
    return {
        "base_url": cloud["resourceManager"].rstrip("/"),
        "credential_scopes": [audience.rstrip("/") + "/.default"],
    }


ClientFactory = Callable[..., Any]

# The stand-in's Retry-After is at least one real second, as Azure's is; at the test time
# scale an operation ends within milliseconds, so SDK pollers that obeyed it would spend most
# of the suite asleep. Test clients drop it from successful responses and poll every
# POLL_SECONDS instead; error responses (429, 503) keep it for the retry policy. Tests of the
# header itself read it with `arm_request`.
POLL_SECONDS = 0.02


def drop_retry_after(pipeline_response: Any) -> None:
    response = pipeline_response.http_response
    if response.status_code < 400:
        response.headers.pop("Retry-After", None)


# Keyword arguments for an SDK management client that polls as described above.
FAST_POLLING: dict[str, Any] = {
    "polling_interval": POLL_SECONDS,
    "raw_response_hook": drop_retry_after,
}


@pytest.fixture(scope="session")
def make_client(
    azsim: dict[str, Any], credential: Any, arm_settings: dict[str, Any]
) -> ClientFactory:
    """`make_client(SomeManagementClient, subscription_id=None, credential=None)`."""

    def make(
        client_class: type,
        subscription_id: str | None = None,
        credential_override: Any = None,
        **kwargs: Any,
    ) -> Any:
        return client_class(
            credential_override or credential,
            subscription_id or azsim["subscription_id"],
            base_url=arm_settings["base_url"],
            credential_scopes=arm_settings["credential_scopes"],
            connection_verify=azsim["ca_file"],
            **{**FAST_POLLING, **kwargs},
        )

    return make


@pytest.fixture(scope="session")
def compute_client(make_client: ClientFactory) -> Any:
    from azure.mgmt.compute import ComputeManagementClient

    return make_client(ComputeManagementClient)


@pytest.fixture(scope="session")
def imagebuilder_client(make_client: ClientFactory) -> Any:
    from azure.mgmt.imagebuilder import ImageBuilderClient

    return make_client(ImageBuilderClient)


@pytest.fixture(scope="session")
def resource_client(make_client: ClientFactory) -> Any:
    from azure.mgmt.resource.resources import ResourceManagementClient

    return make_client(ResourceManagementClient)


@pytest.fixture
def resource_group(resource_client: Any) -> Iterator[str]:
    """A fresh, empty resource group in eastus, deleted afterwards."""
    name = f"rg-test-{uuid.uuid4().hex[:8]}"
    resource_client.resource_groups.create_or_update(name, {"location": "eastus"})
    yield name
    if resource_client.resource_groups.check_existence(name):
        resource_client.resource_groups.begin_delete(name).result()


ArmCall = Callable[..., tuple[int, Any, dict[str, str]]]


@pytest.fixture(scope="session")
def arm_request(azsim: dict[str, Any], credential: Any, arm_settings: dict[str, Any]) -> ArmCall:
    """`arm_request(method, path_and_query, body=None, token=<default principal's>)` for the
    few calls no SDK makes; returns (status, parsed body or None, headers)."""
    import urllib.error
    import urllib.request

    context = AdminClient.from_info(azsim)._context
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
    )

    def call(
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any, dict[str, str]]:
        bearer = (
            token
            if token is not None
            else credential.get_token(*arm_settings["credential_scopes"]).token
        )
        sent = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        request = urllib.request.Request(
            f"{azsim['url']}{path}", data=data, method=method, headers={**sent, **(headers or {})}
        )
        try:
            with opener.open(request, timeout=30) as response:
                raw, status, got = response.read(), response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            raw, status, got = error.read(), error.code, dict(error.headers)
        return status, json.loads(raw) if raw else None, got

    return call
