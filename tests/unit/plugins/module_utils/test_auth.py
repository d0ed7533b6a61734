# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Credential selection order, AWX variable names, profiles, CLI token caching, credential kinds."""

from __future__ import annotations

import json
import os
import stat
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.goldenimage.azure.plugins.module_utils._auth import (
    AZURE_CLI,
    CLIENT_CERTIFICATE,
    CLIENT_SECRET,
    FEDERATED,
    MANAGED_IDENTITY,
    AuthConfigurationError,
    CachedCliCredential,
    TokenFileCache,
    build_credential,
    resolve_auth,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._clients import MissingSdkError
from ansible_collections.goldenimage.azure.plugins.module_utils._cloud import (
    CloudEnvironment,
    resolve_cloud,
)

AWX_ENV = {
    "AZURE_SUBSCRIPTION_ID": "sub-awx",
    "AZURE_CLIENT_ID": "app-awx",
    "AZURE_SECRET": "awx-secret-value",
    "AZURE_TENANT": "tenant-awx",
    "AZURE_CLOUD_ENVIRONMENT": "AzureChinaCloud",
}
NO_CLI = {"which": lambda name: None}


def params(**values: Any) -> dict[str, Any]:
    return {"auth_source": "auto", **values}


def isolated_env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"AZURE_CONFIG_DIR": str(tmp_path / "azure"), **values}


def test_awx_variable_names_are_read(tmp_path: Path) -> None:
    settings = resolve_auth(params(), isolated_env(tmp_path, **AWX_ENV), **NO_CLI)
    assert settings.kind == CLIENT_SECRET and settings.source == "environment variables"
    assert (settings.client_id, settings.tenant, settings.subscription_id) == (
        "app-awx",
        "tenant-awx",
        "sub-awx",
    )
    assert settings.secret == "awx-secret-value"
    assert settings.cloud_environment == "AzureChinaCloud"


def test_azure_identity_variable_names_are_read(tmp_path: Path) -> None:
    env = isolated_env(
        tmp_path, AZURE_CLIENT_ID="app", AZURE_CLIENT_SECRET="s3", AZURE_TENANT_ID="t"
    )
    settings = resolve_auth(params(), env, **NO_CLI)
    assert (settings.kind, settings.client_id, settings.tenant, settings.secret) == (
        CLIENT_SECRET,
        "app",
        "t",
        "s3",
    )


def test_awx_names_win_over_azure_identity_names(tmp_path: Path) -> None:
    env = isolated_env(
        tmp_path, **AWX_ENV, AZURE_CLIENT_SECRET="other", AZURE_TENANT_ID="other-tenant"
    )
    settings = resolve_auth(params(), env, **NO_CLI)
    assert (settings.secret, settings.tenant) == ("awx-secret-value", "tenant-awx")


def test_module_options_win_and_subscription_option_overlays(tmp_path: Path) -> None:
    options = params(
        client_id="app-opt", secret="opt-secret", tenant="t-opt", subscription_id="sub-opt"
    )
    settings = resolve_auth(options, isolated_env(tmp_path, **AWX_ENV), **NO_CLI)
    assert (settings.source, settings.client_id, settings.subscription_id) == (
        "module options",
        "app-opt",
        "sub-opt",
    )
    overlay = resolve_auth(
        params(subscription_id="sub-x"), isolated_env(tmp_path, **AWX_ENV), **NO_CLI
    )
    assert (overlay.client_id, overlay.subscription_id) == ("app-awx", "sub-x")


def test_incomplete_options_fail_naming_what_is_missing(tmp_path: Path) -> None:
    env = isolated_env(tmp_path, **AWX_ENV)
    with pytest.raises(AuthConfigurationError, match="from module options also needs client_id"):
        resolve_auth(params(secret="s", tenant="t"), env, **NO_CLI)
    settings = resolve_auth(params(client_id="app", secret="s"), env, **NO_CLI)
    with pytest.raises(AuthConfigurationError, match="from module options also needs tenant"):
        build_credential(settings, OFFLINE_CLOUD, True)


def test_adfs_needs_no_tenant(monkeypatch: pytest.MonkeyPatch) -> None:
    identity = pytest.importorskip("azure.identity")
    recorded: dict[str, Any] = {}
    monkeypatch.setattr(
        identity, "ClientSecretCredential", lambda *a, **k: recorded.update(args=a, kwargs=k)
    )
    adfs = CloudEnvironment(
        "stack", "https://arm.stack/", "https://adfs.stack/adfs", "https://aud.stack/"
    )
    build_credential(resolve_auth(params(client_id="a", secret="s"), {}, **NO_CLI), adfs, True)
    assert recorded["args"] == ("adfs", "a", "s")
    assert recorded["kwargs"]["authority"] == "https://adfs.stack"


def test_certificate_and_federated_kinds(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    cert = resolve_auth(
        params(client_id="a", tenant="t", client_certificate_path="/c.pem"), env, **NO_CLI
    )
    assert cert.kind == CLIENT_CERTIFICATE
    env_fed = isolated_env(
        tmp_path, AZURE_CLIENT_ID="a", AZURE_TENANT_ID="t", AZURE_FEDERATED_TOKEN_FILE="/tok"
    )
    assert resolve_auth(params(), env_fed, **NO_CLI).kind == FEDERATED


def write_profiles(tmp_path: Path) -> None:
    directory = tmp_path / "azure"
    directory.mkdir(exist_ok=True)
    (directory / "credentials").write_text(
        "[default]\nsubscription_id=sub-d\nclient_id=app-d\nsecret=sec-d\ntenant=t-d\n\n"
        "[stack]\nsubscription_id=sub-s\nclient_id=app-s\nsecret=sec-s\ntenant=t-s\n"
        "cloud_environment=https://arm.example\n"
    )


def test_credentials_file_default_and_named_profiles(tmp_path: Path) -> None:
    write_profiles(tmp_path)
    default = resolve_auth(params(), isolated_env(tmp_path), **NO_CLI)
    assert (default.client_id, default.subscription_id) == ("app-d", "sub-d")
    named = resolve_auth(
        params(auth_source="credential_file", profile="stack"), isolated_env(tmp_path), **NO_CLI
    )
    assert (named.client_id, named.cloud_environment) == ("app-s", "https://arm.example")
    with pytest.raises(AuthConfigurationError, match="No profile 'missing'"):
        resolve_auth(params(profile="missing"), isolated_env(tmp_path), **NO_CLI)


def test_env_source_ignores_the_profile(tmp_path: Path) -> None:
    write_profiles(tmp_path)
    with pytest.raises(
        AuthConfigurationError, match="No service principal credentials in environment variables"
    ):
        resolve_auth(params(auth_source="env"), isolated_env(tmp_path), **NO_CLI)


def test_auto_falls_back_to_cli_login_then_managed_identity(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    (tmp_path / "azure").mkdir()
    (tmp_path / "azure" / "azureProfile.json").write_text("{}")
    assert resolve_auth(params(), env, which=lambda name: "/usr/bin/az").kind == AZURE_CLI
    msi_env = isolated_env(
        tmp_path, IDENTITY_ENDPOINT="http://127.0.0.1:1/token", IDENTITY_HEADER="h"
    )
    settings = resolve_auth(params(client_id="uai-client"), msi_env, **NO_CLI)
    assert (settings.kind, settings.client_id) == (MANAGED_IDENTITY, "uai-client")


def test_nothing_found_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AuthConfigurationError, match="No Azure credentials found"):
        resolve_auth(params(), isolated_env(tmp_path), **NO_CLI)


def test_secrets_stay_out_of_repr_and_describe(tmp_path: Path) -> None:
    settings = resolve_auth(
        params(client_certificate_password="pw-1"), isolated_env(tmp_path, **AWX_ENV), **NO_CLI
    )
    assert (
        "awx-secret-value" not in repr(settings) and "awx-secret-value" not in settings.describe()
    )


# --- credentials --------------------------------------------------------------------------------

OFFLINE_CLOUD = CloudEnvironment(
    "stand-in", "https://127.0.0.1:1/", "https://127.0.0.1:1/", "https://arm.example/"
)


def test_client_secret_credential_gets_authority_discovery_and_ca_bundle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    identity = pytest.importorskip("azure.identity")
    recorded: dict[str, Any] = {}
    monkeypatch.setattr(
        identity, "ClientSecretCredential", lambda *a, **k: recorded.update(args=a, kwargs=k)
    )
    settings = resolve_auth(params(client_id="a", secret="s", tenant="t"), {}, **NO_CLI)
    build_credential(settings, OFFLINE_CLOUD, "/ca.pem")
    assert recorded["args"] == ("t", "a", "s")
    assert recorded["kwargs"] == {
        "connection_verify": "/ca.pem",
        "authority": "https://127.0.0.1:1",
        "disable_instance_discovery": True,
    }


def test_public_cloud_keeps_instance_discovery(monkeypatch: pytest.MonkeyPatch) -> None:
    identity = pytest.importorskip("azure.identity")
    recorded: dict[str, Any] = {}
    monkeypatch.setattr(
        identity, "CertificateCredential", lambda *a, **k: recorded.update(args=a, kwargs=k)
    )
    settings = resolve_auth(
        params(
            client_id="a",
            tenant="t",
            client_certificate_path="/c.pem",
            client_certificate_password="pw",
        ),
        {},
        **NO_CLI,
    )
    build_credential(settings, resolve_cloud("AzureCloud"), True)
    assert "disable_instance_discovery" not in recorded["kwargs"]
    assert (
        recorded["kwargs"]["password"] == b"pw"
        and recorded["kwargs"]["certificate_path"] == "/c.pem"
    )


def test_federated_token_file_is_read_on_every_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    identity = pytest.importorskip("azure.identity")
    recorded: dict[str, Any] = {}
    monkeypatch.setattr(
        identity, "ClientAssertionCredential", lambda *a, **k: recorded.update(args=a, kwargs=k)
    )
    token_file = tmp_path / "token.jwt"
    settings = resolve_auth(
        params(client_id="a", tenant="t", federated_token_file=str(token_file)), {}, **NO_CLI
    )
    build_credential(settings, OFFLINE_CLOUD, True)
    read_assertion = recorded["args"][2]
    token_file.write_text("first\n")
    assert read_assertion() == "first"
    token_file.write_text("rotated")
    assert read_assertion() == "rotated"


# --- Azure CLI token cache --------------------------------------------------------------------


class CountingCli:
    """Stands in for azure-identity's AzureCliCredential; counts the ``az`` runs it would make."""

    def __init__(self, lifetime: int = 3600) -> None:
        self.runs = 0
        self.lifetime = lifetime

    def factory(self, tenant: str | None) -> CountingCli:
        return self

    def get_token(self, *scopes: str) -> Any:
        from azure.core.credentials import AccessToken

        self.runs += 1
        return AccessToken(f"cli-token-{self.runs}", int(time.time()) + self.lifetime)


def cli_credential(tmp_path: Path, cli: CountingCli, runner: Any = None) -> CachedCliCredential:
    profile = tmp_path / "azureProfile.json"
    if not profile.exists():
        profile.write_text("{}")
    cache = TokenFileCache(str(tmp_path / "cache" / "cli-cache.json"))
    return CachedCliCredential("t1", cache, str(profile), inner_factory=cli.factory, runner=runner)


def test_cli_token_is_cached_across_processes_in_a_private_file(tmp_path: Path) -> None:
    pytest.importorskip("azure.core")
    cli = CountingCli()
    first = cli_credential(tmp_path, cli).get_token("https://arm.example/.default")
    second = cli_credential(tmp_path, cli).get_token("https://arm.example/.default")  # a new task
    assert cli.runs == 1 and first.token == second.token == "cli-token-1"
    cache_file = tmp_path / "cache" / "cli-cache.json"
    assert stat.S_IMODE(cache_file.stat().st_mode) == 0o600
    assert cli_credential(tmp_path, cli).get_token("https://other/.default").token == "cli-token-2"


def test_cli_token_near_expiry_and_new_login_are_refreshed(tmp_path: Path) -> None:
    pytest.importorskip("azure.core")
    short = CountingCli(lifetime=120)  # inside the five-minute margin
    cli_credential(tmp_path, short).get_token("s")
    cli_credential(tmp_path, short).get_token("s")
    assert short.runs == 2
    cli = CountingCli()
    cli_credential(tmp_path, cli).get_token("s")
    profile = tmp_path / "azureProfile.json"
    later = profile.stat().st_mtime + 10
    os.utime(profile, (later, later))  # what `az login` or `az account set` does
    cli_credential(tmp_path, cli).get_token("s")
    assert cli.runs == 2


def test_cli_subscription_is_cached_until_login_changes(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def runner(arguments: list[str]) -> str:
        calls.append(arguments)
        return json.dumps({"id": "sub-cli", "tenantId": "t1"})

    assert cli_credential(tmp_path, CountingCli(), runner).subscription_id() == "sub-cli"
    assert cli_credential(tmp_path, CountingCli(), runner).subscription_id() == "sub-cli"
    assert calls == [["account", "show", "--output", "json"]]


def test_real_cli_credential_runs_az_once_per_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("azure.identity")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    counter = tmp_path / "az-runs"
    expires = int(time.time()) + 3600
    script = bin_dir / "az"
    script.write_text(
        "#!/bin/sh\n"
        f'echo run >> "{counter}"\n'
        f'echo \'{{"accessToken": "from-az", "expires_on": {expires}, "tokenType": "Bearer"}}\'\n'
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    (tmp_path / "azureProfile.json").write_text("{}")
    for _task in range(3):
        credential = build_credential(
            resolve_auth(params(auth_source="cli"), {}),
            OFFLINE_CLOUD,
            True,
            env={"AZURE_CONFIG_DIR": str(tmp_path)},
        )
        assert credential.get_token("https://arm.example/.default").token == "from-az"
    assert counter.read_text().count("run") == 1


def test_missing_azure_identity_names_the_pip_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "azure.identity", None)  # makes the import fail
    settings = resolve_auth(params(client_id="a", secret="s", tenant="t"), {}, **NO_CLI)
    with pytest.raises(MissingSdkError) as raised:
        build_credential(settings, OFFLINE_CLOUD, True)
    assert raised.value.package == "azure-identity"


def test_incomplete_environment_names_the_variable(tmp_path: Path) -> None:
    env = isolated_env(tmp_path, AZURE_CLIENT_ID="app", AZURE_SECRET="s")
    settings = resolve_auth(params(), env, **NO_CLI)
    with pytest.raises(
        AuthConfigurationError, match=r"also needs AZURE_TENANT \(or AZURE_TENANT_ID\)"
    ):
        build_credential(settings, OFFLINE_CLOUD, True)


def test_a_damaged_cache_file_is_ignored_and_rewritten(tmp_path: Path) -> None:
    cache = TokenFileCache(str(tmp_path / "cache.json"))
    (tmp_path / "cache.json").write_text(
        '{"a": "not an entry", "b": {"expires_on": "soon"}, "c": [1]}'
    )
    assert cache.get("a") is None and cache.get("b") is None
    cache.put("d", {"token": "t", "expires_on": time.time() + 60})
    assert json.loads((tmp_path / "cache.json").read_text()).keys() == {"d"}
    (tmp_path / "cache.json").write_text("{not json")
    assert cache.get("d") is None
