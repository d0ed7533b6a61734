# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state machines of the ``gallery_image`` and ``gallery_image_info`` modules."""

from __future__ import annotations

from typing import Any, NoReturn

from ansible_collections.goldenimage.azure.plugins.module_utils._diff import Difference
from ansible_collections.goldenimage.azure.plugins.module_utils._gallery_api import (
    GalleryInputError,
    find_differences,
    gallery_id,
    merge_desired,
    normalize_location,
    resource_group_of,
    validate_gallery_name,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._gallery_image_api import (
    ARCHITECTURES,
    DISK_CONTROLLER_TYPES,
    HYPER_V_GENERATIONS,
    OS_STATES,
    OS_TYPES,
    SECURITY_TYPES,
    align_identifier_case,
    desired_image,
    image_body,
    image_state,
    immutable_conflicts,
    immutable_message,
    predicted_new_image,
    validate_combination,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._gallery_runner import (
    fail_input,
    tracker_of,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._gallery_service import (
    GalleryService,
    image_label,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule
from ansible_collections.goldenimage.azure.plugins.module_utils._regions import check_regions
from ansible_collections.goldenimage.azure.plugins.module_utils._tags import desired_tags

RANGE_SPEC: dict[str, dict[str, Any]] = {"min": {"type": "int"}, "max": {"type": "int"}}

GALLERY_IMAGE_SPEC: dict[str, dict[str, Any]] = {
    "name": {"type": "str", "required": True},
    "gallery_name": {"type": "str", "required": True},
    "resource_group": {"type": "str", "required": True},
    "location": {"type": "str"},
    "description": {"type": "str"},
    "publisher": {"type": "str"},
    "offer": {"type": "str"},
    "sku": {"type": "str"},
    "os_type": {"type": "str", "choices": list(OS_TYPES)},
    "os_state": {"type": "str", "choices": list(OS_STATES)},
    "hyper_v_generation": {"type": "str", "choices": list(HYPER_V_GENERATIONS)},
    "architecture": {"type": "str", "choices": list(ARCHITECTURES)},
    "security_type": {"type": "str", "choices": list(SECURITY_TYPES)},
    "accelerated_networking": {"type": "bool"},
    "disk_controller_types": {
        "type": "list",
        "elements": "str",
        "choices": list(DISK_CONTROLLER_TYPES),
    },
    "hibernation": {"type": "bool"},
    "features": {
        "type": "list",
        "elements": "dict",
        "options": {
            "name": {"type": "str", "required": True},
            "value": {"type": "str", "required": True},
            "starts_at_version": {"type": "str"},
        },
    },
    "allow_update_image": {"type": "bool", "default": False},
    "recommended_vcpus": {"type": "dict", "options": RANGE_SPEC},
    "recommended_memory": {"type": "dict", "options": RANGE_SPEC},
    "disallowed_disk_types": {"type": "list", "elements": "str"},
    "purchase_plan": {
        "type": "dict",
        "options": {
            "name": {"type": "str", "required": True},
            "publisher": {"type": "str", "required": True},
            "product": {"type": "str", "required": True},
        },
    },
    "eula": {"type": "str"},
    "privacy_statement_uri": {"type": "str"},
    "release_note_uri": {"type": "str"},
    "end_of_life_date": {"type": "str"},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
}
GALLERY_IMAGE_REQUIRED_IF = [("state", "present", ["publisher", "offer", "sku", "os_type"])]

GALLERY_IMAGE_INFO_SPEC: dict[str, dict[str, Any]] = {
    "name": {"type": "str"},
    "gallery_name": {"type": "str"},
    "resource_group": {"type": "str"},
}
GALLERY_IMAGE_INFO_REQUIRED_BY = {"name": "gallery_name", "gallery_name": "resource_group"}


# --- gallery_image ----------------------------------------------------------------------


def run_gallery_image(module: AzureModule) -> NoReturn:
    params = module.params
    resource_group, gallery, name = params["resource_group"], params["gallery_name"], params["name"]
    service = GalleryService(module)
    try:
        validate_gallery_name(gallery, "gallery_name")
        desired_image(params, None)  # bad input fails before any request
        current = service.get_image(resource_group, gallery, name)
        if params["state"] == "absent":
            delete_image(module, service, current)
        ensure_image(module, service, current)
    except GalleryInputError as exc:
        fail_input(module, exc)
    except LookupError as exc:
        module.fail(str(exc))
    except Exception as exc:
        module.fail_from(exc, resource=image_label(resource_group, gallery, name))


def delete_image(
    module: AzureModule, service: GalleryService, current: dict[str, Any] | None
) -> NoReturn:
    params = module.params
    if current is None:
        module.exit(changed=False, resource=None, duration=0.0)
    waiter = module.waiter()
    if not module.check_mode:
        service.delete_image(
            params["resource_group"], params["gallery_name"], params["name"], waiter
        )
    module.exit(
        changed=True,
        resource=None,
        diff={"before": image_state(current), "after": {}},
        duration=waiter.duration,
    )


def ensure_image(
    module: AzureModule, service: GalleryService, current: dict[str, Any] | None
) -> NoReturn:
    params = module.params
    tag_change = desired_tags(
        (current or {}).get("tags"), params.get("tags"), params.get("purge_tags", True)
    )
    desired = desired_image(params, tag_change.tags if tag_change else None)
    if current is None:
        predicted = predict_create(module, service, desired)
        diff: Any = {"before": {}, "after": predicted}
        changed = True
    else:
        state = image_state(current)
        desired = align_identifier_case(state, desired)
        refuse_immutable_changes(module, state, desired)
        differences = find_differences(state, desired)
        predicted = merge_desired(state, desired)
        diff = tracker_of(differences)
        changed = bool(differences)
    if not changed:
        module.exit(changed=False, resource=predicted, diff=diff, duration=0.0)
    allow_update = bool(params["allow_update_image"])
    # The service keeps the flag it was last sent, and a PUT replaces it.
    predicted["allow_update_image"] = True if allow_update else None
    validate_combination(predicted)
    result = predicted
    waiter = module.waiter()
    if not module.check_mode:
        written = service.put_image(
            params["resource_group"],
            params["gallery_name"],
            params["name"],
            image_body(
                predicted, allow_update, ((current or {}).get("properties") or {}).get("features")
            ),
            waiter,
        )
        result = image_state(written) if written else predicted
    module.exit(changed=True, resource=result, diff=diff, duration=waiter.duration)


def predict_create(
    module: AzureModule, service: GalleryService, desired: dict[str, Any]
) -> dict[str, Any]:
    params = module.params
    resource_group, gallery, name = params["resource_group"], params["gallery_name"], params["name"]
    # Only a new definition can ask for a region it does not have (it cannot move).
    check_regions(module, [("location", params.get("location"))])
    location = desired["location"]
    if not location:
        # A definition lives in its gallery's region; read it only when we must.
        parent = service.get_gallery(resource_group, gallery)
        if parent is None:
            raise LookupError(
                f"Gallery '{gallery}' does not exist in resource group '{resource_group}';"
                " create it first (goldenimage.azure.gallery)."
            )
        location = normalize_location(parent.get("location"))
    resource_id = f"{gallery_id(module.subscription_id, resource_group, gallery)}/images/{name}"
    return predicted_new_image(desired, resource_id=resource_id, name=name, location=str(location))


def refuse_immutable_changes(
    module: AzureModule, state: dict[str, Any], desired: dict[str, Any]
) -> None:
    conflicts = immutable_conflicts(state, desired, bool(module.params["allow_update_image"]))
    wanted_location = desired.get("location")
    if wanted_location and wanted_location != state["location"]:
        conflicts.insert(0, Difference("location", state["location"], wanted_location))
    if conflicts:
        module.fail(
            immutable_message(module.params["name"], conflicts),
            conflicts=[
                {"field": c.path, "current": c.before, "requested": c.after} for c in conflicts
            ],
        )


# --- gallery_image_info -----------------------------------------------------------------


def run_gallery_image_info(module: AzureModule) -> NoReturn:
    params = module.params
    name, gallery, resource_group = (
        params.get("name"),
        params.get("gallery_name"),
        params.get("resource_group"),
    )
    service = GalleryService(module)
    try:
        if gallery:
            validate_gallery_name(gallery, "gallery_name")
        if name:
            found = service.get_image(str(resource_group), str(gallery), name)
            bodies = [found] if found else []
        elif gallery:
            bodies = service.list_images(str(resource_group), gallery, missing_gallery_ok=True)
        else:
            bodies = [
                image
                for parent in service.list_galleries(resource_group)
                for image in service.list_images(
                    str(resource_group_of(parent.get("id"))),
                    str(parent["name"]),
                    missing_gallery_ok=True,
                )
            ]
    except GalleryInputError as exc:
        fail_input(module, exc)
    except Exception as exc:
        module.fail_from(exc, verb="read", resource="image definitions")
    module.exit(changed=False, resource=[image_state(body) for body in bodies])
