# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads and writes of galleries, image definitions and versions as raw ARM JSON.

Requests go through the collection's ARM client (``module.arm``: azure-mgmt-core's pipeline
and ARM poller) at the api-version the generated compute SDK would send, so no SDK model is
involved: every call returns the ARM body as Azure sent it (camelCase dicts), which the rules
in ``_gallery_api`` and ``_gallery_image_api`` read. Errors leave as the collection's
:class:`AzureOperationError` naming the verb and the resource; only a 404 about the resource
itself reads as "absent".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol
from urllib.parse import quote

from ansible_collections.goldenimage.azure.plugins.module_utils._errors import (
    get_or_none,
    is_azure_error,
    is_not_found,
    translate,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._waiter import Waiter

# Galleries, image definitions, image versions and the sharing profile (Compute Gallery API).
GALLERY_API_VERSION = "2026-03-03"
COMPUTE_PROVIDER = "Microsoft.Compute"
# Resource groups are read for their location only.
RESOURCE_GROUP_API_VERSION = "2022-09-01"
# Without this expansion a gallery read leaves out whom it is shared with.
SHARING_GROUPS = "SharingProfile/Groups"


class ModuleContext(Protocol):
    """What the service needs from ``AzureModule``."""

    @property
    def subscription_id(self) -> str: ...

    @property
    def arm(self) -> Any: ...


def as_dict(body: Any) -> dict[str, Any]:
    """An ARM body as a dict (``{}`` for an empty answer; an object with ``as_dict`` too)."""
    if body is None:
        return {}
    if isinstance(body, dict):
        return body
    return dict(body.as_dict())


def compute_path(subscription_id: str, resource_group: str | None, *segments: str) -> str:
    """``/subscriptions/../resourceGroups/../providers/Microsoft.Compute/<segments>``.

    Without a resource group the scope is the subscription. Names are percent-encoded the
    way the SDK encodes path arguments.
    """
    scope = f"/subscriptions/{quote(subscription_id, safe='')}"
    if resource_group:
        scope += f"/resourceGroups/{quote(resource_group, safe='')}"
    return "/".join([f"{scope}/providers/{COMPUTE_PROVIDER}", *segments])


def with_expand(path: str, expand: str | None) -> str:
    """``path`` with ARM's ``$expand`` query (the ARM client adds the api-version)."""
    return f"{path}?$expand={quote(expand, safe='')}" if expand else path


def collect(
    pages: Callable[[], Iterable[Any]], what: str, *, missing_ok: bool = False
) -> list[dict[str, Any]]:
    """Every item of a paged list as a dict; errors name ``what`` was listed.

    With ``missing_ok`` a missing parent (a 404 about the resource itself) holds nothing.
    """
    try:
        return [as_dict(item) for item in pages()]
    except Exception as exc:
        if missing_ok and is_not_found(exc):
            return []
        if is_azure_error(exc):
            raise translate(exc, verb="list", resource=what) from exc
        raise


def run_operation(
    arm: Any,
    method: str,
    path: str,
    api_version: str,
    body: dict[str, Any] | None,
    waiter: Waiter,
    *,
    verb: str,
    resource: str,
) -> Any:
    """Start a long-running operation and wait for it as ``waiter`` says; errors name ``resource``."""
    try:
        poller = arm.begin(method, path, api_version, body)
        return waiter.poller(poller, f"Azure to {verb} {resource}")
    except Exception as exc:
        if is_azure_error(exc):
            raise translate(exc, verb=verb, resource=resource) from exc
        raise


def gallery_label(resource_group: str, name: str) -> str:
    return f"gallery '{name}' in resource group '{resource_group}'"


def image_label(resource_group: str, gallery: str, name: str) -> str:
    return f"image definition '{name}' of gallery '{gallery}' in resource group '{resource_group}'"


class GalleryService:
    """Gallery family requests for one module run."""

    def __init__(self, module: ModuleContext) -> None:
        self._module = module

    @property
    def _arm(self) -> Any:
        return self._module.arm

    def _path(self, resource_group: str | None, *segments: str) -> str:
        names = [quote(segment, safe="") for segment in segments]
        return compute_path(self._module.subscription_id, resource_group, "galleries", *names)

    # --- reads ----------------------------------------------------------------------------

    def get_gallery(self, resource_group: str, name: str) -> dict[str, Any] | None:
        path = with_expand(self._path(resource_group, name), SHARING_GROUPS)
        found = get_or_none(
            self._arm.get, path, GALLERY_API_VERSION, resource=gallery_label(resource_group, name)
        )
        return None if found is None else as_dict(found)

    def list_galleries(self, resource_group: str | None = None) -> list[dict[str, Any]]:
        what = (
            f"galleries of resource group '{resource_group}'"
            if resource_group
            else "galleries of the subscription"
        )
        return collect(
            lambda: self._arm.list(self._path(resource_group), GALLERY_API_VERSION), what
        )

    def get_image(self, resource_group: str, gallery: str, name: str) -> dict[str, Any] | None:
        found = get_or_none(
            self._arm.get,
            self._path(resource_group, gallery, "images", name),
            GALLERY_API_VERSION,
            resource=image_label(resource_group, gallery, name),
        )
        return None if found is None else as_dict(found)

    def list_images(
        self, resource_group: str, gallery: str, *, missing_gallery_ok: bool = False
    ) -> list[dict[str, Any]]:
        """Definitions of a gallery; with ``missing_gallery_ok`` an absent gallery holds none."""
        path = self._path(resource_group, gallery, "images")
        return collect(
            lambda: self._arm.list(path, GALLERY_API_VERSION),
            f"image definitions of {gallery_label(resource_group, gallery)}",
            missing_ok=missing_gallery_ok,
        )

    def list_versions(self, resource_group: str, gallery: str, image: str) -> list[dict[str, Any]]:
        path = self._path(resource_group, gallery, "images", image, "versions")
        return collect(
            lambda: self._arm.list(path, GALLERY_API_VERSION),
            f"versions of {image_label(resource_group, gallery, image)}",
        )

    def resource_group_location(self, resource_group: str) -> str:
        path = f"/subscriptions/{self._module.subscription_id}/resourcegroups/{resource_group}"
        label = f"resource group '{resource_group}'"
        group = get_or_none(self._arm.get, path, RESOURCE_GROUP_API_VERSION, resource=label)
        if not group or not group.get("location"):
            raise LookupError(
                f"Resource group '{resource_group}' does not exist; create it first or check"
                " resource_group and subscription_id."
            )
        return str(group["location"])

    # --- writes ---------------------------------------------------------------------------

    def put_gallery(
        self, resource_group: str, name: str, body: dict[str, Any], waiter: Waiter
    ) -> dict[str, Any] | None:
        """The gallery as the finished operation returns it (None when not awaited)."""
        result = self._run(
            "PUT",
            self._path(resource_group, name),
            body,
            waiter,
            verb="create or update",
            resource=gallery_label(resource_group, name),
        )
        return None if result is None else as_dict(result)

    def share_gallery(
        self, resource_group: str, name: str, update: dict[str, Any], waiter: Waiter
    ) -> None:
        """POST the ``share`` action (add, remove or reset groups), a long-running operation."""
        operation = update.get("operationType", "update")
        self._run(
            "POST",
            self._path(resource_group, name, "share"),
            update,
            waiter,
            verb=f"change sharing ({operation}) of",
            resource=gallery_label(resource_group, name),
        )

    def delete_gallery(self, resource_group: str, name: str, waiter: Waiter) -> None:
        self._run(
            "DELETE",
            self._path(resource_group, name),
            None,
            waiter,
            verb="delete",
            resource=gallery_label(resource_group, name),
        )

    def put_image(
        self, resource_group: str, gallery: str, name: str, body: dict[str, Any], waiter: Waiter
    ) -> dict[str, Any] | None:
        result = self._run(
            "PUT",
            self._path(resource_group, gallery, "images", name),
            body,
            waiter,
            verb="create or update",
            resource=image_label(resource_group, gallery, name),
        )
        return None if result is None else as_dict(result)

    def delete_image(self, resource_group: str, gallery: str, name: str, waiter: Waiter) -> None:
        self._run(
            "DELETE",
            self._path(resource_group, gallery, "images", name),
            None,
            waiter,
            verb="delete",
            resource=image_label(resource_group, gallery, name),
        )

    def delete_version(
        self, resource_group: str, gallery: str, image: str, name: str, waiter: Waiter
    ) -> None:
        self._run(
            "DELETE",
            self._path(resource_group, gallery, "images", image, "versions", name),
            None,
            waiter,
            verb="delete",
            resource=f"version '{name}' of {image_label(resource_group, gallery, image)}",
        )

    def _run(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        waiter: Waiter,
        *,
        verb: str,
        resource: str,
    ) -> Any:
        return run_operation(
            self._arm, method, path, GALLERY_API_VERSION, body, waiter, verb=verb, resource=resource
        )
