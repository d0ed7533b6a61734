# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Upload local files to a blob container, idempotently, for the ``blob_upload`` module.

The runner works against :class:`BlobStore`, a four-method view of one container, so its
decisions (create the container, compare checksums, upload, diff) are tested without the
SDK. :class:`SdkBlobStore` implements it with azure-storage-blob, imported only when a store
is built. Checksums: the SHA-256 of each file is kept in the blob's metadata (``sha256``) and
its MD5 in ``Content-MD5``; a blob whose SHA-256 (or, lacking it, MD5) matches is left alone.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, urlsplit, urlunsplit

from ansible_collections.goldenimage.azure.plugins.module_utils._clients import (
    RETRY_SETTINGS,
    USER_AGENT,
    import_attribute,
)

if TYPE_CHECKING:  # pragma: no cover
    from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule

# The storage data-plane version the client sends: one that Azurite (3.35 and later) accepts
# as well as Azure, instead of the newest one the installed SDK knows.
BLOB_API_VERSION = "2025-01-05"
# Tokens are asked for https://storage.azure.com/.default, the SDK's default audience.
STORAGE_ARM_API_VERSION = "2023-05-01"

# Blob endpoint suffix of each named cloud (``https://<account>.blob.<suffix>``).
STORAGE_SUFFIXES = {
    "azurecloud": "core.windows.net",
    "azurechinacloud": "core.chinacloudapi.cn",
    "azureusgovernment": "core.usgovcloudapi.net",
}

ACCOUNT_PATTERN = r"[a-z0-9]{3,24}"
CONTAINER_PATTERN = r"[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]"

BLOB_SPEC: dict[str, dict[str, Any]] = {
    "storage_account": {"type": "str", "required": True},
    "container": {"type": "str", "required": True},
    "blob_endpoint": {"type": "str"},
    "auth_mode": {"type": "str", "default": "credential", "choices": ["credential", "key"]},
    "account_key": {"type": "str", "no_log": True},
    "resource_group": {"type": "str"},
    "files": {
        "type": "list",
        "elements": "dict",
        "required": True,
        "options": {
            "src": {"type": "path", "required": True},
            "name": {"type": "str"},
        },
    },
}


class BlobStore(Protocol):
    """One container, as the runner needs it."""

    def container_exists(self) -> bool: ...

    def create_container(self) -> None: ...

    def checksums(self, name: str) -> dict[str, str] | None:
        """``{"sha256": ..., "md5": ...}`` (either may be empty) or None when there is no blob."""

    def upload(self, name: str, data: bytes, sha256: str, md5: str) -> None: ...

    def url(self, name: str) -> str: ...


@dataclass(frozen=True)
class LocalFile:
    src: str
    name: str
    data: bytes
    sha256: str
    md5: str  # base64, as Content-MD5 carries it


def read_file(src: str, name: str | None) -> LocalFile:
    with open(src, "rb") as handle:
        data = handle.read()
    return LocalFile(
        src=src,
        name=name or os.path.basename(src),
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        md5=base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode("ascii"),
    )


def same_content(existing: dict[str, str] | None, local: LocalFile) -> bool:
    if not existing:
        return False
    if existing.get("sha256"):
        return existing["sha256"].lower() == local.sha256
    return bool(existing.get("md5")) and existing["md5"] == local.md5


def redact_url(url: str) -> str:
    """A blob URL without its query string (which may hold a SAS token)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def default_endpoint(account: str, cloud_environment: str | None) -> str | None:
    suffix = STORAGE_SUFFIXES.get((cloud_environment or "AzureCloud").strip().lower())
    return f"https://{account}.blob.{suffix}" if suffix else None


def sync_files(
    store: BlobStore, files: Iterable[LocalFile], check_mode: bool
) -> tuple[bool, list[dict[str, Any]], dict[str, Any]]:
    """Create the container if missing and upload what differs: (changed, results, diff)."""
    changed = False
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if not store.container_exists():
        changed = True
        before["container"] = None
        after["container"] = "private"
        if not check_mode:
            store.create_container()
        container_new = True
    else:
        container_new = False
    results = []
    for local in files:
        existing = None if container_new else store.checksums(local.name)
        file_changed = not same_content(existing, local)
        if file_changed:
            changed = True
            before[local.name] = (existing or {}).get("sha256") or (existing or {}).get("md5")
            after[local.name] = local.sha256
            if not check_mode:
                store.upload(local.name, local.data, local.sha256, local.md5)
        results.append(
            {
                "src": local.src,
                "name": local.name,
                "url": redact_url(store.url(local.name)),
                "sha256": local.sha256,
                "changed": file_changed,
            }
        )
    return changed, results, {"before": before, "after": after}


class SdkBlobStore:
    """:class:`BlobStore` with azure-storage-blob."""

    def __init__(
        self,
        endpoint: str,
        container: str,
        credential: Any,
        verify: bool | str,
        transport: Any = None,
    ) -> None:
        service_class = import_attribute(
            "azure.storage.blob", "BlobServiceClient", "azure-storage-blob"
        )
        kwargs: dict[str, Any] = {
            "api_version": BLOB_API_VERSION,
            "user_agent": USER_AGENT,
            "connection_verify": verify,
            "retry_total": RETRY_SETTINGS["retry_total"],
        }
        if transport is not None:
            kwargs["transport"] = transport
        self._service = service_class(endpoint, credential=credential, **kwargs)
        self._container = self._service.get_container_client(container)

    def container_exists(self) -> bool:
        return bool(self._container.exists())

    def create_container(self) -> None:
        from azure.core.exceptions import ResourceExistsError

        # No public_access: private. A parallel run may have created it meanwhile.
        with contextlib.suppress(ResourceExistsError):
            self._container.create_container()

    def checksums(self, name: str) -> dict[str, str] | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            properties = self._container.get_blob_client(name).get_blob_properties()
        except ResourceNotFoundError:
            return None
        md5 = properties.content_settings.content_md5
        return {
            "sha256": (properties.metadata or {}).get("sha256", ""),
            "md5": base64.b64encode(bytes(md5)).decode("ascii") if md5 else "",
        }

    def upload(self, name: str, data: bytes, sha256: str, md5: str) -> None:
        from azure.storage.blob import ContentSettings

        self._container.get_blob_client(name).upload_blob(
            data,
            overwrite=True,
            metadata={"sha256": sha256},
            content_settings=ContentSettings(content_md5=bytearray(base64.b64decode(md5))),
        )

    def url(self, name: str) -> str:
        return str(self._container.url).rstrip("/") + "/" + quote(name)


def account_key_from_arm(module: AzureModule) -> str:
    """The storage account's first key, through ARM ``listKeys`` (masked in every output)."""
    resource_group = module.require("resource_group", "to read the account key through ARM")
    path = (
        f"/subscriptions/{module.subscription_id}/resourceGroups/{resource_group}"
        f"/providers/Microsoft.Storage/storageAccounts/{module.params['storage_account']}/listKeys"
    )
    document = module.arm.post(path, STORAGE_ARM_API_VERSION) or {}
    keys = [key.get("value") for key in document.get("keys") or [] if key.get("value")]
    if not keys:
        module.fail(
            f"listKeys returned no key for storage account {module.params['storage_account']}."
        )
    module.module.no_log_values.add(keys[0])
    return str(keys[0])


def build_store(module: AzureModule) -> BlobStore:
    params = module.params
    endpoint = params.get("blob_endpoint") or default_endpoint(
        params["storage_account"], params.get("cloud_environment")
    )
    if endpoint is None:
        module.fail("blob_endpoint is required when cloud_environment is an ARM metadata URL.")
    if params["auth_mode"] == "key":
        credential: Any = {
            "account_name": params["storage_account"],
            "account_key": params.get("account_key") or account_key_from_arm(module),
        }
    else:
        credential = module.credential
    return SdkBlobStore(endpoint, params["container"], credential, module.verify, module.transport)


def run_blob_upload(module: AzureModule, store_factory: Any = None) -> None:
    """Read the files, then bring the container in line with them; exits the module."""
    module.validate_pattern(
        "storage_account", ACCOUNT_PATTERN, "3 to 24 lowercase letters and digits"
    )
    module.validate_pattern(
        "container",
        CONTAINER_PATTERN,
        "3 to 63 lowercase letters, digits and single hyphens, starting and ending alphanumeric",
    )
    label = f"container {module.params['container']} of storage account {module.params['storage_account']}"
    files = []
    for item in module.params["files"]:
        try:
            files.append(read_file(item["src"], item.get("name")))
        except OSError as exc:
            module.fail(f"Cannot read {item['src']}: {exc.strerror or exc}")
    try:
        store = (store_factory or build_store)(module)
        changed, results, diff = sync_files(store, files, module.check_mode)
    except Exception as exc:
        module.fail_from(exc, verb="upload to", resource=label)
    module.exit(changed=changed, resource=results, diff=diff)
