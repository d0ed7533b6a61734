# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure cloud environments: where ARM lives, who issues tokens, and for which audience.

A cloud is one of the named public clouds or an ARM metadata URL (the Azure Stack Hub
mechanism: ``GET <url>/metadata/endpoints?api-version=2015-01-01``).

A cloud resolved from a metadata URL is remembered for a day in a small per-user cache file
(:class:`CloudCache`): every task is a new process, and the endpoints of a cloud do not change
between two tasks. The file holds endpoints only, never a secret.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

METADATA_API_VERSION = "2015-01-01"

# Authority hosts that serve Microsoft's instance discovery; anywhere else MSAL must not ask for it.
PUBLIC_AUTHORITY_HOSTS = frozenset(
    {
        "login.microsoftonline.com",
        "login.windows.net",
        "login.chinacloudapi.cn",
        "login.microsoftonline.us",
    }
)


class CloudEnvironmentError(Exception):
    """The cloud environment is unknown or its metadata cannot be read."""


@dataclass(frozen=True)
class CloudEnvironment:
    """The endpoints of one cloud, as a credential and an ARM client need them."""

    name: str
    resource_manager: str
    login_endpoint: str
    audience: str

    @property
    def arm_url(self) -> str:
        """The ARM base URL with exactly one trailing slash."""
        return self.resource_manager.rstrip("/") + "/"

    @property
    def scope(self) -> str:
        """The OAuth scope of a token for ARM (``<audience>/.default``)."""
        return self.audience.rstrip("/") + "/.default"

    @property
    def is_adfs(self) -> bool:
        """ADFS (disconnected Azure Stack Hub) authorities end in ``/adfs``."""
        return urlsplit(self.login_endpoint).path.rstrip("/").lower().endswith("/adfs")

    @property
    def authority(self) -> str:
        """The authority host azure-identity expects (without the ``/adfs`` tenant segment)."""
        parts = urlsplit(self.login_endpoint)
        path = parts.path.rstrip("/")
        if self.is_adfs:
            path = path[: -len("/adfs")]
        return f"{parts.scheme}://{parts.netloc}{path}"

    @property
    def is_public_microsoft(self) -> bool:
        """True when the authority is one of Microsoft's public clouds."""
        host = urlsplit(self.login_endpoint).hostname or ""
        return host.lower() in PUBLIC_AUTHORITY_HOSTS

    def tenant_for(self, tenant: str | None) -> str | None:
        """ADFS has a single tenant called ``adfs``; elsewhere the given tenant stands."""
        return "adfs" if self.is_adfs else tenant

    def credential_kwargs(self) -> dict[str, Any]:
        """Keyword arguments that point an azure-identity credential at this cloud."""
        kwargs: dict[str, Any] = {"authority": self.authority}
        if not self.is_public_microsoft:
            # Otherwise MSAL asks the public cloud to validate the authority and fails offline.
            kwargs["disable_instance_discovery"] = True
        return kwargs


KNOWN_CLOUDS: dict[str, CloudEnvironment] = {
    cloud.name.lower(): cloud
    for cloud in (
        CloudEnvironment(
            name="AzureCloud",
            resource_manager="https://management.azure.com/",
            login_endpoint="https://login.microsoftonline.com/",
            audience="https://management.core.windows.net/",
        ),
        CloudEnvironment(
            name="AzureChinaCloud",
            resource_manager="https://management.chinacloudapi.cn/",
            login_endpoint="https://login.chinacloudapi.cn/",
            audience="https://management.core.chinacloudapi.cn/",
        ),
        CloudEnvironment(
            name="AzureUSGovernment",
            resource_manager="https://management.usgovcloudapi.net/",
            login_endpoint="https://login.microsoftonline.us/",
            audience="https://management.core.usgovcloudapi.net/",
        ),
    )
}

DEFAULT_CLOUD = "AzureCloud"

CLOUD_CACHE_TTL_SECONDS = 24 * 3600
CLOUD_CACHE_FILE = "clouds.json"
CACHE_DIR_VARIABLE = "GOLDENIMAGE_AZURE_CACHE_DIR"

MetadataFetcher = Callable[[str, "bool | str"], dict[str, Any]]


def fetch_json(url: str, verify: bool | str, timeout: float = 20.0) -> dict[str, Any]:
    """GET a JSON document over HTTPS, trusting the CA bundle ``verify`` names (if a path)."""
    from ansible.module_utils.urls import open_url

    response = open_url(
        url,
        headers={"Accept": "application/json"},
        timeout=timeout,
        validate_certs=verify is not False,
        ca_path=verify if isinstance(verify, str) else None,
    )
    document = json.loads(response.read().decode("utf-8"))
    if not isinstance(document, dict):
        raise CloudEnvironmentError(f"The metadata at {url} is not a JSON object.")
    return document


def cloud_from_metadata(url: str, document: dict[str, Any]) -> CloudEnvironment:
    """Build a cloud from an ARM metadata document (2015-01-01 shape)."""
    authentication = document.get("authentication") or {}
    login_endpoint = authentication.get("loginEndpoint")
    audiences = authentication.get("audiences") or []
    if not login_endpoint or not audiences:
        raise CloudEnvironmentError(
            f"The ARM metadata at {url} lacks authentication.loginEndpoint or authentication.audiences."
        )
    return CloudEnvironment(
        name=url,
        resource_manager=document.get("resourceManager") or url,
        login_endpoint=login_endpoint,
        audience=audiences[0],
    )


def cache_directory(env: Mapping[str, str] | None = None) -> str:
    """The collection's per-user cache directory.

    ``GOLDENIMAGE_AZURE_CACHE_DIR`` if set, otherwise ``goldenimage.azure`` under
    ``XDG_CACHE_HOME`` (default ``~/.cache``).
    """
    environ = os.environ if env is None else env
    explicit = environ.get(CACHE_DIR_VARIABLE)
    if explicit:
        return explicit
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "goldenimage.azure")


class EntryStore(Protocol):
    """Expiring JSON entries by key (``_auth.TokenFileCache`` is one)."""

    def get(self, key: str, margin: float = 0.0) -> dict[str, Any] | None: ...

    def put(self, key: str, entry: dict[str, Any]) -> None: ...


class CloudCache:
    """Clouds resolved from metadata URLs, keyed by the URL and the TLS trust used to read it.

    Any problem with the store (unreadable, corrupt, read-only, an entry of the wrong shape)
    only means the metadata is read again: the cache can save a request, never fail a task.
    """

    def __init__(
        self,
        store: EntryStore,
        ttl: float = CLOUD_CACHE_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._ttl = ttl
        self._clock = clock

    @staticmethod
    def key(url: str, verify: bool | str) -> str:
        trust = verify if isinstance(verify, str) else ("system" if verify else "unverified")
        return json.dumps(["cloud", url, trust])

    def load(self, url: str, verify: bool | str) -> CloudEnvironment | None:
        try:
            entry = self._store.get(self.key(url, verify))
        except Exception:
            return None
        if not entry:
            return None
        fields: dict[str, str] = {}
        for name in ("resource_manager", "login_endpoint", "audience"):
            value = entry.get(name)
            if not isinstance(value, str) or not value:
                return None  # an entry of another shape is read again, not trusted
            fields[name] = value
        return CloudEnvironment(name=url, **fields)

    def save(self, url: str, verify: bool | str, cloud: CloudEnvironment) -> None:
        entry = {
            "resource_manager": cloud.resource_manager,
            "login_endpoint": cloud.login_endpoint,
            "audience": cloud.audience,
            "expires_on": self._clock() + self._ttl,
        }
        # A cache that cannot be written only means the next task reads the metadata again.
        with contextlib.suppress(Exception):
            self._store.put(self.key(url, verify), entry)


def resolve_cloud(
    name_or_url: str | None,
    *,
    verify: bool | str = True,
    fetch: MetadataFetcher = fetch_json,
    cache: CloudCache | None = None,
) -> CloudEnvironment:
    """Turn a cloud name (case-insensitive) or an ARM metadata URL into its endpoints."""
    value = (name_or_url or DEFAULT_CLOUD).strip()
    known = KNOWN_CLOUDS.get(value.lower())
    if known is not None:
        return known
    if not value.lower().startswith(("https://", "http://")):
        names = ", ".join(cloud.name for cloud in KNOWN_CLOUDS.values())
        raise CloudEnvironmentError(
            f"Unknown cloud_environment {value!r}: use one of {names} or an ARM metadata URL (https://...)."
        )
    base = value.rstrip("/")
    if cache is not None:
        cached = cache.load(base + "/", verify)
        if cached is not None:
            return cached
    metadata_url = f"{base}/metadata/endpoints?api-version={METADATA_API_VERSION}"
    try:
        document = fetch(metadata_url, verify)
    except CloudEnvironmentError:
        raise
    except Exception as exc:
        # Network, TLS, HTTP status and JSON errors all mean the same thing to the user.
        reason = getattr(exc, "reason", None) or exc
        raise CloudEnvironmentError(
            f"Cannot read the ARM metadata at {metadata_url}: {reason}"
        ) from exc
    cloud = cloud_from_metadata(base + "/", document)
    if cache is not None:
        cache.save(base + "/", verify, cloud)
    return cloud
