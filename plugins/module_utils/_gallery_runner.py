# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state machines of the ``gallery`` and ``gallery_info`` modules.

Read once, compare in the option vocabulary (``_gallery_api``), then either predict (check
mode) or write, and exit with the resource, ``changed`` and the diff. Everything that can be
refused is refused before the first write.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, NoReturn

from ansible_collections.goldenimage.azure.plugins.module_utils._diff import (
    Difference,
    DiffTracker,
    normalize_location,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._gallery_api import (
    GalleryInputError,
    GalleryPlan,
    desired_gallery,
    find_differences,
    force_delete_plan,
    gallery_body,
    gallery_id,
    gallery_state,
    plan_gallery_update,
    predicted_gallery_update,
    predicted_new_gallery,
    refuse_delete_message,
    resource_group_of,
    validate_gallery_name,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._gallery_service import (
    GalleryService,
    gallery_label,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule
from ansible_collections.goldenimage.azure.plugins.module_utils._regions import check_regions
from ansible_collections.goldenimage.azure.plugins.module_utils._tags import desired_tags
from ansible_collections.goldenimage.azure.plugins.module_utils._waiter import Waiter

# --- argument specs (the module documentation mirrors them) ---------------------------------

COMMUNITY_SPEC: dict[str, dict[str, Any]] = {
    "publisher_uri": {"type": "str", "required": True},
    "publisher_contact": {"type": "str", "required": True},
    "eula": {"type": "str", "required": True},
    "public_name_prefix": {"type": "str", "required": True},
}

GALLERY_SPEC: dict[str, dict[str, Any]] = {
    "name": {"type": "str", "required": True},
    "resource_group": {"type": "str", "required": True},
    "location": {"type": "str"},
    "description": {"type": "str"},
    "sharing": {
        "type": "dict",
        "options": {
            "permission": {
                "type": "str",
                "required": True,
                "choices": ["Private", "Groups", "Community"],
            },
            "subscriptions": {"type": "list", "elements": "str"},
            "tenants": {"type": "list", "elements": "str"},
            "community": {"type": "dict", "options": COMMUNITY_SPEC},
        },
    },
    "soft_delete": {
        "type": "dict",
        "options": {
            "enabled": {"type": "bool", "required": True},
            "retention_days": {"type": "int"},
            "grace_days": {"type": "int"},
        },
    },
    "force": {"type": "bool", "default": False},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
}

GALLERY_INFO_SPEC: dict[str, dict[str, Any]] = {
    "name": {"type": "str"},
    "resource_group": {"type": "str"},
}


# --- shared by both gallery state machines ----------------------------------------------


def step_waiters(module: AzureModule, count: int) -> list[Waiter]:
    """One waiter per request of a sequence: every step but the last is always awaited,
    because the next one needs it done; the last one waits as the ``wait`` option says."""
    final = module.waiter()
    between = final if final.enabled else Waiter(module.params["wait_timeout"])
    return [between] * (count - 1) + [final] if count else []


def waited_seconds(waiters: list[Waiter]) -> float:
    """How long the awaited requests took (0 when nothing was awaited), for ``duration``."""
    return max((waiter.duration for waiter in waiters if waiter.enabled), default=0.0)


def tracker_of(differences: list[Difference]) -> DiffTracker:
    """The differences found by the comparison, for diff mode."""
    tracker = DiffTracker()
    for difference in differences:
        tracker.add(difference.path, difference.before, difference.after)
    return tracker


def fail_input(module: AzureModule, exc: GalleryInputError) -> NoReturn:
    module.fail(f"Invalid {exc}")


# --- gallery ----------------------------------------------------------------------------


def run_gallery(module: AzureModule) -> NoReturn:
    params = module.params
    resource_group, name = params["resource_group"], params["name"]
    service = GalleryService(module)
    try:
        desired_gallery(params, None)  # bad input fails before any request
        current = service.get_gallery(resource_group, name)
        if params["state"] == "absent":
            delete_gallery(module, service, current)
        ensure_gallery(module, service, current)
    except GalleryInputError as exc:
        fail_input(module, exc)
    except LookupError as exc:
        module.fail(str(exc))
    except Exception as exc:
        module.fail_from(exc, resource=gallery_label(resource_group, name))


def ensure_gallery(
    module: AzureModule, service: GalleryService, current: dict[str, Any] | None
) -> NoReturn:
    params = module.params
    resource_group, name = params["resource_group"], params["name"]
    tag_change = desired_tags(
        (current or {}).get("tags"), params.get("tags"), params.get("purge_tags", True)
    )
    desired = desired_gallery(params, tag_change.tags if tag_change else None)
    if current is None:
        # A new gallery is the only case with a region it does not have yet (no move).
        check_regions(module, [("location", params.get("location"))])
        location = desired["location"] or normalize_location(
            service.resource_group_location(resource_group)
        )
        predicted = predicted_new_gallery(
            desired,
            resource_id=gallery_id(module.subscription_id, resource_group, name),
            name=name,
            location=str(location),
        )
        plan = replace(plan_gallery_update(gallery_state({}), desired), put=True)
        diff: Any = {"before": {}, "after": predicted}
    else:
        state = gallery_state(current)
        refuse_move(module, name, state, desired)
        plan = plan_gallery_update(state, desired)
        predicted = predicted_gallery_update(state, desired)
        diff = tracker_of(find_differences(state, desired))
    result, duration = predicted, 0.0
    if plan.changed and not module.check_mode:
        written, duration = apply_gallery_plan(module, service, plan, gallery_body(predicted))
        result = written or predicted
    module.exit(changed=plan.changed, resource=result, diff=diff, duration=duration)


def refuse_move(
    module: AzureModule, name: str, state: dict[str, Any], desired: dict[str, Any]
) -> None:
    wanted = desired.get("location")
    if wanted and wanted != state["location"]:
        module.fail(
            f"Gallery '{name}' cannot move from {state['location']} to {wanted}; nothing was"
            " written. Create a new gallery in the other region instead.",
            conflicts=[{"field": "location", "current": state["location"], "requested": wanted}],
        )


def apply_gallery_plan(
    module: AzureModule, service: GalleryService, plan: GalleryPlan, body: dict[str, Any]
) -> tuple[dict[str, Any] | None, float]:
    """Send the plan's requests in order.

    Returns the gallery as read back (None when the last request was not awaited) and the
    seconds spent waiting.
    """
    resource_group, name = module.params["resource_group"], module.params["name"]
    steps: list[Any] = []
    if plan.reset:
        steps.append(
            lambda w: service.share_gallery(resource_group, name, {"operationType": "Reset"}, w)
        )
    if plan.put:
        steps.append(lambda w: service.put_gallery(resource_group, name, body, w))
    for update in plan.share_updates:
        steps.append(lambda w, u=update: service.share_gallery(resource_group, name, u, w))
    waiters = step_waiters(module, len(steps))
    answers = [step(waiter) for step, waiter in zip(steps, waiters, strict=True)]
    duration = waited_seconds(waiters)
    if not waiters[-1].enabled:
        return None, duration
    # The operation's answer to a create or update is the gallery as read at its end, except
    # for whom it is shared with (Azure leaves groups out unless asked): read again only when
    # there are groups to show, or when the last request was a sharing change.
    written = answers[-1] if plan.put and not plan.share_updates else None
    if written and gallery_state(written)["sharing"]["permission"] != "Groups":
        return gallery_state(written), duration
    found = service.get_gallery(resource_group, name)
    return (None if found is None else gallery_state(found)), duration


def delete_gallery(
    module: AzureModule, service: GalleryService, current: dict[str, Any] | None
) -> NoReturn:
    params = module.params
    resource_group, name = params["resource_group"], params["name"]
    if current is None:
        module.exit(changed=False, resource=None, deleted=[], duration=0.0)
    images = service.list_images(resource_group, name)
    if images and not params["force"]:
        module.fail(
            refuse_delete_message(name, images),
            image_definitions=sorted(str(image.get("name")) for image in images),
        )
    versions = [
        version
        for image in images
        for version in service.list_versions(resource_group, name, str(image["name"]))
    ]
    plan = force_delete_plan(str(current["id"]), images, versions)
    duration = 0.0 if module.check_mode else delete_in_order(module, service, versions, images)
    module.exit(
        changed=True,
        resource=None,
        deleted=plan,
        duration=duration,
        diff={"before": gallery_state(current), "after": {}},
    )


def delete_in_order(
    module: AzureModule,
    service: GalleryService,
    versions: list[dict[str, Any]],
    images: list[dict[str, Any]],
) -> float:
    """Versions, then definitions, then the gallery: Azure refuses a parent with children.

    Returns the seconds spent waiting.
    """
    resource_group, name = module.params["resource_group"], module.params["name"]
    waiters = step_waiters(module, len(versions) + len(images) + 1)
    pending = iter(waiters)
    for version in versions:
        image = image_name_of(str(version["id"]))
        service.delete_version(resource_group, name, image, str(version["name"]), next(pending))
    for image_body in images:
        service.delete_image(resource_group, name, str(image_body["name"]), next(pending))
    service.delete_gallery(resource_group, name, next(pending))
    return waited_seconds(waiters)


def image_name_of(version_id: str) -> str:
    parts = version_id.split("/")
    lowered = [part.lower() for part in parts]
    return parts[lowered.index("images") + 1]


# --- gallery_info -----------------------------------------------------------------------


def run_gallery_info(module: AzureModule) -> NoReturn:
    params = module.params
    name, resource_group = params.get("name"), params.get("resource_group")
    service = GalleryService(module)
    try:
        if name:
            validate_gallery_name(name)
        if name and resource_group:
            found = service.get_gallery(resource_group, name)
            bodies = [found] if found else []
        else:
            bodies = service.list_galleries(resource_group)
            if name:
                bodies = [b for b in bodies if str(b.get("name", "")).lower() == name.lower()]
            bodies = [with_sharing_groups(service, body) for body in bodies]
    except GalleryInputError as exc:
        fail_input(module, exc)
    except Exception as exc:
        module.fail_from(exc, verb="read", resource="galleries")
    module.exit(changed=False, resource=[gallery_state(body) for body in bodies])


def with_sharing_groups(service: GalleryService, body: dict[str, Any]) -> dict[str, Any]:
    """List answers leave out sharing groups: read a directly shared gallery once more."""
    if gallery_state(body)["sharing"]["permission"] != "Groups":
        return body
    found = service.get_gallery(str(resource_group_of(body.get("id"))), str(body["name"]))
    return found or body
