# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decide what to do with an image template: nothing, PATCH, replace, create or delete.

Image templates cannot be changed with PUT once they exist; PATCH accepts only ``identity``,
``tags``, ``properties.distribute`` and ``properties.vmProfile``. Both sides are normalised
(read-only fields and documented defaults dropped, lists in a stable order, names and ids
compared case-insensitively) and diffed; the decision is returned as data so check mode, diff
mode and the real run share it and unit tests can pin it down.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PATCHABLE_PROPERTIES = frozenset({"distribute", "vmProfile"})
RUNNING_STATES = frozenset({"Running", "Canceling"})
READ_ONLY_PROPERTIES = frozenset(
    {"provisioningState", "provisioningError", "lastRunStatus", "exactStagingResourceGroup"}
)
KNOWN_PROPERTIES = frozenset(
    {
        "source",
        "customize",
        "validate",
        "optimize",
        "errorHandling",
        "distribute",
        "vmProfile",
        "buildTimeoutInMinutes",
        "stagingResourceGroup",
        "autoRun",
        "managedResourceTags",
        "additionalDataDisks",
    }
)
REPLACE_MODES = ("auto", "never")

# Values Azure treats as "not set": dropped on both sides so an omitted option and an echoed
# default compare equal.
_STEP_DEFAULTS: dict[str, Any] = {
    "sha256Checksum": "",
    "runElevated": False,
    "runAsSystem": False,
    "validExitCodes": [],
    "inline": [],
    "filters": [],
    "searchCriteria": "",
    "updateLimit": 0,
}
_DISTRIBUTOR_DEFAULTS: dict[str, Any] = {
    "artifactTags": {},
    "excludeFromLatest": False,
    "replicationMode": "Full",
    "replicationRegions": [],
    "targetRegions": [],
    "uri": "",
}
_ID_KEYS = frozenset(
    {
        "imageId",
        "imageVersionId",
        "galleryImageId",
        "subnetId",
        "containerInstanceSubnetId",
        "stagingResourceGroup",
    }
)


def normalize_location(location: str | None) -> str | None:
    """``East US`` and ``eastus`` name the same region."""
    return None if location is None else location.replace(" ", "").lower()


def _without(mapping: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value
        for key, value in mapping.items()
        if key not in defaults or value != defaults[key]
    }


def _drop_empty(mapping: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in mapping.items() if value not in (None, {}, [], "")}


class _Normalizer:
    """Cleans one ``properties`` document; ``fold`` lower-cases ids and regions for comparing."""

    def __init__(self, fold: bool) -> None:
        self.fold = fold

    def ident(self, value: Any) -> Any:
        return value.lower() if self.fold and isinstance(value, str) else value

    def region(self, value: Any) -> Any:
        return normalize_location(value) if self.fold and isinstance(value, str) else value

    def ids(self, mapping: dict[str, Any]) -> dict[str, Any]:
        return {
            key: self.ident(value) if key in _ID_KEYS else value for key, value in mapping.items()
        }

    def properties(self, properties: dict[str, Any], keep: Callable[[str], bool]) -> dict[str, Any]:
        section_cleaners: dict[str, Callable[[Any], Any]] = {
            "source": self.source,
            "customize": self.steps,
            "validate": self.validate,
            "optimize": self.optimize,
            "errorHandling": self.error_handling,
            "distribute": self.distribute,
            "vmProfile": self.vm_profile,
            "buildTimeoutInMinutes": lambda minutes: None if minutes == 0 else minutes,
            "stagingResourceGroup": self.ident,
            "autoRun": lambda auto_run: None if auto_run == {"state": "Disabled"} else auto_run,
        }
        cleaned: dict[str, Any] = {}
        for key, value in properties.items():
            if key in READ_ONLY_PROPERTIES or not keep(key):
                continue
            cleaner = section_cleaners.get(key)
            cleaned[key] = cleaner(value) if cleaner and value is not None else copy.deepcopy(value)
        return _drop_empty(cleaned)

    def source(self, source: dict[str, Any]) -> dict[str, Any]:
        return self.ids({key: value for key, value in source.items() if key != "exactVersion"})

    def steps(self, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [_without(dict(step), _STEP_DEFAULTS) for step in steps]

    def validate(self, validate: dict[str, Any]) -> dict[str, Any]:
        cleaned = _without(
            validate, {"continueDistributeOnFailure": False, "sourceValidationOnly": False}
        )
        if cleaned.get("inVMValidations"):
            cleaned["inVMValidations"] = self.steps(cleaned["inVMValidations"])
        return _drop_empty(cleaned)

    def optimize(self, optimize: dict[str, Any]) -> dict[str, Any]:
        return _drop_empty(
            {
                key: _drop_empty(value) if isinstance(value, dict) else value
                for key, value in optimize.items()
            }
        )

    def error_handling(self, handling: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in handling.items() if value not in (None, "cleanup")}

    def distribute(self, targets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        cleaned = [self.distributor(target) for target in targets]
        # The order of distribution targets carries no meaning; runOutputName is their key.
        return sorted(cleaned, key=lambda target: str(target.get("runOutputName", "")).lower())

    def distributor(self, target: dict[str, Any]) -> dict[str, Any]:
        cleaned = self.ids(_without(target, _DISTRIBUTOR_DEFAULTS))
        if "location" in cleaned:
            cleaned["location"] = self.region(cleaned["location"])
        if cleaned.get("targetRegions"):
            cleaned["targetRegions"] = sorted(
                (self.target_region(region) for region in cleaned["targetRegions"]),
                key=lambda r: str(r.get("name")),
            )
        if cleaned.get("replicationRegions"):
            cleaned["replicationRegions"] = sorted(
                self.region(name) for name in cleaned["replicationRegions"]
            )
        versioning = cleaned.get("versioning")
        if isinstance(versioning, dict):
            cleaned["versioning"] = _without(versioning, {"major": -1})
        return cleaned

    def target_region(self, region: dict[str, Any]) -> dict[str, Any]:
        cleaned = _without(region, {"replicaCount": 1, "storageAccountType": "Standard_LRS"})
        cleaned["name"] = self.region(cleaned.get("name"))
        return cleaned

    def vm_profile(self, profile: dict[str, Any]) -> dict[str, Any]:
        cleaned = _without(profile, {"vmSize": "", "osDiskSizeGB": 0, "userAssignedIdentities": []})
        if cleaned.get("userAssignedIdentities"):
            cleaned["userAssignedIdentities"] = sorted(
                self.ident(i) for i in cleaned["userAssignedIdentities"]
            )
        vnet = cleaned.get("vnetConfig")
        if isinstance(vnet, dict):
            cleaned["vnetConfig"] = _drop_empty(self.ids(_without(vnet, {"proxyVmSize": ""})))
        return _drop_empty(cleaned)


def clean_properties(
    properties: dict[str, Any] | None, *, fold: bool = False, only: frozenset[str] | None = None
) -> dict[str, Any]:
    """``properties`` without read-only fields and defaults, in a stable order.

    ``only`` limits unknown keys to those named (server fields newer than this module are
    ignored unless the user's raw ``template`` sets them).
    """
    allowed = KNOWN_PROPERTIES | (only or frozenset())
    return _Normalizer(fold).properties(properties or {}, keep=lambda key: key in allowed)


def identity_ids_of(resource: dict[str, Any] | None) -> list[str]:
    identity = (resource or {}).get("identity") or {}
    if identity.get("type") in (None, "None"):
        return []
    return sorted((identity.get("userAssignedIdentities") or {}).keys())


@dataclass(frozen=True)
class DesiredTemplate:
    """What the user asked for, in ARM form. ``tags`` None leaves the template's tags alone."""

    location: str
    identity: dict[str, Any]
    properties: dict[str, Any]
    tags: dict[str, str] | None = None


@dataclass(frozen=True)
class TemplatePlan:
    """The decision for one template and everything needed to act on it and report it."""

    action: str  # "none", "create", "update" (PATCH), "replace", "delete"
    changes: tuple[str, ...] = ()
    immutable_changes: tuple[str, ...] = ()
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    patch: dict[str, Any] | None = None
    body: dict[str, Any] | None = None  # the PUT body for "create" and "replace"
    cancel_first: bool = False
    refusal: str | None = None

    @property
    def changed(self) -> bool:
        return self.action != "none" and self.refusal is None

    @property
    def diff(self) -> dict[str, Any]:
        return {"before": self.before or {}, "after": self.after or {}}


def is_build_running(template: dict[str, Any] | None) -> bool:
    status = ((template or {}).get("properties") or {}).get("lastRunStatus") or {}
    return status.get("runState") in RUNNING_STATES


def _view(
    location: Any, identity_ids: list[str], tags: Any, properties: dict[str, Any]
) -> dict[str, Any]:
    """The comparable shape shown in diffs."""
    return {
        "location": location,
        "identity": identity_ids,
        "tags": tags or {},
        "properties": properties,
    }


def _current_view(
    current: dict[str, Any], extra_keys: frozenset[str], fold: bool
) -> dict[str, Any]:
    location = normalize_location(current.get("location")) if fold else current.get("location")
    ids = identity_ids_of(current)
    return _view(
        location,
        sorted(i.lower() for i in ids) if fold else ids,
        current.get("tags"),
        clean_properties(current.get("properties"), fold=fold, only=extra_keys),
    )


def _desired_view(
    desired: DesiredTemplate, current: dict[str, Any] | None, fold: bool
) -> dict[str, Any]:
    ids = identity_ids_of({"identity": desired.identity})
    tags = desired.tags if desired.tags is not None else (current or {}).get("tags")
    extra = frozenset(desired.properties)
    return _view(
        normalize_location(desired.location) if fold else desired.location,
        sorted(i.lower() for i in ids) if fold else ids,
        tags,
        clean_properties(desired.properties, fold=fold, only=extra),
    )


def _differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    changes = [key for key in ("location", "identity", "tags") if before[key] != after[key]]
    properties_before, properties_after = before["properties"], after["properties"]
    for key in sorted(set(properties_before) | set(properties_after)):
        if properties_before.get(key) != properties_after.get(key):
            changes.append(f"properties.{key}")
    return changes


def _is_patchable(change: str) -> bool:
    return (
        change in ("identity", "tags") or change.removeprefix("properties.") in PATCHABLE_PROPERTIES
    )


def put_body(desired: DesiredTemplate, current: dict[str, Any] | None) -> dict[str, Any]:
    tags = desired.tags if desired.tags is not None else (current or {}).get("tags")
    body: dict[str, Any] = {
        "location": desired.location,
        "identity": desired.identity,
        "properties": copy.deepcopy(desired.properties),
    }
    if tags:
        body["tags"] = dict(tags)
    return body


def patch_body(
    desired: DesiredTemplate, current: dict[str, Any], changes: list[str]
) -> dict[str, Any]:
    """The smallest PATCH that brings ``current`` to ``desired``."""
    body: dict[str, Any] = {}
    if "identity" in changes:
        body["identity"] = desired.identity
    if "tags" in changes:
        body["tags"] = dict(desired.tags or {})
    properties: dict[str, Any] = {}
    if "properties.distribute" in changes:
        properties["distribute"] = copy.deepcopy(desired.properties.get("distribute", []))
    if "properties.vmProfile" in changes:
        properties["vmProfile"] = _vm_profile_patch(desired.properties.get("vmProfile"), current)
    if properties:
        body["properties"] = properties
    return body


def _vm_profile_patch(profile: dict[str, Any] | None, current: dict[str, Any]) -> dict[str, Any]:
    """A PATCH merges, so options the user dropped are sent with their empty value."""
    patch: dict[str, Any] = {"vmSize": "", "osDiskSizeGB": 0, "userAssignedIdentities": []}
    patch.update(copy.deepcopy(profile or {}))
    current_profile = (current.get("properties") or {}).get("vmProfile") or {}
    if "vnetConfig" not in patch and current_profile.get("vnetConfig"):
        patch["vnetConfig"] = None
    return patch


def _running_refusal(name: str, action: str) -> str:
    return (
        f"Image template {name} has a build running; it cannot be {action} until the build ends. "
        "Wait for it, or set cancel_running_build=true to cancel it first."
    )


def plan_template(
    name: str,
    desired: DesiredTemplate | None,
    current: dict[str, Any] | None,
    *,
    replace: str = "auto",
    cancel_running_build: bool = False,
) -> TemplatePlan:
    """The one decision for ``state: present`` (``desired`` given) or ``state: absent``."""
    if desired is None:
        return _plan_absent(name, current, cancel_running_build)
    if current is None:
        after = _desired_view(desired, None, fold=False)
        return TemplatePlan(
            "create", changes=("template",), after=after, body=put_body(desired, None)
        )
    return _plan_present(name, desired, current, replace, cancel_running_build)


def _plan_absent(
    name: str, current: dict[str, Any] | None, cancel_running_build: bool
) -> TemplatePlan:
    if current is None:
        return TemplatePlan("none")
    before = _current_view(current, frozenset(), fold=False)
    running = is_build_running(current)
    refusal = _running_refusal(name, "deleted") if running and not cancel_running_build else None
    return TemplatePlan(
        "delete", changes=("template",), before=before, cancel_first=running, refusal=refusal
    )


def _plan_present(
    name: str,
    desired: DesiredTemplate,
    current: dict[str, Any],
    replace: str,
    cancel_running_build: bool,
) -> TemplatePlan:
    extra = frozenset(desired.properties)
    changes = _differences(
        _current_view(current, extra, fold=True), _desired_view(desired, current, fold=True)
    )
    before = _current_view(current, extra, fold=False)
    after = _desired_view(desired, current, fold=False)
    if not changes:
        return TemplatePlan("none", before=before, after=before)
    immutable = tuple(change for change in changes if not _is_patchable(change))
    running = is_build_running(current)
    action = "replace" if immutable else "update"
    plan_kwargs: dict[str, Any] = {
        "changes": tuple(changes),
        "immutable_changes": immutable,
        "before": before,
        "after": after,
        "cancel_first": running,
    }
    if immutable and replace == "never":
        refusal = (
            f"Image template {name} differs in {', '.join(immutable)}, which Azure cannot update in place, "
            "and replace=never forbids deleting and recreating it."
        )
        return TemplatePlan(action, refusal=refusal, **plan_kwargs)
    if running and not cancel_running_build:
        return TemplatePlan(
            action,
            refusal=_running_refusal(name, "replaced" if immutable else "updated"),
            **plan_kwargs,
        )
    if immutable:
        return TemplatePlan(action, body=put_body(desired, current), **plan_kwargs)
    return TemplatePlan(action, patch=patch_body(desired, current, changes), **plan_kwargs)
