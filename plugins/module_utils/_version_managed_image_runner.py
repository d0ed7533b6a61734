# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state machines of ``managed_image`` and ``managed_image_info``.

A managed image is created once from a generalized VM or from disks; afterwards only its tags
change. Requests are raw ARM JSON (Microsoft.Compute/images at the api-version the compute SDK
sends) through the collection's ARM client. Everything Azure would refuse is refused before the first write, naming the option.
"""

from __future__ import annotations

from typing import Any, NoReturn
from urllib.parse import quote

from ansible_collections.goldenimage.azure.plugins.module_utils._diff import DiffTracker
from ansible_collections.goldenimage.azure.plugins.module_utils._errors import (
    get_or_none,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._gallery_service import (
    as_dict,
    collect,
    compute_path,
    run_operation,
    with_expand,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._managed_image_api import (
    CACHING,
    DISK_STORAGE_TYPES,
    HYPER_V_GENERATIONS,
    OS_STATES,
    OS_TYPES,
    DesiredImage,
    ImageSource,
    check_same_region,
    check_vm_generalized,
    classify_update,
    create_body,
    forbidden_message,
    image_result,
    parse_image_source,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule
from ansible_collections.goldenimage.azure.plugins.module_utils._tags import desired_tags
from ansible_collections.goldenimage.azure.plugins.module_utils._version_api import FieldChange
from ansible_collections.goldenimage.azure.plugins.module_utils._version_service import (
    COMPUTE_API_VERSION,
    DISK_API_VERSION,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._version_spec import (
    OptionError,
    normalize_region,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._waiter import Waiter

RESULT_KEY = "managed_image"

_DISK_OPTIONS: dict[str, dict[str, Any]] = {
    "disk": {"type": "raw"},
    "snapshot": {"type": "raw"},
    "blob_uri": {"type": "str"},
    "caching": {"type": "str", "choices": list(CACHING)},
    "storage_account_type": {"type": "str", "choices": list(DISK_STORAGE_TYPES)},
}

# Azure's rule for managed image names: 1 to 80 alphanumerics, '_', '.' or '-', starting with
# an alphanumeric and ending with an alphanumeric or '_'.
IMAGE_NAME_PATTERN = r"[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?"

IMAGE_SPEC: dict[str, dict[str, Any]] = {
    "name": {"type": "str", "required": True},
    "resource_group": {"type": "str", "required": True},
    "location": {"type": "str"},
    "virtual_machine": {"type": "raw"},
    "os_disk": {
        "type": "dict",
        "options": {
            **_DISK_OPTIONS,
            "os_type": {"type": "str", "choices": list(OS_TYPES)},
            "os_state": {"type": "str", "choices": list(OS_STATES)},
        },
    },
    "data_disks": {
        "type": "list",
        "elements": "dict",
        "options": {"lun": {"type": "int", "required": True}, **_DISK_OPTIONS},
    },
    "hyper_v_generation": {"type": "str", "choices": list(HYPER_V_GENERATIONS)},
    "zone_resilient": {"type": "bool"},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
}

IMAGE_INFO_SPEC: dict[str, dict[str, Any]] = {
    "name": {"type": "str"},
    "resource_group": {"type": "str"},
}


def image_label(resource_group: str, name: str) -> str:
    return f"managed image '{name}' in resource group '{resource_group}'"


class ImageService:
    """Managed image requests for one module run, as raw ARM JSON through ``module.arm``."""

    def __init__(self, module: AzureModule) -> None:
        self._module = module

    def _path(self, resource_group: str | None, name: str | None = None) -> str:
        segments = ["images"] if name is None else ["images", quote(name, safe="")]
        return compute_path(self._module.subscription_id, resource_group, *segments)

    def get(self, resource_group: str, name: str) -> dict[str, Any] | None:
        found = get_or_none(
            self._module.arm.get,
            self._path(resource_group, name),
            COMPUTE_API_VERSION,
            resource=image_label(resource_group, name),
        )
        return None if found is None else as_dict(found)

    def list_images(self, resource_group: str | None) -> list[dict[str, Any]]:
        what = f"managed images of {resource_group or 'the subscription'}"
        path = self._path(resource_group)
        return collect(lambda: self._module.arm.list(path, COMPUTE_API_VERSION), what)

    def get_source(
        self, resource_id: str, api_version: str, expand: str | None = None
    ) -> dict[str, Any] | None:
        path = with_expand(resource_id, expand)
        return get_or_none(self._module.arm.get, path, api_version, resource=f"'{resource_id}'")

    def put(
        self, resource_group: str, name: str, body: dict[str, Any], waiter: Waiter
    ) -> dict[str, Any] | None:
        return self._run("PUT", resource_group, name, body, waiter, verb="create")

    def patch_tags(
        self, resource_group: str, name: str, tags: dict[str, str], waiter: Waiter
    ) -> dict[str, Any] | None:
        return self._run(
            "PATCH", resource_group, name, {"tags": tags}, waiter, verb="update the tags of"
        )

    def delete(self, resource_group: str, name: str, waiter: Waiter) -> None:
        self._run("DELETE", resource_group, name, None, waiter, verb="delete")

    def _run(
        self,
        method: str,
        resource_group: str,
        name: str,
        body: dict[str, Any] | None,
        waiter: Waiter,
        *,
        verb: str,
    ) -> dict[str, Any] | None:
        path = self._path(resource_group, name)
        resource = image_label(resource_group, name)
        result = run_operation(
            self._module.arm,
            method,
            path,
            COMPUTE_API_VERSION,
            body,
            waiter,
            verb=verb,
            resource=resource,
        )
        return None if result is None else as_dict(result)


# --- rules before any write -----------------------------------------------------------------


def source_location(service: ImageService, source: ImageSource) -> str | None:
    """Read the source, check what Azure would refuse about it, and return its region."""
    if source.virtual_machine_id:
        vm = service.get_source(
            source.virtual_machine_id, COMPUTE_API_VERSION, expand="instanceView"
        )
        if vm is None:
            raise OptionError(
                "virtual_machine",
                f"the virtual machine '{source.virtual_machine_id}' does not exist",
            )
        check_vm_generalized((vm.get("properties") or {}).get("instanceView"))
        return str(vm.get("location") or "") or None
    primary = source.primary_id
    if primary is None:
        return None  # a blob: its region is the storage account's, which Azure checks
    disk = service.get_source(primary, DISK_API_VERSION)
    if disk is None:
        raise OptionError("os_disk", f"the OS disk source '{primary}' does not exist")
    disk_os = (disk.get("properties") or {}).get("osType")
    if disk_os and source.os_type and disk_os.lower() != source.os_type.lower():
        raise OptionError(
            "os_disk.os_type", f"is {source.os_type} but the source disk holds {disk_os}"
        )
    return str(disk.get("location") or "") or None


# --- managed_image --------------------------------------------------------------------------


def run_image(module: AzureModule) -> NoReturn:
    params = module.params
    module.validate_pattern(
        "name",
        IMAGE_NAME_PATTERN,
        "1 to 80 letters, digits, '_', '.' or '-', starting with a letter or digit and ending "
        "with a letter, digit or '_'",
    )
    resource_group, name = params["resource_group"], params["name"]
    service = ImageService(module)
    try:
        source = parse_image_source(
            params, subscription_id=module.subscription_id, resource_group=resource_group
        )
        desired = DesiredImage(
            source=source,
            hyper_v_generation=params.get("hyper_v_generation"),
            zone_resilient=params.get("zone_resilient"),
        )
        current = service.get(resource_group, name)
        if params["state"] == "absent":
            delete_image(module, service, current)
        if current is None:
            create_image(module, service, desired)
        update_image(module, service, desired, current)
    except OptionError as exc:
        module.fail(f"Invalid {exc}", option=exc.option)
    except Exception as exc:
        module.fail_from(exc, resource=image_label(resource_group, name))


def create_image(module: AzureModule, service: ImageService, desired: DesiredImage) -> NoReturn:
    params = module.params
    if desired.source is None:
        raise OptionError(
            "virtual_machine", "a new managed image needs a source: virtual_machine or os_disk"
        )
    region = source_location(service, desired.source)
    location = params.get("location") or region
    if not location:
        raise OptionError("location", "is required for an image made from VHD blobs only")
    check_same_region(desired.source, region, location)
    tag_change = desired_tags(None, params.get("tags"), True)
    body = create_body(
        desired,
        location=normalize_region(location, "location"),
        tags=tag_change.tags if tag_change else None,
    )
    predicted = predicted_image(module, body)
    diff = {"before": {}, "after": image_result(predicted)}
    result = predicted
    if not module.check_mode:
        result = (
            service.put(params["resource_group"], params["name"], body, module.waiter())
            or predicted
        )
    module.exit(changed=True, resource=image_result(result), diff=diff)


def update_image(
    module: AzureModule, service: ImageService, desired: DesiredImage, current: dict[str, Any]
) -> NoReturn:
    params = module.params
    plan = classify_update(current, desired)
    wanted_location = params.get("location")
    if wanted_location and normalize_region(wanted_location, "location") != normalize_region(
        current.get("location")
    ):
        plan.forbidden.insert(0, _location_conflict(current, wanted_location))
    if plan.forbidden:
        module.fail(
            forbidden_message(params["name"], plan),
            conflicts=[
                {"field": c.field, "current": c.current, "requested": c.requested}
                for c in plan.forbidden
            ],
        )
    tag_change = desired_tags(current.get("tags"), params.get("tags"), params["purge_tags"])
    diff = DiffTracker()
    if tag_change is None or not tag_change.changed:
        module.exit(changed=False, resource=image_result(current), diff=diff)
    diff.add("tags", dict(current.get("tags") or {}), tag_change.tags)
    result = {**current, "tags": tag_change.tags}
    if not module.check_mode:
        written = service.patch_tags(
            params["resource_group"], params["name"], tag_change.tags, module.waiter()
        )
        result = written or result
    module.exit(changed=True, resource=image_result(result), diff=diff)


def _location_conflict(current: dict[str, Any], wanted: str) -> FieldChange:
    return FieldChange(
        "location", normalize_region(current.get("location")), normalize_region(wanted, "location")
    )


def predicted_image(module: AzureModule, body: dict[str, Any]) -> dict[str, Any]:
    params = module.params
    properties = dict(body.get("properties") or {})
    properties["provisioningState"] = "Creating"
    return {
        "id": f"/subscriptions/{module.subscription_id}/resourceGroups/{params['resource_group']}"
        f"/providers/Microsoft.Compute/images/{params['name']}",
        "name": params["name"],
        "type": "Microsoft.Compute/images",
        "location": body.get("location"),
        "tags": body.get("tags") or {},
        "properties": properties,
    }


def delete_image(
    module: AzureModule, service: ImageService, current: dict[str, Any] | None
) -> NoReturn:
    if current is None:
        module.exit(changed=False, resource=None)
    if not module.check_mode:
        service.delete(module.params["resource_group"], module.params["name"], module.waiter())
    module.exit(changed=True, resource=None, diff={"before": image_result(current), "after": {}})


# --- managed_image_info ---------------------------------------------------------------------


def run_image_info(module: AzureModule) -> NoReturn:
    params = module.params
    name, resource_group = params.get("name"), params.get("resource_group")
    service = ImageService(module)
    try:
        if name and resource_group:
            found = service.get(resource_group, name)
            images = [found] if found else []
        else:
            images = service.list_images(resource_group)
            if name:
                images = [
                    image for image in images if str(image.get("name", "")).lower() == name.lower()
                ]
    except Exception as exc:
        module.fail_from(exc, verb="read", resource="managed images")
    images.sort(key=lambda image: str(image.get("id", "")).lower())
    module.exit(changed=False, resource=[image_result(image) for image in images])
