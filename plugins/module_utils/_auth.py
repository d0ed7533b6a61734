# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Choose the identity a module acts as, and build its azure-identity credential.

Order with ``auth_source: auto``: module options, environment variables (the names AWX's
"Microsoft Azure Resource Manager" credential injects, then azure-identity's own), a profile
in ``~/.azure/credentials``, an Azure CLI login, then a managed identity announced by
``IDENTITY_ENDPOINT``. Plain IMDS (no environment variable) is tried only with
``auth_source: msi``: probing it on a machine that is not in Azure only adds a timeout.

Credentials come whole from one source; ``subscription_id`` and ``cloud_environment`` given as
module options apply on top of any source.

Azure CLI tokens are cached (see :class:`TokenFileCache`) so that a playbook does not spawn
``az`` for every task: each entry is keyed by tenant, scope and the modification time of the
CLI's ``azureProfile.json`` (so ``az login`` or ``az account set`` invalidates it) and is used
until five minutes before it expires. The file lives in the CLI's own configuration directory,
beside the CLI's token cache, and is written with mode 0600.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ansible_collections.goldenimage.azure.plugins.module_utils._clients import import_attribute
from ansible_collections.goldenimage.azure.plugins.module_utils._cloud import CloudEnvironment

CLIENT_SECRET = "client_secret"
CLIENT_CERTIFICATE = "client_certificate"
FEDERATED = "federated"
MANAGED_IDENTITY = "managed_identity"
AZURE_CLI = "cli"

CLI_CACHE_FILE = "goldenimage-azure-cli-cache.json"
CLI_TOKEN_MARGIN_SECONDS = 300
CLI_TIMEOUT_SECONDS = 30


class AuthConfigurationError(Exception):
    """The options and environment do not describe a usable identity."""


@dataclass(frozen=True)
class AuthSettings:
    """One resolved identity; secrets are kept out of ``repr``."""

    kind: str
    source: str
    client_id: str | None = None
    tenant: str | None = None
    subscription_id: str | None = None
    cloud_environment: str | None = None
    secret: str | None = field(default=None, repr=False)
    certificate_path: str | None = None
    certificate_password: str | None = field(default=None, repr=False)
    federated_token_file: str | None = None
    tenant_label: str = "tenant"

    def describe(self) -> str:
        """A one-line, secret-free description for messages."""
        who = f"client id {self.client_id}" if self.client_id else "default identity"
        return f"{self.kind} ({who}) from {self.source}"


@dataclass(frozen=True)
class _Candidate:
    """What one source offers; may be incomplete."""

    source: str
    client_id: str | None = None
    tenant: str | None = None
    subscription_id: str | None = None
    cloud_environment: str | None = None
    secret: str | None = field(default=None, repr=False)
    certificate_path: str | None = None
    certificate_password: str | None = field(default=None, repr=False)
    federated_token_file: str | None = None
    labels: tuple[str, str] = ("client_id", "tenant")

    @property
    def kind(self) -> str | None:
        if self.secret:
            return CLIENT_SECRET
        if self.certificate_path:
            return CLIENT_CERTIFICATE
        if self.federated_token_file:
            return FEDERATED
        return None

    def missing(self) -> list[str]:
        """Names (as this source spells them) of what a service-principal login still lacks.

        The tenant is checked once the cloud is known: ADFS clouds have a single one.
        """
        return [self.labels[0]] if not self.client_id else []

    def settings(self) -> AuthSettings:
        kind = self.kind
        if kind is None:  # callers check kind first; this guards against misuse
            raise AuthConfigurationError(f"No credentials in {self.source}.")
        return AuthSettings(
            kind=kind,
            source=self.source,
            client_id=self.client_id,
            tenant=self.tenant,
            subscription_id=self.subscription_id,
            cloud_environment=self.cloud_environment,
            secret=self.secret,
            certificate_path=self.certificate_path,
            certificate_password=self.certificate_password,
            federated_token_file=self.federated_token_file,
            tenant_label=self.labels[1],
        )


def _first(*values: str | None) -> str | None:
    return next((value for value in values if value), None)


def from_options(params: Mapping[str, Any]) -> _Candidate:
    """The identity given as module options."""
    return _Candidate(
        source="module options",
        client_id=params.get("client_id"),
        tenant=params.get("tenant"),
        subscription_id=params.get("subscription_id"),
        cloud_environment=params.get("cloud_environment"),
        secret=params.get("secret"),
        certificate_path=params.get("client_certificate_path"),
        certificate_password=params.get("client_certificate_password"),
        federated_token_file=params.get("federated_token_file"),
    )


def from_environment(env: Mapping[str, str]) -> _Candidate:
    """The identity in environment variables: AWX's names first, then azure-identity's."""
    return _Candidate(
        source="environment variables",
        client_id=env.get("AZURE_CLIENT_ID"),
        tenant=_first(env.get("AZURE_TENANT"), env.get("AZURE_TENANT_ID")),
        subscription_id=env.get("AZURE_SUBSCRIPTION_ID"),
        cloud_environment=env.get("AZURE_CLOUD_ENVIRONMENT"),
        secret=_first(env.get("AZURE_SECRET"), env.get("AZURE_CLIENT_SECRET")),
        certificate_path=env.get("AZURE_CLIENT_CERTIFICATE_PATH"),
        certificate_password=env.get("AZURE_CLIENT_CERTIFICATE_PASSWORD"),
        federated_token_file=env.get("AZURE_FEDERATED_TOKEN_FILE"),
        labels=("AZURE_CLIENT_ID", "AZURE_TENANT (or AZURE_TENANT_ID)"),
    )


def azure_config_dir(env: Mapping[str, str]) -> str:
    """The Azure CLI's configuration directory (``AZURE_CONFIG_DIR`` or ``~/.azure``)."""
    return env.get("AZURE_CONFIG_DIR") or os.path.join(os.path.expanduser("~"), ".azure")


def from_profile(path: str, name: str) -> _Candidate | None:
    """A profile of the INI credentials file, or None when the file or section is absent."""
    if not os.path.isfile(path):
        return None
    import configparser  # only when a credentials file exists: most runs never read one

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise AuthConfigurationError(f"Cannot parse the credentials file {path}: {exc}") from exc
    if not parser.has_section(name):
        return None
    section = parser[name]
    return _Candidate(
        source=f"profile {name!r} of {path}",
        client_id=section.get("client_id"),
        tenant=section.get("tenant"),
        subscription_id=section.get("subscription_id"),
        cloud_environment=section.get("cloud_environment"),
        secret=section.get("secret"),
        certificate_path=section.get("client_certificate_path") or section.get("cert_path"),
        certificate_password=section.get("client_certificate_password"),
        federated_token_file=section.get("federated_token_file"),
    )


def _complete(candidate: _Candidate) -> AuthSettings:
    missing = candidate.missing()
    if missing:
        raise AuthConfigurationError(
            f"The {candidate.kind} login from {candidate.source} also needs {' and '.join(missing)}."
        )
    return candidate.settings()


def _cli_logged_in(env: Mapping[str, str], which: Callable[[str], str | None]) -> bool:
    profile = os.path.join(azure_config_dir(env), "azureProfile.json")
    return which("az") is not None and os.path.isfile(profile)


def _overlay(settings: AuthSettings, options: _Candidate, env: Mapping[str, str]) -> AuthSettings:
    """Apply subscription and cloud given as options (or in the environment) on top of a source."""
    return replace(
        settings,
        subscription_id=_first(
            options.subscription_id, settings.subscription_id, env.get("AZURE_SUBSCRIPTION_ID")
        ),
        cloud_environment=_first(
            options.cloud_environment,
            env.get("AZURE_CLOUD_ENVIRONMENT"),
            settings.cloud_environment,
        ),
    )


def _managed_identity(options: _Candidate, env: Mapping[str, str]) -> AuthSettings:
    return AuthSettings(
        kind=MANAGED_IDENTITY,
        source="managed identity",
        client_id=_first(options.client_id, env.get("AZURE_CLIENT_ID")),
    )


def _profile_candidate(
    params: Mapping[str, Any], env: Mapping[str, str], required: bool
) -> _Candidate | None:
    name = params.get("profile") or "default"
    path = os.path.join(azure_config_dir(env), "credentials")
    candidate = from_profile(path, name)
    if candidate is None and (required or params.get("profile")):
        raise AuthConfigurationError(f"No profile {name!r} in the credentials file {path}.")
    return candidate


def _select(
    source: str,
    params: Mapping[str, Any],
    env: Mapping[str, str],
    which: Callable[[str], str | None],
) -> AuthSettings:
    options = from_options(params)
    if source == "env":
        return _complete_or_explain(
            from_environment(env), "AZURE_CLIENT_ID, AZURE_TENANT and AZURE_SECRET"
        )
    if source == "credential_file":
        candidate = _profile_candidate(params, env, required=True)
        if candidate is None:  # required=True raises instead; kept for the type checker
            raise AuthConfigurationError("No credentials profile found.")
        return _complete_or_explain(candidate, "client_id, tenant and secret keys")
    if source == "cli":
        return AuthSettings(kind=AZURE_CLI, source="Azure CLI login", tenant=options.tenant)
    if source == "msi":
        return _managed_identity(options, env)
    return _select_auto(options, params, env, which)


def _complete_or_explain(candidate: _Candidate, expected: str) -> AuthSettings:
    if candidate.kind is None:
        raise AuthConfigurationError(
            f"No service principal credentials in {candidate.source} (expected {expected})."
        )
    return _complete(candidate)


def _select_auto(
    options: _Candidate,
    params: Mapping[str, Any],
    env: Mapping[str, str],
    which: Callable[[str], str | None],
) -> AuthSettings:
    if options.kind:
        return _complete(options)
    environment = from_environment(env)
    if environment.kind:
        return _complete(environment)
    profile = _profile_candidate(params, env, required=False)
    if profile is not None and profile.kind:
        return _complete(profile)
    if _cli_logged_in(env, which):
        return AuthSettings(kind=AZURE_CLI, source="Azure CLI login", tenant=options.tenant)
    if env.get("IDENTITY_ENDPOINT") or env.get("MSI_ENDPOINT"):
        return _managed_identity(options, env)
    raise AuthConfigurationError(
        "No Azure credentials found: set client_id with secret, client_certificate_path or "
        "federated_token_file (and tenant) as options, set AZURE_CLIENT_ID/AZURE_SECRET/AZURE_TENANT, "
        "add a profile to ~/.azure/credentials, run 'az login', or use auth_source=msi."
    )


def resolve_auth(
    params: Mapping[str, Any],
    env: Mapping[str, str] | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> AuthSettings:
    """Select the identity for ``params`` (the module's options) following ``auth_source``."""
    environ = os.environ if env is None else env
    settings = _select(params.get("auth_source") or "auto", params, environ, which)
    return _overlay(settings, from_options(params), environ)


# --- credentials ----------------------------------------------------------------------------


def build_credential(
    settings: AuthSettings,
    cloud: CloudEnvironment,
    connection_verify: bool | str,
    env: Mapping[str, str] | None = None,
) -> Any:
    """An azure-identity credential for ``settings`` (azure-identity is imported only here)."""
    common: dict[str, Any] = {"connection_verify": connection_verify}
    if settings.kind == MANAGED_IDENTITY:
        credential_class = _identity_class("ManagedIdentityCredential")
        return credential_class(client_id=settings.client_id, **common)
    if settings.kind == AZURE_CLI:
        environ = os.environ if env is None else env
        return CachedCliCredential(
            tenant=settings.tenant,
            cache=TokenFileCache(os.path.join(azure_config_dir(environ), CLI_CACHE_FILE)),
            profile_path=os.path.join(azure_config_dir(environ), "azureProfile.json"),
        )
    common.update(cloud.credential_kwargs())
    tenant = cloud.tenant_for(settings.tenant)
    if not tenant:
        raise AuthConfigurationError(
            f"The {settings.kind} login from {settings.source} also needs {settings.tenant_label}."
        )
    return _service_principal_credential(settings, tenant, common)


def _service_principal_credential(
    settings: AuthSettings, tenant: str, common: dict[str, Any]
) -> Any:
    client_id = settings.client_id or ""
    if settings.kind == CLIENT_SECRET:
        credential_class = _identity_class("ClientSecretCredential")
        return credential_class(tenant, client_id, settings.secret or "", **common)
    if settings.kind == CLIENT_CERTIFICATE:
        credential_class = _identity_class("CertificateCredential")
        password = settings.certificate_password.encode() if settings.certificate_password else None
        return credential_class(
            tenant,
            client_id,
            certificate_path=settings.certificate_path,
            password=password,
            **common,
        )
    if settings.kind == FEDERATED:
        credential_class = _identity_class("ClientAssertionCredential")
        token_file = settings.federated_token_file or ""
        # Read on every token request: projected tokens are rotated on disk.
        return credential_class(
            tenant, client_id, functools.partial(_read_text, token_file), **common
        )
    raise AuthConfigurationError(f"Unsupported credential kind {settings.kind!r}.")


def _identity_class(name: str) -> Any:
    """A credential class of azure-identity; its absence fails naming the pip package."""
    return import_attribute("azure.identity", name, "azure-identity")


def _read_text(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read().strip()


class TokenFileCache:
    """A small JSON file (mode 0600) of values that expire; written atomically."""

    def __init__(self, path: str, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock

    def _load(self) -> dict[str, Any]:
        try:
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str, margin: float = 0.0) -> dict[str, Any] | None:
        """The entry stored under ``key`` if it stays valid for ``margin`` more seconds."""
        entry = self._load().get(key)
        if not isinstance(entry, dict) or _expires_on(entry) - margin <= self._clock():
            return None
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        """Store ``entry`` (which carries ``expires_on``), dropping expired entries."""
        now = self._clock()
        data = {name: value for name, value in self._load().items() if _expires_on(value) > now}
        data[key] = entry
        directory = os.path.dirname(self.path) or "."
        os.makedirs(directory, mode=0o700, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(
            dir=directory, prefix=".goldenimage-azure-"
        )  # created 0600
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
            os.chmod(temporary, 0o600)
            os.replace(temporary, self.path)
        except OSError:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise


def _expires_on(entry: Any) -> float:
    """An entry's expiry as epoch seconds; anything unreadable counts as expired."""
    try:
        return float(entry["expires_on"])
    except (TypeError, KeyError, ValueError):
        return 0.0


class CachedCliCredential:
    """Azure CLI tokens, from the cache file while valid, otherwise from ``az`` (then cached)."""

    def __init__(
        self,
        tenant: str | None,
        cache: TokenFileCache,
        profile_path: str,
        inner_factory: Callable[[str | None], Any] | None = None,
        runner: Callable[[list[str]], str] | None = None,
    ) -> None:
        self.tenant = tenant
        self._cache = cache
        self._profile_path = profile_path
        self._inner_factory = inner_factory or _azure_cli_credential
        self._runner = runner or _run_az
        self._inner: Any = None

    def _login_marker(self) -> str:
        try:
            return str(os.stat(self._profile_path).st_mtime_ns)
        except OSError:
            return "none"

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        """An access token for ``scopes`` (azure-core's ``TokenCredential`` protocol)."""
        from azure.core.credentials import AccessToken

        tenant = kwargs.get("tenant_id") or self.tenant or ""
        key = f"token|{tenant}|{' '.join(scopes)}|{self._login_marker()}"
        cached = self._cache.get(key, margin=CLI_TOKEN_MARGIN_SECONDS)
        if cached is not None:
            return AccessToken(cached["token"], int(cached["expires_on"]))
        if self._inner is None:
            self._inner = self._inner_factory(self.tenant)
        token = self._inner.get_token(*scopes)
        self._cache.put(key, {"token": token.token, "expires_on": int(token.expires_on)})
        return AccessToken(token.token, int(token.expires_on))

    def subscription_id(self, ttl_seconds: int = 3600) -> str:
        """The CLI's current subscription (``az account show``), cached until the login changes."""
        key = f"subscription|{self._login_marker()}"
        cached = self._cache.get(key)
        if cached is not None:
            return str(cached["id"])
        account = json.loads(self._runner(["account", "show", "--output", "json"]))
        subscription = str(account["id"])
        self._cache.put(key, {"id": subscription, "expires_on": time.time() + ttl_seconds})
        return subscription

    def close(self) -> None:
        """Nothing to release; present for the credential protocol."""


def _azure_cli_credential(tenant: str | None) -> Any:
    credential_class = _identity_class("AzureCliCredential")
    return credential_class(tenant_id=tenant or "", process_timeout=CLI_TIMEOUT_SECONDS)


def _run_az(arguments: list[str]) -> str:
    executable = shutil.which("az")
    if executable is None:
        raise AuthConfigurationError("The Azure CLI ('az') is not installed or not on PATH.")
    completed = subprocess.run(
        [executable, *arguments],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode != 0:
        detail = (completed.stderr or completed.stdout).strip().splitlines()
        raise AuthConfigurationError(
            f"'az {' '.join(arguments)}' failed: {detail[-1] if detail else completed.returncode}; run 'az login'."
        )
    return completed.stdout
