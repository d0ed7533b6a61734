# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads and writes of gallery image versions and of the resources they are made from.

Everything goes through the collection's ARM client as raw ARM JSON, at the api-versions the
generated SDKs send; sources are read by their full id, since a source may live in another
subscription than the module's. Everything comes back as ARM-shaped dicts.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ansible_collections.goldenimage.azure.plugins.module_utils._errors import (
    get_or_none,
    is_azure_error,
    is_not_found,
    translate,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._gallery_service import (
    GALLERY_API_VERSION,
    ModuleContext,
    as_dict,
    collect,
    compute_path,
    image_label,
    with_expand,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._prune import DeleteStarted
from ansible_collections.goldenimage.azure.plugins.module_utils._version_source import (
    DISK,
    GALLERY_IMAGE_VERSION,
    MANAGED_IMAGE,
    SNAPSHOT,
    STORAGE_ACCOUNT,
    VIRTUAL_MACHINE,
    ResourceKind,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._waiter import (
    Waiter,
    parse_retry_after,
)

# The api-version of each source type (those azure-mgmt-compute 39 and azure-mgmt-storage send).
COMPUTE_API_VERSION = "2026-04-01"
DISK_API_VERSION = "2026-03-02"
STORAGE_API_VERSION = "2025-01-01"
SOURCE_API_VERSIONS: dict[str, str] = {
    MANAGED_IMAGE.full_type.lower(): COMPUTE_API_VERSION,
    VIRTUAL_MACHINE.full_type.lower(): COMPUTE_API_VERSION,
    DISK.full_type.lower(): DISK_API_VERSION,
    SNAPSHOT.full_type.lower(): DISK_API_VERSION,
    GALLERY_IMAGE_VERSION.full_type.lower(): GALLERY_API_VERSION,
    STORAGE_ACCOUNT.full_type.lower(): STORAGE_API_VERSION,
}
REPLICATION_STATUS = "ReplicationStatus"


def version_label(resource_group: str, gallery: str, image: str, name: str) -> str:
    return f"image version '{name}' of {image_label(resource_group, gallery, image)}"


def parent_id(resource_id: str) -> str:
    """The id of the resource one level up (a version's definition)."""
    return "/".join(resource_id.rstrip("/").split("/")[:-2])


class VersionService:
    """Version requests for one module run, addressed by resource group, gallery and definition."""

    def __init__(
        self, module: ModuleContext, resource_group: str, gallery: str, image: str
    ) -> None:
        self._module = module
        self.resource_group = resource_group
        self.gallery = gallery
        self.image = image

    def _path(self, *segments: str) -> str:
        """The definition's path, or a path below it (``versions``, ``versions/<name>``)."""
        names = [quote(name, safe="") for name in (self.gallery, "images", self.image, *segments)]
        return compute_path(self._module.subscription_id, self.resource_group, "galleries", *names)

    def version_id(self, name: str) -> str:
        return (
            f"/subscriptions/{self._module.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.Compute/galleries/{self.gallery}/images/{self.image}/versions/{name}"
        )

    def label(self, name: str) -> str:
        return version_label(self.resource_group, self.gallery, self.image, name)

    # --- reads ----------------------------------------------------------------------------

    def get(self, name: str) -> dict[str, Any] | None:
        """One version with its replication status, or None."""
        found = get_or_none(
            self._module.arm.get,
            with_expand(self._path("versions", name), REPLICATION_STATUS),
            GALLERY_API_VERSION,
            resource=self.label(name),
        )
        return None if found is None else as_dict(found)

    def list_all(self, *, missing_ok: bool = False) -> list[dict[str, Any]]:
        """Every version of the definition (without replication status).

        With ``missing_ok`` an absent definition (or gallery) holds no versions.
        """
        return collect(
            lambda: self._module.arm.list(self._path("versions"), GALLERY_API_VERSION),
            f"versions of {image_label(self.resource_group, self.gallery, self.image)}",
            missing_ok=missing_ok,
        )

    def list_soft_deleted(self) -> list[str]:
        """Names of soft-deleted versions of the definition (none when the gallery keeps none)."""
        path = (
            f"/subscriptions/{self._module.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.Compute/galleries/{self.gallery}/softdeletedartifacttypes/Images"
            f"/artifacts/{self.image}/versions"
        )
        items = collect(
            lambda: self._module.arm.list(path, GALLERY_API_VERSION),
            f"soft-deleted versions of {image_label(self.resource_group, self.gallery, self.image)}",
            missing_ok=True,
        )
        return [str(item.get("name")) for item in items if item.get("name")]

    def get_source(
        self, resource_id: str, kind: ResourceKind, *, expand: str | None = None
    ) -> dict[str, Any] | None:
        """A source resource in any subscription, through the raw ARM pipeline."""
        path = with_expand(resource_id, expand)
        api_version = SOURCE_API_VERSIONS[kind.full_type.lower()]
        return get_or_none(
            self._module.arm.get, path, api_version, resource=f"{kind.label} '{resource_id}'"
        )

    # --- writes ---------------------------------------------------------------------------

    def start_put(self, name: str, body: dict[str, Any]) -> Any:
        """Send the PUT; returns the operation's poller for :meth:`wait`."""
        return self._start("PUT", name, body, verb="create or update")

    def start_unblock(self, name: str) -> Any:
        """Lift ``blockDeletionBeforeEndOfLife`` so the version can be deleted."""
        patch = {"properties": {"safetyProfile": {"blockDeletionBeforeEndOfLife": False}}}
        return self._start("PATCH", name, patch, verb="unblock deletion of")

    def start_delete(self, name: str) -> Any:
        return self._start("DELETE", name, None, verb="delete")

    def send_delete(self, name: str) -> DeleteStarted:
        """Send one DELETE and return without polling its operation.

        :meth:`start_delete`'s poller polls from a thread of its own as soon as it exists (two
        requests per version); pruning confirms many deletes with one list instead.
        """
        try:
            response = self._module.arm.send(
                "DELETE", self.version_id(name), GALLERY_API_VERSION
            ).http_response
        except Exception as exc:
            if is_not_found(exc):
                return DeleteStarted(pending=False)  # already gone
            if is_azure_error(exc):
                raise translate(exc, verb="delete", resource=self.label(name)) from exc
            raise
        # 202: accepted and running; 200 or 204: done (or nothing to delete).
        return DeleteStarted(
            pending=response.status_code == 202,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )

    def wait(self, poller: Any, waiter: Waiter, *, verb: str, name: str) -> Any:
        """Wait for a started operation as ``waiter`` says; errors name the version."""
        try:
            result = waiter.poller(poller, f"Azure to {verb} {self.label(name)}")
        except Exception as exc:
            if is_azure_error(exc):
                raise translate(exc, verb=verb, resource=self.label(name)) from exc
            raise
        return None if result is None else as_dict(result)

    def _start(self, method: str, name: str, body: dict[str, Any] | None, *, verb: str) -> Any:
        """Send the first request of a long-running operation; its poller waits for the rest."""
        try:
            return self._module.arm.begin(
                method, self._path("versions", name), GALLERY_API_VERSION, body
            )
        except Exception as exc:
            if is_azure_error(exc):
                raise translate(exc, verb=verb, resource=self.label(name)) from exc
            raise
