"""Pure validation and normalisation rules of the Microsoft.Compute stand-in.

Nothing here touches the store or the clock: callers pass the facts in and get plain
data back, or an ``ArmError`` carrying the code Azure answers with.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from azsim.core.errors import ArmError

GALLERY_API_VERSIONS = frozenset(
    {
        "2019-03-01", "2019-07-01", "2019-12-01", "2020-09-30", "2021-07-01",
        "2021-10-01", "2022-01-03", "2022-03-03", "2022-08-03", "2023-07-03",
        "2024-03-03", "2025-03-03", "2026-03-03",
    }
)  # fmt: skip
# Managed images, virtual machines and the platform image catalog share the ComputeRP versions.
COMPUTE_API_VERSIONS = frozenset(
    {
        "2019-07-01", "2019-12-01", "2020-06-01", "2020-12-01", "2021-03-01",
        "2021-04-01", "2021-07-01", "2021-11-01", "2022-03-01", "2022-08-01",
        "2022-11-01", "2023-03-01", "2023-07-01", "2023-09-01", "2024-03-01",
        "2024-07-01", "2024-11-01", "2025-04-01", "2026-04-01",
    }
)  # fmt: skip
DISK_API_VERSIONS = frozenset(
    {
        "2019-07-01", "2019-11-01", "2020-05-01", "2020-06-30", "2020-09-30",
        "2020-12-01", "2021-04-01", "2021-08-01", "2021-12-01", "2022-03-02",
        "2022-07-02", "2023-01-02", "2023-04-02", "2023-10-02", "2024-03-02",
        "2025-01-02", "2026-03-02",
    }
)  # fmt: skip

GALLERY_NAME_PATTERN = re.compile(r"^[^_\W][\w\-._]{0,79}(?<![-.])$")
VERSION_NAME_PATTERN = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
INT32_MAX = 2**31 - 1

OS_TYPES = ("Windows", "Linux")
OS_STATES = ("Generalized", "Specialized")
HYPER_V_GENERATIONS = ("V1", "V2")
ARCHITECTURES = ("x64", "Arm64")
STORAGE_ACCOUNT_TYPES = ("Standard_LRS", "Standard_ZRS", "Premium_LRS", "PremiumV2_LRS")
STORAGE_ACCOUNT_STRATEGIES = ("PreferStandard_ZRS", "DefaultStandard_LRS")
REPLICATION_MODES = ("Full", "Shallow")
HOST_CACHING = ("None", "ReadOnly", "ReadWrite")
SHARING_PERMISSIONS = ("Private", "Groups", "Community")
SHARING_GROUP_TYPES = ("Subscriptions", "AADTenants")
SHARING_OPERATIONS = ("Add", "Remove", "Reset", "EnableCommunity")

# Definition properties that are fixed once the definition exists.
IMMUTABLE_DEFINITION_PROPERTIES = (
    "identifier",
    "osType",
    "osState",
    "hyperVGeneration",
    "architecture",
)
# Security types a definition may carry, and which source security types each accepts.
DEFINITION_ACCEPTS_SECURITY = {
    "Standard": {"Standard"},
    "TrustedLaunch": {"Standard", "TrustedLaunch"},
    "TrustedLaunchSupported": {"Standard", "TrustedLaunch"},
    "ConfidentialVM": {"ConfidentialVM"},
    "ConfidentialVmSupported": {"Standard", "ConfidentialVM"},
    "TrustedLaunchAndConfidentialVmSupported": {"Standard", "TrustedLaunch", "ConfidentialVM"},
}
DEFAULT_SOFT_DELETE_RETENTION_DAYS = 7


def rule_error(status: int, code: str, message: str, target: str | None = None) -> ArmError:
    return ArmError(status, code, message, target=target)


def invalid(target: str, message: str) -> ArmError:
    return rule_error(400, "InvalidParameter", message, target)


def iso(moment: datetime) -> str:
    """ARM timestamp with offset, as the service writes them."""
    return moment.astimezone(UTC).isoformat()


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# ---------------------------------------------------------------- names


def validate_gallery_name(name: str, field: str = "galleryName") -> None:
    if not GALLERY_NAME_PATTERN.match(name):
        raise invalid(
            field,
            f"The value '{name}' of parameter '{field}' is invalid: it must start with a letter or "
            "digit, contain only letters, digits, underscores, hyphens and periods, be at most 80 "
            "characters long and not end with a hyphen or period.",
        )


def parse_version_name(name: str) -> tuple[int, int, int]:
    """Split Major.Minor.Patch, each a non-negative 32-bit integer."""
    match = VERSION_NAME_PATTERN.match(name)
    parts = tuple(int(part) for part in match.groups()) if match else ()
    if len(parts) != 3 or any(part > INT32_MAX for part in parts):
        raise invalid(
            "galleryImageVersionName",
            f"The value '{name}' of parameter 'galleryImageVersionName' is invalid. Gallery image "
            "version names must follow the format Major(int32).Minor(int32).Patch(int32), for "
            "example 1.0.0.",
        )
    return parts[0], parts[1], parts[2]


def next_patch_version(existing_names: list[str], major: int | None = None) -> str:
    """Highest existing Major.Minor.Patch with Patch + 1 (among those of `major` when given);
    0.0.1 (or major.0.1) when there is none."""
    parsed = [
        tuple(int(part) for part in m.groups())
        for m in (VERSION_NAME_PATTERN.match(name) for name in existing_names)
        if m
    ]
    if major is not None:
        parsed = [parts for parts in parsed if parts[0] == major]
    if not parsed:
        return f"{major or 0}.0.1"
    top_major, minor, patch = max(parsed)
    return f"{top_major}.{minor}.{patch + 1}"


def version_from_platform_version(platform_version: str) -> str:
    """A platform image version (e.g. 22.04.202409170) as a gallery version name, unchanged."""
    parts = platform_version.split(".")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise invalid(
            "version",
            f"The platform image version '{platform_version}' cannot be used as a gallery image "
            "version name.",
        )
    numbers = [int(part) for part in parts]
    if any(number > INT32_MAX for number in numbers):
        raise invalid("version", f"The platform image version '{platform_version}' is too large.")
    return platform_version


# ---------------------------------------------------------------- generic checks


def require(value: Any, target: str) -> Any:
    if value is None or value == "":
        raise invalid(target, f"Required parameter '{target}' is missing (null).")
    return value


def check_enum(value: Any, allowed: tuple[str, ...], target: str) -> str | None:
    """Accept enum values case-insensitively and return the canonical spelling."""
    if value is None:
        return None
    for option in allowed:
        if isinstance(value, str) and value.lower() == option.lower():
            return option
    raise invalid(
        target,
        f"The value '{value}' of parameter '{target}' is not allowed. Allowed values are: "
        + ", ".join(allowed)
        + ".",
    )


def check_tags(tags: Any) -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise invalid("tags", "The tags must be an object of string values.")
    if len(tags) > 50:
        raise invalid("tags", "A resource can have at most 50 tags.")
    for key, value in tags.items():
        if len(key) > 512 or (value is not None and len(str(value)) > 256):
            raise rule_error(
                400, "InvalidTag", f"The tag '{key}' has a name or value too long.", "tags"
            )
    return {key: "" if value is None else str(value) for key, value in tags.items()}


def property_change_not_allowed(name: str) -> ArmError:
    return rule_error(
        409,
        "PropertyChangeNotAllowed",
        f"Changing property '{name}' is not allowed.",
        name,
    )


# ---------------------------------------------------------------- galleries


def normalize_sharing_profile(profile: dict | None) -> dict:
    """Sharing profile as stored: permissions, groups and community info."""
    profile = dict(profile or {})
    permissions = check_enum(
        profile.get("permissions") or "Private", SHARING_PERMISSIONS, "sharingProfile.permissions"
    )
    stored: dict[str, Any] = {"permissions": permissions, "groups": []}
    info = profile.get("communityGalleryInfo")
    if permissions == "Community":
        stored["communityGalleryInfo"] = normalize_community_info(info)
    elif info:
        stored["communityGalleryInfo"] = normalize_community_info(info, enabled=False)
    return stored


def merge_sharing_profile(current: dict | None, requested: dict | None) -> dict | None:
    """The sharing profile after a PUT or PATCH: groups change only through the share action,
    and an enabled community gallery stays enabled while it stays Community."""
    if requested is None:
        return current
    merged = normalize_sharing_profile(requested)
    current = current or {}
    shared_with = [group for group in current.get("groups") or [] if group.get("ids")]
    if merged["permissions"] == "Private" and shared_with:
        # Azure will not turn a gallery shared with subscriptions or tenants Private behind
        # their backs: the share action's Reset must unshare it first.
        raise rule_error(
            409,
            "OperationNotAllowed",
            "The gallery is shared with subscriptions or tenants; reset its sharing profile "
            "(operationType 'Reset') before setting its sharing profile permission to 'Private'.",
            "sharingProfile.permissions",
        )
    merged["groups"] = list(current.get("groups") or [])
    before = current.get("communityGalleryInfo") or {}
    if merged["permissions"] == "Community" and before.get("communityGalleryEnabled"):
        merged["communityGalleryInfo"].update(
            communityGalleryEnabled=True, publicNames=before.get("publicNames") or []
        )
    return merged


def normalize_community_info(info: dict | None, enabled: bool = True) -> dict:
    info = dict(info or {})
    if enabled:
        for field in ("publisherUri", "publisherContact", "eula", "publicNamePrefix"):
            require(info.get(field), f"sharingProfile.communityGalleryInfo.{field}")
    prefix = info.get("publicNamePrefix") or ""
    names = info.get("publicNames") or []
    return {
        "publisherUri": info.get("publisherUri"),
        "publisherContact": info.get("publisherContact"),
        "eula": info.get("eula"),
        "publicNamePrefix": prefix,
        "communityGalleryEnabled": enabled,
        "publicNames": names,
    }


def normalize_sharing_groups(groups: Any) -> list[dict]:
    if groups is None:
        return []
    if not isinstance(groups, list):
        raise invalid("groups", "The sharing groups must be a list.")
    normalized = []
    for index, group in enumerate(groups):
        group_type = check_enum(group.get("type"), SHARING_GROUP_TYPES, f"groups[{index}].type")
        require(group_type, f"groups[{index}].type")
        ids = [str(item) for item in group.get("ids") or []]
        normalized.append({"type": group_type, "ids": ids})
    return normalized


def apply_sharing_update(profile: dict, update: dict, public_name: str) -> dict:
    """The sharing profile after the share action (Add / Remove / Reset / EnableCommunity)."""
    operation = check_enum(update.get("operationType"), SHARING_OPERATIONS, "operationType")
    require(operation, "operationType")
    groups = normalize_sharing_groups(update.get("groups"))
    current = {group["type"]: list(group["ids"]) for group in profile.get("groups") or []}
    result = dict(profile)
    if operation == "Reset":
        result["permissions"] = "Private"
        result["groups"] = []
        result.pop("communityGalleryInfo", None)
        return result
    if operation == "EnableCommunity":
        if result.get("permissions") != "Community":
            raise rule_error(
                409,
                "OperationNotAllowed",
                "Community sharing can only be enabled on a gallery whose sharing profile "
                "permission is 'Community'.",
                "operationType",
            )
        info = dict(result.get("communityGalleryInfo") or {})
        info["communityGalleryEnabled"] = True
        info["publicNames"] = [f"{info.get('publicNamePrefix', '')}-{public_name}"]
        result["communityGalleryInfo"] = info
        return result
    if result.get("permissions") != "Groups":
        raise rule_error(
            409,
            "OperationNotAllowed",
            "Sharing groups can only be changed on a gallery whose sharing profile permission is "
            "'Groups'.",
            "operationType",
        )
    if not groups:
        raise invalid(
            "groups", f"At least one sharing group is required for operation '{operation}'."
        )
    for group in groups:
        ids = current.setdefault(group["type"], [])
        lowered = {item.lower() for item in ids}
        if operation == "Add":
            ids.extend(item for item in group["ids"] if item.lower() not in lowered)
        else:
            removing = {item.lower() for item in group["ids"]}
            current[group["type"]] = [item for item in ids if item.lower() not in removing]
    result["groups"] = [
        {"type": group_type, "ids": ids} for group_type, ids in current.items() if ids
    ]
    return result


def gallery_view(body: dict, select: str | None, expand: str | None) -> dict:
    """A stored gallery as GET returns it: the sharing groups only with
    `$expand=SharingProfile/Groups` (`$select=Permissions` needs nothing hidden)."""
    view = {**body, "properties": dict(body.get("properties") or {})}
    sharing = view["properties"].get("sharingProfile")
    if sharing is None:
        return view
    sharing = dict(sharing)
    if (expand or "").lower() != "sharingprofile/groups":
        sharing.pop("groups", None)
    view["properties"]["sharingProfile"] = sharing
    return view


def display_regions(view: dict, display_names: dict[str, str]) -> dict:
    """Region names as the gallery service writes them back ("East US", not "eastus")."""
    props = view.get("properties") or {}
    for region in (props.get("publishingProfile") or {}).get("targetRegions") or []:
        region["name"] = display_names.get(region["name"], region["name"])
    for summary in (props.get("replicationStatus") or {}).get("summary") or []:
        summary["region"] = display_names.get(summary["region"], summary["region"])
    return view


def normalize_soft_delete_policy(policy: dict | None) -> dict | None:
    if policy is None:
        return None
    enabled = policy.get("isSoftDeleteEnabled")
    if enabled is not None and not isinstance(enabled, bool):
        raise invalid(
            "softDeletePolicy.isSoftDeleteEnabled", "isSoftDeleteEnabled must be a boolean."
        )
    stored: dict[str, Any] = {"isSoftDeleteEnabled": bool(enabled)}
    for field in ("retentionPeriodInDays", "gracePeriodInDays"):
        value = policy.get(field)
        if value is not None:
            if not isinstance(value, int) or value < 0:
                raise invalid(
                    f"softDeletePolicy.{field}", f"{field} must be a non-negative integer."
                )
            stored[field] = value
    return stored


def soft_delete_times(policy: dict, deleted_at: datetime) -> tuple[datetime, datetime]:
    """When a soft-deleted version stops being consumable, and when it is hard deleted."""
    retention = policy.get("retentionPeriodInDays") or DEFAULT_SOFT_DELETE_RETENTION_DAYS
    grace = policy.get("gracePeriodInDays") or 0
    consumption_end = deleted_at + timedelta(days=retention)
    return consumption_end, consumption_end + timedelta(days=grace)


# ---------------------------------------------------------------- image definitions


def feature_map(features: list[dict] | None) -> dict[str, str]:
    return {
        str(feature.get("name")).lower(): str(feature.get("value"))
        for feature in features or []
        if feature.get("name")
    }


def definition_security_type(properties: dict) -> str:
    """The definition's SecurityType feature in its canonical spelling: Azure compares the
    value case-insensitively (`ConfidentialVMSupported` is `ConfidentialVmSupported`)."""
    value = feature_map(properties.get("features")).get("securitytype", "Standard")
    canonical = {name.lower(): name for name in DEFINITION_ACCEPTS_SECURITY}
    return canonical.get(value.lower(), value)


def normalize_definition(properties: dict | None) -> dict:
    """Validate a gallery image definition's properties and fill the service defaults."""
    props = dict(properties or {})
    identifier = require(props.get("identifier"), "identifier")
    for part in ("publisher", "offer", "sku"):
        require(identifier.get(part), f"identifier.{part}")
    props["identifier"] = {part: identifier[part] for part in ("publisher", "offer", "sku")}
    props["osType"] = check_enum(require(props.get("osType"), "osType"), OS_TYPES, "osType")
    props["osState"] = check_enum(require(props.get("osState"), "osState"), OS_STATES, "osState")
    props["hyperVGeneration"] = check_enum(
        props.get("hyperVGeneration") or "V1", HYPER_V_GENERATIONS, "hyperVGeneration"
    )
    props["architecture"] = check_enum(
        props.get("architecture") or "x64", ARCHITECTURES, "architecture"
    )
    check_definition_features(props)
    check_recommended(props.get("recommended"))
    for field in ("endOfLifeDate",):
        if props.get(field):
            parse_datetime_field(props[field], field)
    return props


def check_definition_features(props: dict) -> None:
    features = props.get("features") or []
    if not isinstance(features, list):
        raise invalid("features", "features must be a list of name and value pairs.")
    for index, feature in enumerate(features):
        require(feature.get("name"), f"features[{index}].name")
    security = definition_security_type(props)
    if security not in DEFINITION_ACCEPTS_SECURITY:
        raise invalid(
            "features",
            f"The value '{security}' of feature 'SecurityType' is not supported. Allowed values "
            "are: "
            + ", ".join(name for name in DEFINITION_ACCEPTS_SECURITY if name != "Standard")
            + ".",
        )
    if security != "Standard" and props["hyperVGeneration"] != "V2":
        raise invalid(
            "features",
            f"The security type '{security}' requires an image definition with hyperVGeneration V2.",
        )


def check_recommended(recommended: dict | None) -> None:
    for resource in ("vCPUs", "memory"):
        span = (recommended or {}).get(resource) or {}
        low, high = span.get("min"), span.get("max")
        if low is not None and high is not None and low > high:
            raise invalid(
                f"recommended.{resource}",
                f"The minimum of recommended.{resource} must not exceed its maximum.",
            )


def parse_datetime_field(value: Any, target: str) -> datetime:
    try:
        return parse_time(str(value))
    except ValueError as error:
        raise invalid(
            target, f"The value '{value}' of '{target}' is not a valid date-time."
        ) from error


def check_definition_update(old: dict, new: dict) -> None:
    """Refuse changes to a definition's fixed properties (409 PropertyChangeNotAllowed)."""
    for name in IMMUTABLE_DEFINITION_PROPERTIES:
        before, after = old.get(name), new.get(name)
        if name == "identifier":
            before = {k: str(v).lower() for k, v in (before or {}).items()}
            after = {k: str(v).lower() for k, v in (after or {}).items()}
        elif isinstance(before, str) and isinstance(after, str):
            before, after = before.lower(), after.lower()
        if before != after:
            raise property_change_not_allowed(name)
    old_features = {k: v.lower() for k, v in feature_map(old.get("features")).items()}
    new_features = {k: v.lower() for k, v in feature_map(new.get("features")).items()}
    if old_features != new_features and not new.get("allowUpdateImage"):
        raise property_change_not_allowed("features")


# ---------------------------------------------------------------- image versions


def normalize_target_regions(
    publishing: dict, home_region: str, normalize_location: Any
) -> list[dict]:
    """Target regions in the stored shape; the gallery's region when none is given."""
    regions = publishing.get("targetRegions") or [{"name": home_region}]
    default_count = publishing.get("replicaCount") or 1
    default_type = publishing.get("storageAccountType") or default_storage_type(publishing)
    normalized: list[dict] = []
    seen: set[str] = set()
    for index, region in enumerate(regions):
        name = normalize_location(require(region.get("name"), f"targetRegions[{index}].name"))
        if name in seen:
            raise invalid("targetRegions", f"The region '{name}' is listed more than once.")
        seen.add(name)
        count = region.get("regionalReplicaCount") or default_count
        if not isinstance(count, int) or not 1 <= count <= 100:
            raise invalid(
                f"targetRegions[{index}].regionalReplicaCount",
                "regionalReplicaCount must be between 1 and 100.",
            )
        entry: dict[str, Any] = {
            "name": name,
            "regionalReplicaCount": count,
            "storageAccountType": check_enum(
                region.get("storageAccountType") or default_type,
                STORAGE_ACCOUNT_TYPES,
                f"targetRegions[{index}].storageAccountType",
            ),
        }
        if region.get("encryption"):
            entry["encryption"] = region["encryption"]
        if region.get("excludeFromLatest") is not None:
            entry["excludeFromLatest"] = bool(region["excludeFromLatest"])
        normalized.append(entry)
    return normalized


def default_storage_type(publishing: dict) -> str:
    if publishing.get("storageAccountStrategy") == "PreferStandard_ZRS":
        return "Standard_ZRS"
    return "Standard_LRS"


def normalize_publishing_profile(
    publishing: dict | None, home_region: str, normalize_location: Any, now: datetime
) -> dict:
    publishing = dict(publishing or {})
    if publishing.get("storageAccountType") and publishing.get("storageAccountStrategy"):
        raise invalid(
            "publishingProfile.storageAccountStrategy",
            "storageAccountType and storageAccountStrategy cannot both be specified.",
        )
    check_enum(
        publishing.get("storageAccountType"),
        STORAGE_ACCOUNT_TYPES,
        "publishingProfile.storageAccountType",
    )
    check_enum(
        publishing.get("storageAccountStrategy"),
        STORAGE_ACCOUNT_STRATEGIES,
        "publishingProfile.storageAccountStrategy",
    )
    mode = check_enum(
        publishing.get("replicationMode"), REPLICATION_MODES, "publishingProfile.replicationMode"
    )
    replica_count = publishing.get("replicaCount") or 1
    if not isinstance(replica_count, int) or not 1 <= replica_count <= 100:
        raise invalid("publishingProfile.replicaCount", "replicaCount must be between 1 and 100.")
    if publishing.get("endOfLifeDate"):
        parse_datetime_field(publishing["endOfLifeDate"], "publishingProfile.endOfLifeDate")
    stored: dict[str, Any] = {
        "targetRegions": normalize_target_regions(publishing, home_region, normalize_location),
        "replicaCount": replica_count,
        "excludeFromLatest": bool(publishing.get("excludeFromLatest", False)),
        "publishedDate": iso(now),  # read-only: the service sets it
        "storageAccountType": publishing.get("storageAccountType")
        or default_storage_type(publishing),
        "replicationMode": mode or "Full",
    }
    for field in ("endOfLifeDate", "storageAccountStrategy", "targetExtendedLocations"):
        if publishing.get(field) is not None:
            stored[field] = publishing[field]
    return stored


def normalize_safety_profile(safety: dict | None, publishing: dict) -> dict:
    safety = dict(safety or {})
    stored = {
        "allowDeletionOfReplicatedLocations": bool(
            safety.get("allowDeletionOfReplicatedLocations", True)
        ),
        "blockDeletionBeforeEndOfLife": bool(safety.get("blockDeletionBeforeEndOfLife", False)),
        "reportedForPolicyViolation": False,
        "policyViolations": [],
    }
    if stored["blockDeletionBeforeEndOfLife"] and not publishing.get("endOfLifeDate"):
        raise invalid(
            "safetyProfile.blockDeletionBeforeEndOfLife",
            "blockDeletionBeforeEndOfLife can only be set when publishingProfile.endOfLifeDate is "
            "specified.",
        )
    return stored


def check_version_update(old: dict, new: dict) -> None:
    """Refuse changes Azure does not allow on an existing gallery image version."""
    old_source = source_key(old.get("storageProfile") or {})
    new_source = source_key(new.get("storageProfile") or {})
    if new_source and old_source != new_source:
        raise property_change_not_allowed("storageProfile.source")
    old_pub, new_pub = old.get("publishingProfile") or {}, new.get("publishingProfile") or {}
    if old_pub.get("replicationMode", "Full") != new_pub.get("replicationMode", "Full"):
        raise property_change_not_allowed("publishingProfile.replicationMode")
    old_types = {r["name"]: r["storageAccountType"] for r in old_pub.get("targetRegions", [])}
    for region in new_pub.get("targetRegions", []):
        before = old_types.get(region["name"])
        if before and before != region["storageAccountType"]:
            raise property_change_not_allowed("publishingProfile.targetRegions.storageAccountType")
    removed = set(old_types) - {r["name"] for r in new_pub.get("targetRegions", [])}
    # The request's own safety profile decides, so one update may allow and remove together.
    allowed = (new.get("safetyProfile") or {}).get("allowDeletionOfReplicatedLocations", True)
    if removed and not allowed:
        raise rule_error(
            409,
            "OperationNotAllowed",
            "The gallery image version cannot be removed from the replicated region(s) "
            + ", ".join(sorted(removed))
            + " because safetyProfile.allowDeletionOfReplicatedLocations is false.",
            "publishingProfile.targetRegions",
        )


def source_key(storage_profile: dict) -> tuple[str, ...]:
    """What a version was made from, comparable across requests (ids compared case-insensitively)."""
    source = storage_profile.get("source") or {}
    os_disk = (storage_profile.get("osDiskImage") or {}).get("source") or {}
    keys = (
        source.get("id"),
        source.get("virtualMachineId"),
        source.get("communityGalleryImageId"),
        os_disk.get("id"),
        os_disk.get("uri"),
    )
    return tuple(str(key).lower() for key in keys if key)


def check_deletion_allowed(version_props: dict, now: datetime) -> None:
    safety = version_props.get("safetyProfile") or {}
    end_of_life = (version_props.get("publishingProfile") or {}).get("endOfLifeDate")
    blocked = bool(safety.get("blockDeletionBeforeEndOfLife")) and bool(end_of_life)
    if blocked and parse_time(str(end_of_life)) > now:
        raise rule_error(
            409,
            "OperationNotAllowed",
            "The gallery image version cannot be deleted before its end of life date "
            f"({end_of_life}) because safetyProfile.blockDeletionBeforeEndOfLife is true.",
            "safetyProfile.blockDeletionBeforeEndOfLife",
        )


@dataclass
class SourceFacts:
    """What a version or image source is, as far as the fit checks care."""

    resource_id: str
    location: str
    os_type: str
    os_state: str
    hyper_v_generation: str
    architecture: str = "x64"
    security_type: str = "Standard"
    size_gb: int = 30
    # Data disks the source carries, as a version lists them: lun, sizeInGB, hostCaching.
    data_disks: list[dict] = dataclasses.field(default_factory=list)


def check_source_fits(definition: dict, facts: SourceFacts, target_regions: list[str]) -> None:
    """A version's source must match its definition and replicate from a target region."""
    if facts.os_type.lower() != definition["osType"].lower():
        raise invalid(
            "storageProfile",
            f"The source '{facts.resource_id}' has OS type '{facts.os_type}', which does not match "
            f"the OS type '{definition['osType']}' of the gallery image.",
        )
    if definition["osState"] == "Generalized" and facts.os_state != "Generalized":
        raise invalid(
            "storageProfile",
            f"The source '{facts.resource_id}' is not generalized, but the gallery image has OS "
            "state 'Generalized'. Generalize the virtual machine before capturing it.",
        )
    if definition["osState"] == "Specialized" and facts.os_state == "Generalized":
        raise invalid(
            "storageProfile",
            f"The source '{facts.resource_id}' is generalized, but the gallery image has OS state "
            "'Specialized'.",
        )
    if facts.hyper_v_generation != definition.get("hyperVGeneration", "V1"):
        raise rule_error(
            409,
            "Conflict",
            f"The resource with id '{facts.resource_id}' has a different Hypervisor generation "
            f"['{facts.hyper_v_generation}'] than the parent gallery image Hypervisor generation "
            f"['{definition.get('hyperVGeneration', 'V1')}'].",
        )
    if facts.architecture.lower() != definition.get("architecture", "x64").lower():
        raise rule_error(
            409,
            "Conflict",
            f"The resource with id '{facts.resource_id}' has architecture '{facts.architecture}', "
            f"which differs from the gallery image architecture '{definition.get('architecture', 'x64')}'.",
        )
    check_security_fits(definition_security_type(definition), facts)
    if facts.location not in target_regions:
        raise invalid(
            "publishingProfile.targetRegions",
            f"The source region '{facts.location}' of '{facts.resource_id}' must be one of the "
            "target regions of the gallery image version.",
        )


def check_shallow_regions(publishing: dict, source_region: str) -> None:
    """Shallow replication keeps the image in its source region only."""
    if publishing.get("replicationMode") != "Shallow":
        return
    others = [r["name"] for r in publishing["targetRegions"] if r["name"] != source_region]
    if others:
        raise invalid(
            "publishingProfile.replicationMode",
            "Shallow replication supports only the source region "
            f"'{source_region}' as a target region; remove " + ", ".join(others) + ".",
        )


def check_security_fits(definition_security: str, facts: SourceFacts) -> None:
    accepted = DEFINITION_ACCEPTS_SECURITY.get(definition_security, {"Standard"})
    if facts.security_type not in accepted:
        raise invalid(
            "storageProfile",
            f"The source '{facts.resource_id}' has security type '{facts.security_type}', which the "
            f"gallery image with security type '{definition_security}' does not support.",
        )


# ---------------------------------------------------------------- replication

# Simulated seconds: the home region copy, then each further region in parallel.
HOME_REPLICATION_SECONDS = {"Full": 600.0, "Shallow": 60.0}
REGION_REPLICATION_SECONDS = {"Full": 900.0, "Shallow": 120.0}
SECONDS_PER_EXTRA_REPLICA = 30.0


def replication_plan(
    regions: list[dict], home_region: str, mode: str, start: datetime, previous: dict | None = None
) -> dict[str, dict]:
    """When each region's replication starts and how long it runs (kept per region across updates)."""
    previous = previous or {}
    home_seconds = HOME_REPLICATION_SECONDS[mode]
    plan: dict[str, dict] = {}
    for region in regions:
        name = region["name"]
        extra = (region["regionalReplicaCount"] - 1) * SECONDS_PER_EXTRA_REPLICA
        kept = previous.get(name)
        if kept and kept.get("replicas", 1) >= region["regionalReplicaCount"]:
            plan[name] = {**kept, "replicas": region["regionalReplicaCount"]}
            continue
        if name == home_region:
            begins, seconds = start, home_seconds + extra
        else:
            # On creation other regions copy from the home replica; later additions start at once.
            begins = start if previous else start + timedelta(seconds=home_seconds)
            seconds = REGION_REPLICATION_SECONDS[mode] + extra
        plan[name] = {
            "start": iso(begins),
            "seconds": seconds,
            "replicas": region["regionalReplicaCount"],
        }
    return plan


def settled_plan(version_properties: dict) -> dict[str, dict]:
    """A finished plan for a version stored without one (seeded through the admin API)."""
    regions = (version_properties.get("publishingProfile") or {}).get("targetRegions") or []
    start = iso(datetime(2000, 1, 1, tzinfo=UTC))
    return {
        region["name"].replace(" ", "").lower(): {"start": start, "seconds": 1.0}
        for region in regions
    }


def provisioning_seconds(plan: dict[str, dict], home_region: str, start: datetime) -> float:
    """A version is provisioned once its home region holds a replica."""
    entry = plan.get(home_region)
    if entry is None:
        return 30.0
    ends = parse_time(entry["start"]) + timedelta(seconds=entry["seconds"])
    return max(1.0, (ends - start).total_seconds())


def replication_status(plan: dict[str, dict], now: datetime) -> dict:
    summary = [region_status(name, entry, now) for name, entry in plan.items()]
    states = {item["state"] for item in summary}
    if "Failed" in states:
        aggregated = "Failed"
    elif states == {"Completed"}:
        aggregated = "Completed"
    elif not summary:
        aggregated = "Unknown"
    else:
        aggregated = "InProgress"
    return {"aggregatedState": aggregated, "summary": summary}


def region_status(name: str, entry: dict, now: datetime) -> dict:
    if entry.get("failed"):
        return {
            "region": name,
            "state": "Failed",
            "details": entry.get("details", ""),
            "progress": 0,
        }
    elapsed = (now - parse_time(entry["start"])).total_seconds()
    if elapsed < 0:
        return {"region": name, "state": "Unknown", "details": "", "progress": 0}
    progress = min(100, int(elapsed * 100 / entry["seconds"]))
    state = "Completed" if progress >= 100 else "Replicating"
    return {"region": name, "state": state, "details": "", "progress": progress}
