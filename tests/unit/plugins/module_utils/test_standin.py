# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module layer against the running stand-in: real azure-identity, real SDK, real HTTPS.

Skipped only when the ``azsim`` command is not installed.
"""

from __future__ import annotations

import json
import shlex
import shutil
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("azure.identity", reason="azure-identity is not installed")
pytest.importorskip("azure.mgmt.core", reason="azure-mgmt-core is not installed")

from ansible_collections.goldenimage.azure.plugins.module_utils._cloud import resolve_cloud
from ansible_collections.goldenimage.azure.plugins.module_utils._errors import get_or_none
from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule
from ansible_collections.goldenimage.azure.tests.unit.harness import ModuleResult, run_module

GROUP_API = "2022-09-01"
GALLERY_API = "2026-03-03"
WRITES = {"PUT", "PATCH", "DELETE", "POST"}


@dataclass
class StandIn:
    directory: Path
    info: dict[str, Any]
    env: dict[str, str]

    @property
    def url(self) -> str:
        return str(self.info["url"]).rstrip("/")

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/_sim/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        context = ssl.create_default_context(cafile=self.info["ca_file"])
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def last_seq(self) -> int:
        entries = self.admin("GET", "requests")
        return int(entries[-1]["seq"]) if entries else 0

    def requests_since(self, seq: int) -> list[dict[str, Any]]:
        return [
            entry
            for entry in self.admin("GET", f"requests?since={seq}")
            if entry["kind"] != "admin"
        ]


def azsim_command() -> str | None:
    beside_python = Path(sys.executable).parent / "azsim"
    return str(beside_python) if beside_python.exists() else shutil.which("azsim")


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        words = shlex.split(line, comments=True)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, value = words[1].split("=", 1)
            values[name] = value
    return values


@pytest.fixture(scope="module")
def standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIn]:
    command = azsim_command()
    if command is None:
        pytest.skip(
            "the azsim command is not installed (pip install -e emulator[test]); stand-in tests skipped"
        )
    directory = tmp_path_factory.mktemp("azsim")
    subprocess.run(
        [command, "start", "--dir", str(directory)], check=True, timeout=120, capture_output=True
    )
    try:
        info = json.loads((directory / "azsim.json").read_text())
        yield StandIn(directory, info, read_env_file(directory / "env.sh"))
    finally:
        subprocess.run(
            [command, "stop", "--dir", str(directory)], timeout=60, check=False, capture_output=True
        )


@pytest.fixture
def azure_env(
    standin: StandIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Callable[..., None]:
    """Set exactly the given variables (plus CA and loopback settings) for the next module run."""
    import os

    for name in list(os.environ):
        if name.startswith(("AZURE_", "IDENTITY_", "MSI_")) or name in ("REQUESTS_CA_BUNDLE",):
            monkeypatch.delenv(name)

    def apply(*names: str, **overrides: str) -> None:
        monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path))  # no profile, no CLI login
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", standin.info["ca_file"])
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        for name in names:
            monkeypatch.setenv(name, standin.env[name])
        for name, value in overrides.items():
            monkeypatch.setenv(name, value)

    return apply


AWX_NAMES = (
    "AZURE_SUBSCRIPTION_ID",
    "AZURE_CLIENT_ID",
    "AZURE_SECRET",
    "AZURE_TENANT",
    "AZURE_CLOUD_ENVIRONMENT",
)


def probe_main() -> None:
    """Read a resource group and list its galleries, both over the collection's ARM client."""
    module = AzureModule({"resource_group": {"type": "str", "required": True}}, result_key="probe")
    group_name = module.params["resource_group"]
    label = f"resource group {group_name}"
    try:
        path = f"/subscriptions/{module.subscription_id}/resourceGroups/{group_name}"
        group = get_or_none(module.arm.get, path, GROUP_API, resource=label)
        galleries = []
        if group is not None:
            galleries = [
                gallery["name"]
                for gallery in module.arm.list(
                    f"{path}/providers/Microsoft.Compute/galleries", GALLERY_API
                )
            ]
    except Exception as exc:
        module.fail_from(exc, verb="read", resource=label)
    module.exit(changed=False, resource={"group": group, "galleries": galleries})


def token_requests(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in entries if entry["kind"] == "token" and entry["method"] == "POST"]


def run_probe(params: dict[str, Any]) -> ModuleResult:
    return run_module(probe_main, params)


def test_metadata_url_cloud_resolves_arm_and_authority(standin: StandIn) -> None:
    cloud = resolve_cloud(standin.env["AZURE_CLOUD_ENVIRONMENT"], verify=standin.info["ca_file"])
    assert cloud.arm_url.rstrip("/") == standin.env["AZURE_CLOUD_ENVIRONMENT"].rstrip("/")
    assert cloud.login_endpoint.startswith("https://")
    assert cloud.scope.endswith("/.default")
    assert not cloud.is_public_microsoft
    assert cloud.credential_kwargs()["disable_instance_discovery"] is True


def test_awx_variables_reach_arm_with_one_token_request(
    standin: StandIn, azure_env: Callable[..., None]
) -> None:
    azure_env(*AWX_NAMES)
    start = standin.last_seq()
    absent = run_probe({"resource_group": "rg-found-absent"})
    assert not absent.failed, absent.msg
    assert absent["probe"] == {"group": None, "galleries": []}
    entries = standin.requests_since(start)
    assert len(token_requests(entries)) == 1
    assert not [entry for entry in entries if entry["kind"] == "arm" and entry["method"] in WRITES]


def test_one_token_serves_raw_arm_and_sdk_clients(
    standin: StandIn, azure_env: Callable[..., None]
) -> None:
    azure_env(*AWX_NAMES)
    subscription = standin.env["AZURE_SUBSCRIPTION_ID"]
    standin.admin(
        "POST",
        "seed",
        {
            "resources": [
                {
                    "id": f"/subscriptions/{subscription}/resourceGroups/rg-found-probe",
                    "body": {"location": "eastus"},
                }
            ]
        },
    )
    start = standin.last_seq()
    result = run_probe({"resource_group": "rg-found-probe"})
    assert not result.failed, result.msg
    assert (
        result["probe"]["group"]["name"] == "rg-found-probe" and result["probe"]["galleries"] == []
    )
    entries = standin.requests_since(start)
    assert len(token_requests(entries)) == 1
    assert len([entry for entry in entries if entry["kind"] == "arm"]) == 2


def test_wrong_secret_fails_fast_and_clearly_without_a_retry_storm(
    standin: StandIn, azure_env: Callable[..., None]
) -> None:
    wrong = "not-the-secret-4711"
    azure_env(*AWX_NAMES, AZURE_SECRET=wrong)
    start = standin.last_seq()
    began = time.monotonic()
    result = run_probe({"resource_group": "rg-any"})
    elapsed = time.monotonic() - began
    assert result.failed
    assert elapsed < 5, f"took {elapsed:.1f} s"
    client_id = standin.env["AZURE_CLIENT_ID"]
    assert result.msg.startswith(
        f"Azure authentication failed for client id {client_id} at https://"
    ), result.msg
    assert wrong not in json.dumps(result.result)
    entries = standin.requests_since(start)
    assert 1 <= len(token_requests(entries)) <= 3
    assert [entry for entry in entries if entry["kind"] == "arm"] == []


def login_options(standin: StandIn) -> dict[str, Any]:
    return {
        "resource_group": "rg-absent",
        "client_id": standin.info["client_id"],
        "tenant": standin.info["tenant_id"],
    }


def test_certificate_login(standin: StandIn, azure_env: Callable[..., None]) -> None:
    azure_env("AZURE_SUBSCRIPTION_ID", "AZURE_CLOUD_ENVIRONMENT")
    certificate = str(standin.directory / "client-cert.pem")
    result = run_probe({**login_options(standin), "client_certificate_path": certificate})
    assert not result.failed, result.msg


def test_federated_token_login(standin: StandIn, azure_env: Callable[..., None]) -> None:
    azure_env("AZURE_SUBSCRIPTION_ID", "AZURE_CLOUD_ENVIRONMENT")
    token_file = str(standin.directory / "federated-token.jwt")
    result = run_probe({**login_options(standin), "federated_token_file": token_file})
    assert not result.failed, result.msg


def test_federated_token_from_the_environment(
    standin: StandIn, azure_env: Callable[..., None]
) -> None:
    azure_env(
        "AZURE_SUBSCRIPTION_ID",
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "AZURE_CLOUD_ENVIRONMENT",
        AZURE_FEDERATED_TOKEN_FILE=str(standin.directory / "federated-token.jwt"),
    )
    result = run_probe({"resource_group": "rg-absent", "auth_source": "env"})
    assert not result.failed, result.msg


def test_managed_identity_reaches_the_identity_endpoint(
    standin: StandIn, azure_env: Callable[..., None]
) -> None:
    msi = read_env_file(standin.directory / "env-msi.sh")
    azure_env("AZURE_SUBSCRIPTION_ID", "AZURE_CLOUD_ENVIRONMENT", **msi)
    start = standin.last_seq()
    result = run_probe(
        {"resource_group": "rg-absent", "auth_source": "msi", "client_id": "no-such-identity"}
    )
    assert result.failed
    expected = f"Azure authentication failed for client id no-such-identity at {msi['IDENTITY_ENDPOINT']}: "
    assert result.msg.startswith(expected), result.msg
    assert "No managed identity found" in result.msg
    calls = [entry for entry in standin.requests_since(start) if entry["kind"] == "token"]
    assert [entry["path"] for entry in calls] == ["/msi/token"]


def create_user_assigned_identity(
    standin: StandIn, azure_env: Callable[..., None]
) -> dict[str, Any]:
    """A user-assigned identity made through ARM with the default principal, as a user would."""
    azure_env(*AWX_NAMES)
    created = run_module(identity_main, {"resource_group": "rg-found-msi", "identity": "id-found"})
    if created.failed and "InvalidResourceType" in created.msg:
        pytest.skip("the stand-in does not serve Microsoft.ManagedIdentity yet")
    assert not created.failed, created.msg
    identity: dict[str, Any] = created["identity"]
    return identity


def identity_main() -> None:
    module = AzureModule(
        {
            "resource_group": {"type": "str", "required": True},
            "identity": {"type": "str", "required": True},
        },
        result_key="identity",
    )
    group = (
        f"/subscriptions/{module.subscription_id}/resourceGroups/{module.params['resource_group']}"
    )
    try:
        module.arm.put(group, GROUP_API, {"location": "eastus"})
        path = f"{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{module.params['identity']}"
        identity = module.arm.put(path, "2023-01-31", {"location": "eastus"})
    except Exception as exc:
        module.fail_from(exc, verb="create", resource="a user-assigned identity")
    module.exit(changed=True, resource=identity)


def test_user_assigned_managed_identity_login(
    standin: StandIn, azure_env: Callable[..., None]
) -> None:
    identity = create_user_assigned_identity(standin, azure_env)
    msi = read_env_file(standin.directory / "env-msi.sh")
    azure_env("AZURE_SUBSCRIPTION_ID", "AZURE_CLOUD_ENVIRONMENT", **msi)
    client_id = identity["properties"]["clientId"]
    start = standin.last_seq()
    result = run_probe(
        {"resource_group": "rg-absent", "auth_source": "msi", "client_id": client_id}
    )
    tokens = [entry for entry in standin.requests_since(start) if entry["kind"] == "token"]
    assert [(entry["path"], entry["status"]) for entry in tokens] == [("/msi/token", 200)]
    # The new identity holds no role, so ARM itself refuses the read: proof the token was used.
    assert result.failed
    assert result.msg.startswith(
        "Azure refused to read resource group rg-absent: AuthorizationFailed"
    ), result.msg


def test_principal_without_roles_gets_azures_refusal(
    standin: StandIn, azure_env: Callable[..., None]
) -> None:
    standin.admin(
        "POST",
        "principals",
        {"client_id": "found-no-roles", "secret": "nr-secret-1", "object_id": "found-no-roles-oid"},
    )
    azure_env("AZURE_SUBSCRIPTION_ID", "AZURE_CLOUD_ENVIRONMENT")
    options = {
        "client_id": "found-no-roles",
        "secret": "nr-secret-1",
        "tenant": standin.info["tenant_id"],
    }
    result = run_probe({"resource_group": "rg-any", **options})
    assert result.failed
    assert result.msg.startswith(
        "Azure refused to read resource group rg-any: AuthorizationFailed"
    ), result.msg
    assert result["error"]["status"] == 403 and result["error"]["request_id"]
    assert "nr-secret-1" not in json.dumps(result.result)


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # asked for below
def test_ca_bundle_option_reaches_metadata_login_and_arm(
    standin: StandIn, azure_env: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    azure_env(*AWX_NAMES)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    untrusted = run_probe({"resource_group": "rg-absent"})
    assert untrusted.failed
    assert untrusted.msg.startswith("Cannot read the ARM metadata at"), untrusted.msg
    assert (
        "CERTIFICATE_VERIFY_FAILED" in untrusted.msg or "certificate verify failed" in untrusted.msg
    )
    start = standin.last_seq()
    trusted = run_probe({"resource_group": "rg-absent", "ca_bundle": standin.info["ca_file"]})
    assert not trusted.failed, trusted.msg
    kinds = sorted({entry["kind"] for entry in standin.requests_since(start)})
    assert kinds == ["arm", "metadata", "token"]
    unverified = run_probe({"resource_group": "rg-absent", "validate_certs": False})
    assert not unverified.failed, unverified.msg
    assert any("not verified" in warning for warning in unverified.warnings)
