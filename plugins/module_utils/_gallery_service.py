# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads and writes of galleries, image definitions and versions through azure-mgmt-compute.

Every call returns plain ARM-shaped dicts (``model.as_dict()``), so the rules in
``_gallery_api`` and ``_gallery_image_api`` never see an SDK object. Errors leave as the
collection's :class:`AzureOperationError` naming the verb and the resource; only a 404 about
the resource itself reads as "absent".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from ansible_collections.goldenimage.azure.plugins.module_utils._errors import (
    get_or_none,
    is_azure_error,
    is_not_found,
    translate,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._waiter import Waiter

# Resource groups are read through the raw ARM pipeline: no resource SDK is worth importing
# for one GET.
RESOURCE_GROUP_API_VERSION = "2022-09-01"
# Without this expansion a gallery read leaves out whom it is shared with.
SHARING_GROUPS = "SharingProfile/Groups"


class ModuleContext(Protocol):
    """What the service needs from ``AzureModule``."""

    @property
    def subscription_id(self) -> str: ...

    @property
    def arm(self) -> Any: ...

    def client(self, kind: str) -> Any: ...


def as_dict(model: Any) -> dict[str, Any]:
    """An SDK model (or a dict already) as its ARM JSON."""
    if model is None:
        return {}
    if isinstance(model, dict):
        return model
    return dict(model.as_dict())


def gallery_label(resource_group: str, name: str) -> str:
    return f"gallery '{name}' in resource group '{resource_group}'"


def image_label(resource_group: str, gallery: str, name: str) -> str:
    return f"image definition '{name}' of gallery '{gallery}' in resource group '{resource_group}'"


class GalleryService:
    """Gallery family requests for one module run."""

    def __init__(self, module: ModuleContext) -> None:
        self._module = module

    @property
    def _compute(self) -> Any:
        return self._module.client("compute")

    # --- reads ----------------------------------------------------------------------------

    def get_gallery(self, resource_group: str, name: str) -> dict[str, Any] | None:
        label = gallery_label(resource_group, name)
        found = get_or_none(
            self._compute.galleries.get, resource_group, name, expand=SHARING_GROUPS, resource=label
        )
        return None if found is None else as_dict(found)

    def list_galleries(self, resource_group: str | None = None) -> list[dict[str, Any]]:
        if resource_group:
            return self._list(
                lambda: self._compute.galleries.list_by_resource_group(resource_group),
                f"galleries of resource group '{resource_group}'",
            )
        return self._list(self._compute.galleries.list, "galleries of the subscription")

    def get_image(self, resource_group: str, gallery: str, name: str) -> dict[str, Any] | None:
        label = image_label(resource_group, gallery, name)
        found = get_or_none(
            self._compute.gallery_images.get, resource_group, gallery, name, resource=label
        )
        return None if found is None else as_dict(found)

    def list_images(
        self, resource_group: str, gallery: str, *, missing_gallery_ok: bool = False
    ) -> list[dict[str, Any]]:
        """Definitions of a gallery; with ``missing_gallery_ok`` an absent gallery holds none."""
        return self._list(
            lambda: self._compute.gallery_images.list_by_gallery(resource_group, gallery),
            f"image definitions of {gallery_label(resource_group, gallery)}",
            missing_ok=missing_gallery_ok,
        )

    def list_versions(self, resource_group: str, gallery: str, image: str) -> list[dict[str, Any]]:
        return self._list(
            lambda: self._compute.gallery_image_versions.list_by_gallery_image(
                resource_group, gallery, image
            ),
            f"versions of {image_label(resource_group, gallery, image)}",
        )

    def resource_group_location(self, resource_group: str) -> str:
        path = f"/subscriptions/{self._module.subscription_id}/resourcegroups/{resource_group}"
        label = f"resource group '{resource_group}'"
        group = get_or_none(self._module.arm.get, path, RESOURCE_GROUP_API_VERSION, resource=label)
        if not group or not group.get("location"):
            raise LookupError(
                f"Resource group '{resource_group}' does not exist; create it first or check"
                " resource_group and subscription_id."
            )
        return str(group["location"])

    def _list(
        self, pages: Callable[[], Iterable[Any]], what: str, *, missing_ok: bool = False
    ) -> list[dict[str, Any]]:
        try:
            return [as_dict(item) for item in pages()]
        except Exception as exc:
            if missing_ok and is_not_found(exc):
                return []
            if is_azure_error(exc):
                raise translate(exc, verb="list", resource=what) from exc
            raise

    # --- writes ---------------------------------------------------------------------------

    def put_gallery(
        self, resource_group: str, name: str, body: dict[str, Any], waiter: Waiter
    ) -> dict[str, Any] | None:
        """The gallery as the finished operation returns it (None when not awaited)."""
        label = gallery_label(resource_group, name)
        result = self._run(
            lambda: self._compute.galleries.begin_create_or_update(resource_group, name, body),
            waiter,
            verb="create or update",
            resource=label,
        )
        return None if result is None else as_dict(result)

    def share_gallery(
        self, resource_group: str, name: str, update: dict[str, Any], waiter: Waiter
    ) -> None:
        operation = update.get("operationType", "update")
        self._run(
            lambda: self._compute.gallery_sharing_profile.begin_update(
                resource_group, name, update
            ),
            waiter,
            verb=f"change sharing ({operation}) of",
            resource=gallery_label(resource_group, name),
        )

    def delete_gallery(self, resource_group: str, name: str, waiter: Waiter) -> None:
        self._run(
            lambda: self._compute.galleries.begin_delete(resource_group, name),
            waiter,
            verb="delete",
            resource=gallery_label(resource_group, name),
        )

    def put_image(
        self, resource_group: str, gallery: str, name: str, body: dict[str, Any], waiter: Waiter
    ) -> dict[str, Any] | None:
        result = self._run(
            lambda: self._compute.gallery_images.begin_create_or_update(
                resource_group, gallery, name, body
            ),
            waiter,
            verb="create or update",
            resource=image_label(resource_group, gallery, name),
        )
        return None if result is None else as_dict(result)

    def delete_image(self, resource_group: str, gallery: str, name: str, waiter: Waiter) -> None:
        self._run(
            lambda: self._compute.gallery_images.begin_delete(resource_group, gallery, name),
            waiter,
            verb="delete",
            resource=image_label(resource_group, gallery, name),
        )

    def delete_version(
        self, resource_group: str, gallery: str, image: str, name: str, waiter: Waiter
    ) -> None:
        self._run(
            lambda: self._compute.gallery_image_versions.begin_delete(
                resource_group, gallery, image, name
            ),
            waiter,
            verb="delete",
            resource=f"version '{name}' of {image_label(resource_group, gallery, image)}",
        )

    def _run(self, start: Callable[[], Any], waiter: Waiter, *, verb: str, resource: str) -> Any:
        """Start a long-running operation and wait for it as ``waiter`` says."""
        try:
            return waiter.poller(start(), f"Azure to {verb} {resource}")
        except Exception as exc:
            if is_azure_error(exc):
                raise translate(exc, verb=verb, resource=resource) from exc
            raise
