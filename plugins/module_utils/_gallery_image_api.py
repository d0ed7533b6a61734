# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gallery image definitions: Azure's rules for them, as pure functions over plain data.

Same three shapes as ``_gallery_api`` (ARM body, state, desired state). Image features
travel as a name/value list on the wire; the ones with typed options (security type,
accelerated networking, disk controllers, hibernation) are lifted out of that list into
their own keys, and ``features`` keeps only the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from ansible_collections.goldenimage.azure.plugins.module_utils._gallery_api import (
    GALLERY_NAME_PATTERN,
    Difference,
    GalleryInputError,
    canonical_choice,
    drop_none,
    find_differences,
    gallery_name_of,
    merge_desired,
    normalize_location,
    resource_group_of,
    utc_instant,
)

OS_TYPES = ("Linux", "Windows")
OS_STATES = ("Generalized", "Specialized")
HYPER_V_GENERATIONS = ("V1", "V2")
ARCHITECTURES = ("x64", "Arm64")
SECURITY_TYPES = (
    "Standard",
    "TrustedLaunch",
    "TrustedLaunchSupported",
    "ConfidentialVM",
    "ConfidentialVMSupported",
    "TrustedLaunchAndConfidentialVMSupported",
)
# The spelling Azure documents for the feature value, where it differs from the option's.
_SECURITY_TYPE_WIRE = {
    "ConfidentialVMSupported": "ConfidentialVmSupported",
    "TrustedLaunchAndConfidentialVMSupported": "TrustedLaunchAndConfidentialVmSupported",
}
DISK_CONTROLLER_TYPES = ("SCSI", "NVMe")
DISK_TYPES = (
    "Standard_LRS",
    "StandardSSD_LRS",
    "StandardSSD_ZRS",
    "Premium_LRS",
    "Premium_ZRS",
    "PremiumV2_LRS",
    "UltraSSD_LRS",
)

SECURITY_TYPE_FEATURE = "SecurityType"
ACCELERATED_NETWORKING_FEATURE = "IsAcceleratedNetworkSupported"
DISK_CONTROLLER_FEATURE = "DiskControllerTypes"
HIBERNATION_FEATURE = "IsHibernateSupported"
TYPED_FEATURES = {
    SECURITY_TYPE_FEATURE.lower(): "security_type",
    ACCELERATED_NETWORKING_FEATURE.lower(): "accelerated_networking",
    DISK_CONTROLLER_FEATURE.lower(): "disk_controller_types",
    HIBERNATION_FEATURE.lower(): "hibernation",
}
FEATURE_OPTIONS = (
    "security_type",
    "accelerated_networking",
    "disk_controller_types",
    "hibernation",
    "features",
)

# Fields Azure refuses to change on an existing definition. Features join them unless
# allow_update_image is true.
IMMUTABLE_FIELDS = (
    "publisher",
    "offer",
    "sku",
    "os_type",
    "os_state",
    "hyper_v_generation",
    "architecture",
)

# What a create ends up with when the options leave them out: the service fills in the
# generation, architecture and security type; the OS state is the module's default.
CREATE_DEFAULTS = {
    "os_state": "Generalized",
    "hyper_v_generation": "V1",
    "architecture": "x64",
    "security_type": "Standard",
}

# Image definition names follow the gallery name rule.
IMAGE_NAME_PATTERN = GALLERY_NAME_PATTERN


# --- ARM body to state ----------------------------------------------------------------


def _bool_feature(value: Any) -> bool | None:
    if value is None:
        return None
    return str(value).strip().lower() == "true"


def _disk_controllers(value: Any) -> list[str] | None:
    if value is None:
        return None
    names = [
        canonical_choice(part.strip(), DISK_CONTROLLER_TYPES) for part in str(value).split(",")
    ]
    return sorted({name for name in names if name})


def features_state(features: Sequence[Mapping[str, Any]] | None) -> dict[str, Any]:
    """Typed feature options plus the remaining raw features, sorted by name."""
    by_name = {str(f.get("name", "")).lower(): f for f in features or ()}
    security = by_name.get(SECURITY_TYPE_FEATURE.lower(), {}).get("value")
    raw = [
        {
            "name": f.get("name"),
            "value": f.get("value"),
            "starts_at_version": f.get("startsAtVersion"),
        }
        for key, f in sorted(by_name.items())
        if key not in TYPED_FEATURES
    ]
    return {
        # No SecurityType feature is how Azure spells a standard definition.
        "security_type": canonical_choice(security or "Standard", SECURITY_TYPES),
        "accelerated_networking": _bool_feature(
            by_name.get(ACCELERATED_NETWORKING_FEATURE.lower(), {}).get("value")
        ),
        "disk_controller_types": _disk_controllers(
            by_name.get(DISK_CONTROLLER_FEATURE.lower(), {}).get("value")
        ),
        "hibernation": _bool_feature(by_name.get(HIBERNATION_FEATURE.lower(), {}).get("value")),
        "features": raw,
    }


def _range_state(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not value:
        return None
    return {"min": value.get("min"), "max": value.get("max")}


def _disk_types(values: Sequence[str] | None) -> list[str]:
    return sorted({canonical_choice(value, DISK_TYPES) for value in values or ()})


def image_state(body: Mapping[str, Any]) -> dict[str, Any]:
    """The module result for one image definition as ARM returns it."""
    properties = body.get("properties") or {}
    identifier = properties.get("identifier") or {}
    recommended = properties.get("recommended") or {}
    plan = properties.get("purchasePlan")
    state = {
        "id": body.get("id"),
        "name": body.get("name"),
        "gallery_name": gallery_name_of(body.get("id")),
        "resource_group": resource_group_of(body.get("id")),
        "location": normalize_location(body.get("location")),
        "description": properties.get("description"),
        "tags": dict(body.get("tags") or {}),
        "publisher": identifier.get("publisher"),
        "offer": identifier.get("offer"),
        "sku": identifier.get("sku"),
        "os_type": canonical_choice(properties.get("osType"), OS_TYPES),
        "os_state": canonical_choice(properties.get("osState"), OS_STATES),
        "hyper_v_generation": canonical_choice(
            properties.get("hyperVGeneration"), HYPER_V_GENERATIONS
        ),
        "architecture": canonical_choice(properties.get("architecture"), ARCHITECTURES),
        **features_state(properties.get("features")),
        "allow_update_image": properties.get("allowUpdateImage"),
        "recommended_vcpus": _range_state(recommended.get("vCPUs")),
        "recommended_memory": _range_state(recommended.get("memory")),
        "disallowed_disk_types": _disk_types((properties.get("disallowed") or {}).get("diskTypes")),
        "purchase_plan": (
            {
                "name": plan.get("name"),
                "publisher": plan.get("publisher"),
                "product": plan.get("product"),
            }
            if plan
            else None
        ),
        "eula": properties.get("eula"),
        "privacy_statement_uri": properties.get("privacyStatementUri"),
        "release_note_uri": properties.get("releaseNoteUri"),
        "end_of_life_date": utc_instant(properties.get("endOfLifeDate")),
        "provisioning_state": properties.get("provisioningState"),
    }
    return state


# --- parameters to desired state ------------------------------------------------------


def validate_image_name(name: str) -> None:
    if not IMAGE_NAME_PATTERN.match(name or ""):
        raise GalleryInputError(
            "name",
            f"'{name}' is not a valid image definition name: use 1 to 80 letters, digits, '_',"
            " '-' or '.', starting with a letter or digit and not ending with '-' or '.'",
        )


def _desired_range(option: str, value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    low, high = value.get("min"), value.get("max")
    for bound, number in (("min", low), ("max", high)):
        if number is not None and number < 1:
            raise GalleryInputError(f"{option}.{bound}", f"must be at least 1, got {number}")
    if low is not None and high is not None and low > high:
        raise GalleryInputError(option, f"min ({low}) is greater than max ({high})")
    return {"min": low, "max": high}


def _desired_uri(option: str, value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise GalleryInputError(option, f"'{value}' is not an http(s) URL")
    return value


def _desired_end_of_life(value: Any) -> str | None:
    try:
        return utc_instant(value)
    except (TypeError, ValueError) as exc:
        raise GalleryInputError(
            "end_of_life_date",
            f"'{value}' is not a date such as 2030-12-31 or 2030-12-31T00:00:00Z",
        ) from exc


def _desired_raw_features(
    features: Sequence[Mapping[str, Any]] | None,
) -> list[dict[str, Any]] | None:
    if features is None:
        return None
    seen: set[str] = set()
    result = []
    for feature in features:
        name = str(feature.get("name") or "").strip()
        if not name:
            raise GalleryInputError("features", "every feature needs a name")
        key = name.lower()
        if key in TYPED_FEATURES:
            raise GalleryInputError(
                "features",
                f"feature '{name}' has its own option: use {TYPED_FEATURES[key]} instead",
            )
        if key in seen:
            raise GalleryInputError("features", f"feature '{name}' is listed twice")
        seen.add(key)
        result.append(
            {
                "name": name,
                "value": feature.get("value"),
                "starts_at_version": feature.get("starts_at_version"),
            }
        )
    return sorted(result, key=lambda f: f["name"].lower())


def desired_image(params: Mapping[str, Any], tags: Mapping[str, str] | None) -> dict[str, Any]:
    """The desired state from module parameters; ``tags`` already resolved against purge."""
    validate_image_name(params["name"])
    for option in ("publisher", "offer", "sku"):
        value = params.get(option)
        if value is not None and not str(value).strip():
            raise GalleryInputError(option, "must not be empty")
    controllers = params.get("disk_controller_types")
    plan = params.get("purchase_plan")
    disk_types = params.get("disallowed_disk_types")
    return {
        "location": normalize_location(params.get("location")),
        "description": params.get("description"),
        "tags": None if tags is None else dict(tags),
        "publisher": params.get("publisher"),
        "offer": params.get("offer"),
        "sku": params.get("sku"),
        "os_type": params.get("os_type"),
        "os_state": params.get("os_state"),
        "hyper_v_generation": params.get("hyper_v_generation"),
        "architecture": params.get("architecture"),
        "security_type": params.get("security_type"),
        "accelerated_networking": params.get("accelerated_networking"),
        "disk_controller_types": None if controllers is None else sorted(set(controllers)),
        "hibernation": params.get("hibernation"),
        "features": _desired_raw_features(params.get("features")),
        "recommended_vcpus": _desired_range("recommended_vcpus", params.get("recommended_vcpus")),
        "recommended_memory": _desired_range(
            "recommended_memory", params.get("recommended_memory")
        ),
        "disallowed_disk_types": None if disk_types is None else _disk_types(disk_types),
        "purchase_plan": None
        if plan is None
        else {key: plan.get(key) for key in ("name", "publisher", "product")},
        "eula": params.get("eula"),
        "privacy_statement_uri": _desired_uri(
            "privacy_statement_uri", params.get("privacy_statement_uri")
        ),
        "release_note_uri": _desired_uri("release_note_uri", params.get("release_note_uri")),
        "end_of_life_date": _desired_end_of_life(params.get("end_of_life_date")),
    }


def validate_combination(state: Mapping[str, Any]) -> None:
    """Rules that hold between fields, checked on the state a write would produce."""
    security = state.get("security_type") or "Standard"
    if security != "Standard" and state.get("hyper_v_generation") != "V2":
        raise GalleryInputError(
            "security_type",
            f"{security} needs hyper_v_generation V2, the definition would have"
            f" {state.get('hyper_v_generation') or 'V1'}",
        )
    if state.get("architecture") == "Arm64" and state.get("hyper_v_generation") != "V2":
        raise GalleryInputError("architecture", "Arm64 needs hyper_v_generation V2")


# --- comparison -----------------------------------------------------------------------


def immutable_conflicts(
    current: Mapping[str, Any], desired: Mapping[str, Any], allow_update_image: bool
) -> list[Difference]:
    """Requested changes Azure would refuse on an existing definition."""
    fields = IMMUTABLE_FIELDS if allow_update_image else IMMUTABLE_FIELDS + FEATURE_OPTIONS
    conflicts: list[Difference] = []
    for name in fields:
        conflicts.extend(find_differences({name: current.get(name)}, {name: desired.get(name)}))
    return conflicts


def immutable_message(name: str, conflicts: Sequence[Difference]) -> str:
    listed = "; ".join(f"{d.path}: current {d.before!r}, requested {d.after!r}" for d in conflicts)
    hint = ""
    if any(d.path in FEATURE_OPTIONS for d in conflicts):
        hint = " Features can change only with allow_update_image=true."
    return (
        f"Image definition '{name}' cannot be changed in place; nothing was written. {listed}."
        f"{hint} Create a new definition, or delete this one first."
    )


def predicted_new_image(
    desired: Mapping[str, Any], *, resource_id: str, name: str, location: str
) -> dict[str, Any]:
    """The state a create will produce, for check mode and diffs; mirrors ``image_state``."""
    base = image_state({"id": resource_id, "name": name, "location": location})
    base.update(security_type=None, features=[], provisioning_state="Succeeded")
    predicted: dict[str, Any] = merge_desired(base, desired)
    for key, default in CREATE_DEFAULTS.items():
        if predicted.get(key) is None:
            predicted[key] = default
    return predicted


# --- state to requests ----------------------------------------------------------------


def _features_body(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    features: list[dict[str, Any]] = []
    security = state.get("security_type")
    if security and security != "Standard":
        features.append(
            {"name": SECURITY_TYPE_FEATURE, "value": _SECURITY_TYPE_WIRE.get(security, security)}
        )
    for name, key in (
        (ACCELERATED_NETWORKING_FEATURE, "accelerated_networking"),
        (HIBERNATION_FEATURE, "hibernation"),
    ):
        if state.get(key) is not None:
            features.append({"name": name, "value": "True" if state[key] else "False"})
    controllers = state.get("disk_controller_types")
    if controllers:
        ordered = [c for c in DISK_CONTROLLER_TYPES if c in controllers]
        features.append({"name": DISK_CONTROLLER_FEATURE, "value": ", ".join(ordered)})
    for feature in state.get("features") or ():
        features.append(
            drop_none(
                {
                    "name": feature["name"],
                    "value": feature.get("value"),
                    "startsAtVersion": feature.get("starts_at_version"),
                }
            )
        )
    return features


def _range_body(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if not value else {"min": value.get("min"), "max": value.get("max")}


def keep_current_spelling(
    features: list[dict[str, Any]], current: Sequence[Mapping[str, Any]] | None
) -> list[dict[str, Any]]:
    """Features as Azure already stores them wherever they mean the same.

    Azure compares the feature list of an update with what it holds; resending an
    unchanged feature in another spelling (``true`` for ``True``, ``NVMe, SCSI`` for
    ``SCSI, NVMe``) must not look like a change.
    """
    held = {str(f.get("name", "")).lower(): dict(f) for f in current or ()}
    kept = []
    for feature in features:
        stored = held.get(str(feature["name"]).lower())
        same = stored is not None and features_state([stored]) == features_state([feature])
        kept.append(stored if same and stored is not None else feature)
    return kept


def align_identifier_case(current: Mapping[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    """The identifier compares without case, so a request differing only in case keeps Azure's."""
    aligned = dict(desired)
    for key in ("publisher", "offer", "sku"):
        wanted, held = desired.get(key), current.get(key)
        if isinstance(wanted, str) and isinstance(held, str) and wanted.lower() == held.lower():
            aligned[key] = held
    return aligned


def image_body(
    state: Mapping[str, Any],
    allow_update_image: bool | None = None,
    current_features: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The PUT body for an image definition in ``state``.

    ``current_features`` (the feature list Azure holds) keeps unchanged features spelled
    the way Azure stores them.
    """
    plan = state.get("purchase_plan")
    body = {
        "location": state.get("location"),
        "tags": dict(state.get("tags") or {}),
        "properties": {
            "description": state.get("description"),
            "identifier": {
                "publisher": state.get("publisher"),
                "offer": state.get("offer"),
                "sku": state.get("sku"),
            },
            "osType": state.get("os_type"),
            "osState": state.get("os_state"),
            "hyperVGeneration": state.get("hyper_v_generation"),
            "architecture": state.get("architecture"),
            "features": keep_current_spelling(_features_body(state), current_features) or None,
            "allowUpdateImage": allow_update_image or None,
            "recommended": {
                "vCPUs": _range_body(state.get("recommended_vcpus")),
                "memory": _range_body(state.get("recommended_memory")),
            },
            "disallowed": {"diskTypes": list(state.get("disallowed_disk_types") or ()) or None},
            "purchasePlan": dict(plan) if plan else None,
            "eula": state.get("eula"),
            "privacyStatementUri": state.get("privacy_statement_uri"),
            "releaseNoteUri": state.get("release_note_uri"),
            "endOfLifeDate": state.get("end_of_life_date"),
        },
    }
    cleaned: dict[str, Any] = drop_none(body)
    return cleaned
