# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compute galleries: the rules Azure applies to them, as pure functions over plain data.

Three shapes of one resource meet here:

- the ARM body: camelCase JSON, as the SDK models serialise it (``model.as_dict()``);
- the *state*: the snake_case dict a module returns, whose keys reuse the option names;
- the *desired* state: the module parameters in that same shape, where ``None`` means
  "leave this as it is".

Comparison happens in the state shape after both sides went through the same
normalisation, so the diff, the check-mode prediction and the result all speak the
user's vocabulary, and a second run finds nothing to do.

Nothing here imports an SDK or talks to Azure; the helpers shared with the image
definition rules (``_gallery_image_api``) live here too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ansible_collections.goldenimage.azure.plugins.module_utils._diff import (
    Difference,
    DiffTracker,
    compare,
    normalize_location,
    to_utc,
)

__all__ = ["Difference", "normalize_location"]

GALLERY_TYPE = "Microsoft.Compute/galleries"
IMAGE_TYPE = "Microsoft.Compute/galleries/images"
VERSION_TYPE = "Microsoft.Compute/galleries/images/versions"

# The service's own rule for gallery names (letters, digits, '_', '-', '.'; no leading
# '_' or punctuation, no trailing '-' or '.'; at most 80 characters).
GALLERY_NAME_PATTERN = re.compile(r"^[^_\W][\w.-]{0,79}(?<![-.])$")

SHARING_PERMISSIONS = ("Private", "Groups", "Community")
SUBSCRIPTIONS_GROUP = "Subscriptions"
TENANTS_GROUP = "AADTenants"
COMMUNITY_FIELDS = {
    "publisher_uri": "publisherUri",
    "publisher_contact": "publisherContact",
    "eula": "eula",
    "public_name_prefix": "publicNamePrefix",
}
SOFT_DELETE_FIELDS = {
    "enabled": "isSoftDeleteEnabled",
    "retention_days": "retentionPeriodInDays",
    "grace_days": "gracePeriodInDays",
}
_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class GalleryInputError(ValueError):
    """A parameter the service would refuse; raised before any request is sent."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option


# --- normalisation shared by every gallery resource -----------------------------------


def canonical_choice(value: Any, choices: Iterable[str]) -> Any:
    """The documented spelling of an enum value Azure may return in another case."""
    if not isinstance(value, str):
        return value
    for choice in choices:
        if choice.lower() == value.lower():
            return choice
    return value


def utc_instant(value: Any) -> str | None:
    """A date or date-time as one UTC instant, ``YYYY-MM-DDTHH:MM:SSZ``, for comparing and showing.

    Accepts what users write (``2030-12-31``, an offset, a naive time taken as UTC) and what
    Azure returns (seven fractional digits, ``+00:00``); raises ``ValueError`` otherwise.
    """
    moment = to_utc(value)
    return None if moment is None else moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def sorted_ids(values: Iterable[str] | None) -> list[str]:
    """Subscription and tenant ids compare case-insensitively and in no order."""
    return sorted({value.strip().lower() for value in values or () if value and value.strip()})


def resource_group_of(resource_id: str | None) -> str | None:
    """The resource group named in an ARM id (ids are case-insensitive, names are not)."""
    match = re.search(r"/resourcegroups/([^/]+)", resource_id or "", re.IGNORECASE)
    return match.group(1) if match else None


def gallery_name_of(resource_id: str | None) -> str | None:
    match = re.search(r"/galleries/([^/]+)", resource_id or "", re.IGNORECASE)
    return match.group(1) if match else None


def gallery_id(subscription_id: str, resource_group: str, name: str) -> str:
    return (
        f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
        f"/providers/{GALLERY_TYPE}/{name}"
    )


# --- comparison -----------------------------------------------------------------------


def find_differences(current: Any, desired: Any) -> list[Difference]:
    """Every place where ``desired`` (``None`` meaning "not asked") differs from ``current``.

    Both sides must already be normalised, so plain equality is the right test.
    """
    tracker = DiffTracker()
    compare(tracker, desired, current)
    return tracker.differences


def merge_desired(current: Any, desired: Any) -> Any:
    """What the resource looks like once ``desired`` is applied over ``current``."""
    if desired is None:
        return current
    if isinstance(desired, Mapping):
        merged = dict(current) if isinstance(current, Mapping) else {}
        for key, wanted in desired.items():
            merged[key] = merge_desired(merged.get(key), wanted)
        return merged
    return desired


def differences_touch(differences: Sequence[Difference], prefixes: Iterable[str]) -> bool:
    """Whether any difference lies at or below one of ``prefixes``."""
    wanted = tuple(prefixes)
    return any(d.path == p or d.path.startswith(p + ".") for d in differences for p in wanted)


def drop_none(value: Any) -> Any:
    """An ARM body without the keys we have no value for (the service fills those)."""
    if isinstance(value, Mapping):
        cleaned = {k: drop_none(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in cleaned.items() if v != {}}
    if isinstance(value, list):
        return [drop_none(item) for item in value]
    return value


# --- gallery: ARM body to state -------------------------------------------------------


def _groups_of(sharing_profile: Mapping[str, Any], group_type: str) -> list[str]:
    ids: list[str] = []
    for group in sharing_profile.get("groups") or ():
        if str(group.get("type", "")).lower() == group_type.lower():
            ids.extend(group.get("ids") or ())
    return sorted_ids(ids)


def _community_state(info: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not info:
        return None
    state = {option: info.get(wire) for option, wire in COMMUNITY_FIELDS.items()}
    state["enabled"] = bool(info.get("communityGalleryEnabled"))
    state["public_names"] = sorted(info.get("publicNames") or ())
    return state


def sharing_state(sharing_profile: Mapping[str, Any] | None) -> dict[str, Any]:
    """A gallery without a sharing profile is private: say so instead of ``None``."""
    profile = sharing_profile or {}
    permission = canonical_choice(profile.get("permissions") or "Private", SHARING_PERMISSIONS)
    return {
        "permission": permission,
        "subscriptions": _groups_of(profile, SUBSCRIPTIONS_GROUP),
        "tenants": _groups_of(profile, TENANTS_GROUP),
        "community": _community_state(profile.get("communityGalleryInfo")),
    }


def soft_delete_state(policy: Mapping[str, Any] | None) -> dict[str, Any]:
    """No policy and a disabled one mean the same thing to the service."""
    policy = policy or {}
    return {
        "enabled": bool(policy.get("isSoftDeleteEnabled")),
        "retention_days": policy.get("retentionPeriodInDays"),
        "grace_days": policy.get("gracePeriodInDays"),
    }


def gallery_state(body: Mapping[str, Any]) -> dict[str, Any]:
    """The module result for one gallery as ARM returns it."""
    properties = body.get("properties") or {}
    status = properties.get("sharingStatus") or {}
    return {
        "id": body.get("id"),
        "name": body.get("name"),
        "resource_group": resource_group_of(body.get("id")),
        "location": normalize_location(body.get("location")),
        "description": properties.get("description"),
        "tags": dict(body.get("tags") or {}),
        "unique_name": (properties.get("identifier") or {}).get("uniqueName"),
        "sharing": sharing_state(properties.get("sharingProfile")),
        "sharing_state": status.get("aggregatedState"),
        "soft_delete": soft_delete_state(properties.get("softDeletePolicy")),
        "provisioning_state": properties.get("provisioningState"),
    }


# --- gallery: parameters to desired state ---------------------------------------------


def validate_gallery_name(name: str, option: str = "name") -> None:
    if not GALLERY_NAME_PATTERN.match(name or ""):
        raise GalleryInputError(
            option,
            f"'{name}' is not a valid gallery name: use 1 to 80 letters, digits, '_', '-' or"
            " '.', starting with a letter or digit and not ending with '-' or '.'",
        )


def _desired_community(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if params is None:
        return None
    community = {option: params.get(option) for option in COMMUNITY_FIELDS}
    missing = [option for option, value in community.items() if not value]
    if missing:
        raise GalleryInputError(
            "sharing.community",
            "community sharing needs " + ", ".join(f"sharing.community.{m}" for m in missing),
        )
    if not _EMAIL_PATTERN.match(str(community["publisher_contact"])):
        raise GalleryInputError(
            "sharing.community.publisher_contact",
            f"'{community['publisher_contact']}' is not an e-mail address",
        )
    if not str(community["publisher_uri"]).lower().startswith(("https://", "http://")):
        raise GalleryInputError(
            "sharing.community.publisher_uri",
            f"'{community['publisher_uri']}' is not an http(s) URI",
        )
    return community


def desired_sharing(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The sharing the user asked for, with the lists their permission implies."""
    if params is None:
        return None
    permission = params.get("permission") or "Private"
    subscriptions = params.get("subscriptions")
    tenants = params.get("tenants")
    community = params.get("community")
    if permission != "Groups":
        for option, value in (("subscriptions", subscriptions), ("tenants", tenants)):
            if value:
                raise GalleryInputError(
                    f"sharing.{option}",
                    f"direct sharing needs sharing.permission Groups, not {permission}",
                )
        # Not sharing directly means sharing with nobody.
        subscriptions, tenants = [], []
    if permission == "Community":
        desired_community = _desired_community(community)
    elif community is not None:
        raise GalleryInputError(
            "sharing.community", f"needs sharing.permission Community, not {permission}"
        )
    else:
        desired_community = None
    return {
        "permission": permission,
        "subscriptions": None if subscriptions is None else sorted_ids(subscriptions),
        "tenants": None if tenants is None else sorted_ids(tenants),
        "community": desired_community,
    }


def desired_soft_delete(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if params is None:
        return None
    for option in ("retention_days", "grace_days"):
        value = params.get(option)
        if value is not None and value < 1:
            raise GalleryInputError(f"soft_delete.{option}", f"must be at least 1, got {value}")
    enabled = params.get("enabled")
    if enabled is False and (params.get("retention_days") or params.get("grace_days")):
        raise GalleryInputError(
            "soft_delete", "retention_days and grace_days need soft_delete.enabled true"
        )
    return {
        "enabled": enabled,
        "retention_days": params.get("retention_days"),
        "grace_days": params.get("grace_days"),
    }


def desired_gallery(params: Mapping[str, Any], tags: Mapping[str, str] | None) -> dict[str, Any]:
    """The desired state from module parameters; ``tags`` already resolved against purge."""
    validate_gallery_name(params["name"])
    return {
        "location": normalize_location(params.get("location")),
        "description": params.get("description"),
        "tags": None if tags is None else dict(tags),
        "sharing": desired_sharing(params.get("sharing")),
        "soft_delete": desired_soft_delete(params.get("soft_delete")),
    }


def predicted_new_gallery(
    desired: Mapping[str, Any], *, resource_id: str, name: str, location: str
) -> dict[str, Any]:
    """The state a create will produce, for check mode and diffs; mirrors ``gallery_state``."""
    base = gallery_state({"id": resource_id, "name": name, "location": location})
    base["provisioning_state"] = "Succeeded"
    predicted: dict[str, Any] = merge_desired(base, desired)
    if predicted["sharing"]["permission"] == "Community" and predicted["sharing"]["community"]:
        predicted["sharing"]["community"].setdefault("enabled", True)
        predicted["sharing"]["community"].setdefault("public_names", [])
    return predicted


def predicted_gallery_update(
    current: Mapping[str, Any], desired: Mapping[str, Any]
) -> dict[str, Any]:
    predicted: dict[str, Any] = merge_desired(current, desired)
    community = predicted["sharing"].get("community")
    if predicted["sharing"]["permission"] == "Community" and community:
        community["enabled"] = True
        community.setdefault("public_names", [])
    elif predicted["sharing"]["permission"] != "Community":
        predicted["sharing"]["community"] = None
    return predicted


# --- gallery: state to requests -------------------------------------------------------


def gallery_body(state: Mapping[str, Any]) -> dict[str, Any]:
    """The PUT body for a gallery in ``state``; groups travel through the share action."""
    sharing = state.get("sharing") or {}
    community = sharing.get("community")
    soft_delete = state.get("soft_delete") or {}
    body = {
        "location": state.get("location"),
        "tags": dict(state.get("tags") or {}),
        "properties": {
            "description": state.get("description"),
            "sharingProfile": {
                "permissions": sharing.get("permission"),
                "communityGalleryInfo": (
                    {wire: community.get(option) for option, wire in COMMUNITY_FIELDS.items()}
                    if community and sharing.get("permission") == "Community"
                    else None
                ),
            },
            "softDeletePolicy": (
                {wire: soft_delete.get(option) for option, wire in SOFT_DELETE_FIELDS.items()}
                if soft_delete.get("enabled")
                else None
            ),
        },
    }
    cleaned: dict[str, Any] = drop_none(body)
    return cleaned


def _group_update(operation: str, subscriptions: list[str], tenants: list[str]) -> dict[str, Any]:
    groups = []
    if subscriptions:
        groups.append({"type": SUBSCRIPTIONS_GROUP, "ids": subscriptions})
    if tenants:
        groups.append({"type": TENANTS_GROUP, "ids": tenants})
    return {"operationType": operation, "groups": groups}


@dataclass(frozen=True)
class GalleryPlan:
    """The requests that bring a gallery to its desired state, in the order they must run.

    ``reset`` goes first: it is the only way back to private, and it clears groups and
    community sharing before another permission is set. Then the PUT, which sets the
    permission the share action needs, then the share action's removals and additions,
    then enabling community sharing.
    """

    reset: bool
    put: bool
    share_updates: tuple[dict[str, Any], ...]

    @property
    def changed(self) -> bool:
        return self.reset or self.put or bool(self.share_updates)


# Fields only the share action changes; a PUT cannot.
_SHARE_ACTION_PATHS = ("sharing.subscriptions", "sharing.tenants")


def plan_gallery_update(current: Mapping[str, Any], desired: Mapping[str, Any]) -> GalleryPlan:
    """What to send so ``current`` becomes ``desired`` (both in the state shape)."""
    current_sharing = current.get("sharing") or sharing_state(None)
    wanted_sharing = desired.get("sharing")
    reset = bool(
        wanted_sharing
        and current_sharing["permission"] != "Private"
        and wanted_sharing["permission"] != current_sharing["permission"]
    )
    if reset:
        # What the gallery looks like once the reset has run.
        current_sharing = sharing_state(None)
        current = {**current, "sharing": current_sharing}
    put = any(
        not differences_touch([d], _SHARE_ACTION_PATHS) for d in find_differences(current, desired)
    )
    updates: list[dict[str, Any]] = []
    if wanted_sharing and wanted_sharing["permission"] == "Groups":
        updates.extend(_group_changes(current_sharing, wanted_sharing))
    if wanted_sharing and wanted_sharing["permission"] == "Community":
        community = current_sharing.get("community") or {}
        if not community.get("enabled"):
            updates.append({"operationType": "EnableCommunity"})
    return GalleryPlan(reset=reset, put=put, share_updates=tuple(updates))


def _group_changes(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[dict[str, Any]]:
    def delta(key: str) -> tuple[list[str], list[str]]:
        if wanted.get(key) is None:
            return [], []
        have, want = set(current.get(key) or ()), set(wanted[key])
        return sorted(want - have), sorted(have - want)

    add_subs, remove_subs = delta("subscriptions")
    add_tenants, remove_tenants = delta("tenants")
    updates = []
    if remove_subs or remove_tenants:
        updates.append(_group_update("Remove", remove_subs, remove_tenants))
    if add_subs or add_tenants:
        updates.append(_group_update("Add", add_subs, add_tenants))
    return updates


# --- gallery: deletion ----------------------------------------------------------------


def force_delete_plan(
    gallery_resource_id: str,
    images: Sequence[Mapping[str, Any]],
    versions: Sequence[Mapping[str, Any]],
) -> list[str]:
    """Ids to delete, children first: versions, then image definitions, then the gallery."""
    version_ids = sorted(str(v["id"]) for v in versions)
    image_ids = sorted(str(i["id"]) for i in images)
    return [*version_ids, *image_ids, gallery_resource_id]


def refuse_delete_message(name: str, images: Sequence[Mapping[str, Any]]) -> str:
    names = sorted(str(image.get("name")) for image in images)
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    return (
        f"Gallery '{name}' still holds {len(names)} image definition(s) ({shown}); nothing was"
        " deleted. Delete them first, or set force=true to delete their versions, the"
        " definitions and then the gallery."
    )
