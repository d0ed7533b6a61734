"""Pure validation and normalisation rules of Azure VM Image Builder request bodies.

Nothing here touches the store or the clock: every check either raises a
`RuleViolation` (turned into an ARM error by the provider) or returns data.
Lookups that need other resources are passed in as callables.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

API_VERSIONS = (
    "2020-02-14",
    "2021-10-01",
    "2022-02-14",
    "2022-07-01",
    "2023-07-01",
    "2024-02-01",
    "2025-10-01",
)
# From 2024-02-01 on, unknown or wrongly cased fields are refused instead of ignored.
STRICT_FIELDS_SINCE = "2024-02-01"
# Up to 2020-02-14 the service answered errors without the `error` envelope.
ENVELOPED_ERRORS_SINCE = "2021-10-01"

RESOURCE_TYPE = "Microsoft.VirtualMachineImages/imageTemplates"
RUN_OUTPUT_TYPE = "Microsoft.VirtualMachineImages/imageTemplates/runOutputs"
TRIGGER_TYPE = "Microsoft.VirtualMachineImages/imageTemplates/triggers"

TEMPLATE_REFERENCE = "http://aka.ms/azvmimagebuildertmplref"
TROUBLESHOOTING = "https://aka.ms/azvmimagebuilderts"
DEFAULT_BUILD_TIMEOUT_MINUTES = 240
MAX_BUILD_TIMEOUT_MINUTES = 960

NAME_PATTERN = re.compile(r"^[A-Za-z0-9-_.]{1,64}$")
SHA256_PATTERN = re.compile(r"^[0-9a-fA-F]{64}$")
RESTART_TIMEOUT_PATTERN = re.compile(r"^\d+(\.\d+)?[smh]$")
_SEGMENT = r"[^/]+"
IDENTITY_ID_PATTERN = re.compile(
    rf"^/subscriptions/{_SEGMENT}/resourceGroups/{_SEGMENT}/providers/"
    rf"Microsoft\.ManagedIdentity/userAssignedIdentities/{_SEGMENT}$",
    re.IGNORECASE,
)
MANAGED_IMAGE_ID_PATTERN = re.compile(
    rf"^/subscriptions/{_SEGMENT}/resourceGroups/{_SEGMENT}/providers/Microsoft\.Compute/images/{_SEGMENT}$",
    re.IGNORECASE,
)
GALLERY_IMAGE_ID_PATTERN = re.compile(
    rf"^/subscriptions/{_SEGMENT}/resourceGroups/{_SEGMENT}/providers/Microsoft\.Compute/galleries/"
    rf"{_SEGMENT}/images/{_SEGMENT}(/versions/(?P<version>{_SEGMENT}))?$",
    re.IGNORECASE,
)
GALLERY_VERSION_ID_PATTERN = re.compile(
    rf"^/subscriptions/{_SEGMENT}/resourceGroups/{_SEGMENT}/providers/Microsoft\.Compute/galleries/"
    rf"{_SEGMENT}/images/{_SEGMENT}/versions/{_SEGMENT}$",
    re.IGNORECASE,
)
SUBNET_ID_PATTERN = re.compile(
    rf"^/subscriptions/{_SEGMENT}/resourceGroups/{_SEGMENT}/providers/Microsoft\.Network/"
    rf"virtualNetworks/{_SEGMENT}/subnets/{_SEGMENT}$",
    re.IGNORECASE,
)
RESOURCE_GROUP_ID_PATTERN = re.compile(
    rf"^/subscriptions/(?P<sub>{_SEGMENT})/resourceGroups/(?P<rg>{_SEGMENT})$", re.IGNORECASE
)
VERSION_NAME_PATTERN = re.compile(r"^\d+\.\d+\.\d+$")

SOURCE_TYPES = ("PlatformImage", "ManagedImage", "SharedImageVersion")
CUSTOMIZER_TYPES = ("Shell", "PowerShell", "File", "WindowsRestart", "WindowsUpdate")
VALIDATOR_TYPES = ("Shell", "PowerShell", "File")
DISTRIBUTOR_TYPES = ("ManagedImage", "SharedImage", "VHD")
STORAGE_ACCOUNT_TYPES = ("Standard_LRS", "Standard_ZRS", "Premium_LRS")
REPLICATION_MODES = ("Full", "Shallow")
VERSIONING_SCHEMES = ("Latest", "Source")
ON_BUILD_ERROR = ("cleanup", "abort")
ENABLED_DISABLED = ("Enabled", "Disabled")


class RuleViolation(Exception):
    """A request the service refuses, with the ARM error code and HTTP status it uses."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def validation_failed(path: str, reason: str) -> RuleViolation:
    return RuleViolation(
        "ValidationFailed",
        f"Validation failed: '{path}': {reason}. Please review {TEMPLATE_REFERENCE} for details on "
        "fields requirements in the Image Builder Template.",
    )


def bad_value(path: str, field: str, value: Any) -> RuleViolation:
    return validation_failed(path, f"Field '{field}' has a bad value: '{value}'")


def missing_field(path: str, field: str) -> RuleViolation:
    return validation_failed(path, f"Missing field '{field}'")


def unknown_field(path: str, field: str) -> RuleViolation:
    return RuleViolation(
        "InvalidRequestContent",
        f"Unmarshalling entity encountered error: '{path}': unknown field \"{field}\". The submitted "
        "JSON template does not follow the syntax of this API version (field names are case "
        f"sensitive). For the syntax of the JSON template, visit {TEMPLATE_REFERENCE}.",
    )


def strict_fields(api_version: str) -> bool:
    return api_version >= STRICT_FIELDS_SINCE


def enveloped_errors(api_version: str) -> bool:
    return api_version >= ENVELOPED_ERRORS_SINCE


# ---------------------------------------------------------------------------
# Known fields, for the strict unknown-field check of newer API versions.
# Read-only fields are accepted (and ignored) so that a body read back with GET
# can be sent again.

_TEMPLATE_FIELDS = {
    "location",
    "tags",
    "identity",
    "properties",
    "id",
    "name",
    "type",
    "systemData",
}
_PROPERTY_FIELDS = {
    "source",
    "customize",
    "optimize",
    "validate",
    "distribute",
    "errorHandling",
    "buildTimeoutInMinutes",
    "vmProfile",
    "additionalDataDisks",
    "stagingResourceGroup",
    "autoRun",
    "managedResourceTags",
    "provisioningState",
    "provisioningError",
    "lastRunStatus",
    "exactStagingResourceGroup",
}
_IDENTITY_FIELDS = {"type", "userAssignedIdentities", "principalId", "tenantId"}
_SOURCE_FIELDS = {
    "PlatformImage": {"type", "publisher", "offer", "sku", "version", "exactVersion", "planInfo"},
    "ManagedImage": {"type", "imageId"},
    "SharedImageVersion": {"type", "imageVersionId", "exactVersion"},
}
_PLAN_FIELDS = {"planName", "planProduct", "planPublisher"}
_SCRIPT_FIELDS = {"type", "name", "scriptUri", "sha256Checksum", "inline"}
_POWERSHELL_FIELDS = _SCRIPT_FIELDS | {"runElevated", "runAsSystem", "validExitCodes"}
_FILE_FIELDS = {"type", "name", "sourceUri", "sha256Checksum", "destination"}
_CUSTOMIZER_FIELDS = {
    "Shell": _SCRIPT_FIELDS,
    "PowerShell": _POWERSHELL_FIELDS,
    "File": _FILE_FIELDS,
    "WindowsRestart": {"type", "name", "restartCommand", "restartCheckCommand", "restartTimeout"},
    "WindowsUpdate": {"type", "name", "searchCriteria", "filters", "updateLimit"},
}
_VALIDATOR_FIELDS = {
    "Shell": _SCRIPT_FIELDS,
    "PowerShell": _POWERSHELL_FIELDS,
    "File": _FILE_FIELDS,
}
_DISTRIBUTOR_COMMON = {"type", "runOutputName", "artifactTags"}
_DISTRIBUTOR_FIELDS = {
    "ManagedImage": _DISTRIBUTOR_COMMON | {"imageId", "location"},
    "SharedImage": _DISTRIBUTOR_COMMON
    | {
        "galleryImageId",
        "replicationRegions",
        "excludeFromLatest",
        "storageAccountType",
        "targetRegions",
        "versioning",
        "replicationMode",
    },
    "VHD": _DISTRIBUTOR_COMMON | {"uri"},
}
_TARGET_REGION_FIELDS = {"name", "replicaCount", "storageAccountType"}
_VERSIONING_FIELDS = {"Latest": {"scheme", "major"}, "Source": {"scheme"}}
_VM_PROFILE_FIELDS = {"vmSize", "osDiskSizeGB", "userAssignedIdentities", "vnetConfig"}
_VNET_FIELDS = {"subnetId", "containerInstanceSubnetId", "proxyVmSize"}
_VALIDATE_FIELDS = {"continueDistributeOnFailure", "sourceValidationOnly", "inVMValidations"}
_OPTIMIZE_FIELDS = {"vmBoot", "workload"}
_ERROR_HANDLING_FIELDS = {"onCustomizerError", "onValidationError"}
_UPDATE_FIELDS = {"identity", "tags", "properties"}
_UPDATE_PROPERTY_FIELDS = {"distribute", "vmProfile"}
# vmProfile became updatable with 2024-02-01; before it only distribute could change.
VM_PROFILE_UPDATE_SINCE = "2024-02-01"


def _check_fields(obj: dict[str, Any], allowed: Iterable[str], path: str, strict: bool) -> None:
    if not strict:
        return
    allowed_set = set(allowed)
    for key in obj:
        if key not in allowed_set:
            raise unknown_field(path, key)


def _require_object(value: Any, path: str, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_value(path, field, value)
    return value


def _optional_object(parent: dict[str, Any], field: str, path: str) -> dict[str, Any] | None:
    value = parent.get(field)
    if value is None:
        return None
    return _require_object(value, path, field)


def _require_list(value: Any, path: str, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise bad_value(path, field, value)
    return value


def _require_string(obj: dict[str, Any], field: str, path: str) -> str:
    value = obj.get(field)
    if value is None or value == "":
        raise missing_field(path, field)
    if not isinstance(value, str):
        raise bad_value(path, field, value)
    return value


def _check_enum(obj: dict[str, Any], field: str, allowed: Iterable[str], path: str) -> None:
    value = obj.get(field)
    if value is not None and value not in tuple(allowed):
        raise bad_value(path, field, value)


def _check_bool(obj: dict[str, Any], field: str, path: str) -> None:
    value = obj.get(field)
    if value is not None and not isinstance(value, bool):
        raise bad_value(path, field, value)


def _check_int(
    obj: dict[str, Any], field: str, path: str, low: int, high: int | None = None
) -> None:
    value = obj.get(field)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise bad_value(path, field, value)
    if high is not None and value > high:
        raise bad_value(path, field, value)


def _typed_items(
    items: list[Any],
    parent: str,
    field: str,
    types: tuple[str, ...],
    fields_by_type: dict[str, set[str]],
    strict: bool,
) -> Iterator[tuple[str, dict[str, Any], str]]:
    """Each item of a list of typed objects (`customize`, `distribute`, `inVMValidations`) as
    (its path, the item, its type), once it is an object of a known type with known fields."""
    for index, item in enumerate(items):
        path = f"{parent}.{field}[{index}]"
        item = _require_object(item, parent, field)
        item_type = item.get("type")
        if item_type not in types:
            raise bad_value(path, "type", item_type)
        _check_fields(item, fields_by_type[item_type], path, strict)
        yield path, item, item_type


def _check_https_uri(obj: dict[str, Any], field: str, path: str) -> None:
    value = obj.get(field)
    if value is None:
        return
    if not isinstance(value, str) or not re.match(r"^https?://[^/\s]+", value):
        raise bad_value(path, field, value)


# ---------------------------------------------------------------------------
# Template (PUT)


def validate_template_name(name: str) -> None:
    if not NAME_PATTERN.match(name):
        raise bad_value("ImageTemplate", "name", name)


def validate_template(body: Any, api_version: str) -> None:
    """Refuse a template body the way the service refuses it at submission."""
    strict = strict_fields(api_version)
    template = _require_object(body, "ImageTemplate", "body")
    _check_fields(template, _TEMPLATE_FIELDS, "ImageTemplate", strict)
    if template.get("tags") is not None:
        _check_tags(template["tags"], "ImageTemplate", "tags")
    validate_identity(template.get("identity"), "ImageTemplate", strict)
    properties = template.get("properties")
    if properties is None:
        raise missing_field("ImageTemplate", "properties")
    properties = _require_object(properties, "ImageTemplate", "properties")
    _check_fields(properties, _PROPERTY_FIELDS, "ImageTemplate.properties", strict)
    _validate_properties(properties, strict)


def _check_tags(tags: Any, path: str, field: str) -> None:
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        raise bad_value(path, field, tags)


def validate_identity(identity: Any, path: str, strict: bool) -> None:
    if identity is None:
        raise missing_field(path, "identity")
    identity = _require_object(identity, path, "identity")
    sub_path = f"{path}.identity"
    _check_fields(identity, _IDENTITY_FIELDS, sub_path, strict)
    if identity.get("type") != "UserAssigned":
        raise bad_value(sub_path, "type", identity.get("type"))
    assigned = identity.get("userAssignedIdentities")
    if not isinstance(assigned, dict) or len(assigned) != 1:
        raise validation_failed(sub_path, "Exactly one user assigned identity must be specified")
    for identity_id in assigned:
        if not IDENTITY_ID_PATTERN.match(identity_id):
            raise bad_value(sub_path, "userAssignedIdentities", identity_id)


def _validate_properties(properties: dict[str, Any], strict: bool) -> None:
    path = "ImageTemplate.properties"
    validate_source(properties.get("source"), strict)
    customizers = properties.get("customize")
    if customizers is not None:
        validate_customizers(_require_list(customizers, path, "customize"), strict)
    validate_distributors(properties.get("distribute"), strict)
    _check_int(properties, "buildTimeoutInMinutes", path, 0, MAX_BUILD_TIMEOUT_MINUTES)
    if properties.get("vmProfile") is not None:
        validate_vm_profile(properties["vmProfile"], strict)
    _validate_optimize(_optional_object(properties, "optimize", path), strict)
    _validate_validate(_optional_object(properties, "validate", path), customizers, strict)
    _validate_error_handling(_optional_object(properties, "errorHandling", path), strict)
    auto_run = _optional_object(properties, "autoRun", path)
    if auto_run is not None:
        _check_fields(auto_run, {"state"}, f"{path}.autoRun", strict)
        _check_enum(auto_run, "state", ENABLED_DISABLED, f"{path}.autoRun")
    if properties.get("managedResourceTags") is not None:
        _check_tags(properties["managedResourceTags"], path, "managedResourceTags")
    _validate_staging_resource_group(properties.get("stagingResourceGroup"))
    disks = properties.get("additionalDataDisks")
    if disks is not None:
        for index, disk in enumerate(_require_list(disks, path, "additionalDataDisks")):
            disk_path = f"{path}.additionalDataDisks[{index}]"
            disk = _require_object(disk, path, "additionalDataDisks")
            _check_fields(disk, {"sizeGB"}, disk_path, strict)
            _check_int(disk, "sizeGB", disk_path, 0)


def validate_source(source: Any, strict: bool) -> None:
    path = "ImageTemplate.properties.source"
    if source is None:
        raise missing_field("ImageTemplate.properties", "source")
    source = _require_object(source, "ImageTemplate.properties", "source")
    source_type = source.get("type")
    if source_type not in SOURCE_TYPES:
        raise bad_value(path, "type", source_type)
    _check_fields(source, _SOURCE_FIELDS[source_type], path, strict)
    if source_type == "PlatformImage":
        for field in ("publisher", "offer", "sku", "version"):
            _require_string(source, field, path)
        plan = _optional_object(source, "planInfo", path)
        if plan is not None:
            _check_fields(plan, _PLAN_FIELDS, f"{path}.planInfo", strict)
            for field in ("planName", "planProduct", "planPublisher"):
                _require_string(plan, field, f"{path}.planInfo")
    elif source_type == "ManagedImage":
        image_id = _require_string(source, "imageId", path)
        if not MANAGED_IMAGE_ID_PATTERN.match(image_id):
            raise bad_value(path, "imageId", image_id)
    else:
        version_id = _require_string(source, "imageVersionId", path)
        if not GALLERY_VERSION_ID_PATTERN.match(version_id):
            raise bad_value(path, "imageVersionId", version_id)


def _validate_script_step(step: dict[str, Any], path: str) -> None:
    has_uri = bool(step.get("scriptUri"))
    has_inline = step.get("inline") is not None
    if has_uri == has_inline:
        raise validation_failed(path, "Exactly one of 'scriptUri' or 'inline' must be specified")
    if has_inline:
        inline = _require_list(step["inline"], path, "inline")
        if not inline or not all(isinstance(line, str) for line in inline):
            raise bad_value(path, "inline", inline)
    _check_https_uri(step, "scriptUri", path)
    _check_checksum(step, path)


def _check_checksum(step: dict[str, Any], path: str) -> None:
    checksum = step.get("sha256Checksum")
    if checksum not in (None, "") and (
        not isinstance(checksum, str) or not SHA256_PATTERN.match(checksum)
    ):
        raise bad_value(path, "sha256Checksum", checksum)


def _validate_powershell_step(step: dict[str, Any], path: str) -> None:
    _validate_script_step(step, path)
    _check_bool(step, "runElevated", path)
    _check_bool(step, "runAsSystem", path)
    if step.get("runAsSystem") and not step.get("runElevated"):
        raise validation_failed(path, "'runAsSystem' can only be true when 'runElevated' is true")
    codes = step.get("validExitCodes")
    if codes is not None:
        codes = _require_list(codes, path, "validExitCodes")
        if not all(isinstance(code, int) and not isinstance(code, bool) for code in codes):
            raise bad_value(path, "validExitCodes", codes)


def _validate_file_step(step: dict[str, Any], path: str) -> None:
    _require_string(step, "sourceUri", path)
    _check_https_uri(step, "sourceUri", path)
    _require_string(step, "destination", path)
    _check_checksum(step, path)


def validate_customizers(customizers: list[Any], strict: bool) -> None:
    seen_names: set[str] = set()
    for path, step, step_type in _typed_items(
        customizers,
        "ImageTemplate.properties",
        "customize",
        CUSTOMIZER_TYPES,
        _CUSTOMIZER_FIELDS,
        strict,
    ):
        _check_unique_name(step, seen_names, path)
        if step_type == "Shell":
            _validate_script_step(step, path)
        elif step_type == "PowerShell":
            _validate_powershell_step(step, path)
        elif step_type == "File":
            _validate_file_step(step, path)
        elif step_type == "WindowsRestart":
            timeout = step.get("restartTimeout")
            if timeout not in (None, "") and not RESTART_TIMEOUT_PATTERN.match(str(timeout)):
                raise bad_value(path, "restartTimeout", timeout)
        else:
            _check_int(step, "updateLimit", path, 0)
            filters = step.get("filters")
            if filters is not None and not all(
                isinstance(f, str) for f in _require_list(filters, path, "filters")
            ):
                raise bad_value(path, "filters", filters)


def _check_unique_name(step: dict[str, Any], seen: set[str], path: str) -> None:
    name = step.get("name")
    if name is None:
        return
    if not isinstance(name, str):
        raise bad_value(path, "name", name)
    if name.lower() in seen:
        raise validation_failed(
            path, f"Name '{name}' is used by more than one step; step names must be unique"
        )
    seen.add(name.lower())


def validate_distributors(distributors: Any, strict: bool) -> None:
    parent = "ImageTemplate.properties"
    if distributors is None:
        raise missing_field(parent, "distribute")
    distributors = _require_list(distributors, parent, "distribute")
    if not distributors:
        raise validation_failed(
            parent, "At least one distribution target must be specified in 'distribute'"
        )
    seen_outputs: set[str] = set()
    for path, target, target_type in _typed_items(
        distributors, parent, "distribute", DISTRIBUTOR_TYPES, _DISTRIBUTOR_FIELDS, strict
    ):
        output_name = _require_string(target, "runOutputName", path)
        if not NAME_PATTERN.match(output_name):
            raise bad_value(path, "runOutputName", output_name)
        if output_name.lower() in seen_outputs:
            raise validation_failed(
                path, f"runOutputName '{output_name}' is used by more than one distribution target"
            )
        seen_outputs.add(output_name.lower())
        if target.get("artifactTags") is not None:
            _check_tags(target["artifactTags"], path, "artifactTags")
        if target_type == "ManagedImage":
            image_id = _require_string(target, "imageId", path)
            if not MANAGED_IMAGE_ID_PATTERN.match(image_id):
                raise bad_value(path, "imageId", image_id)
            _require_string(target, "location", path)
        elif target_type == "SharedImage":
            _validate_shared_image_target(target, path, strict)
        else:
            _check_https_uri(target, "uri", path)


def _validate_shared_image_target(target: dict[str, Any], path: str, strict: bool) -> None:
    gallery_image_id = _require_string(target, "galleryImageId", path)
    match = GALLERY_IMAGE_ID_PATTERN.match(gallery_image_id)
    if not match:
        raise bad_value(path, "galleryImageId", gallery_image_id)
    explicit_version = match.group("version")
    if explicit_version is not None and not VERSION_NAME_PATTERN.match(explicit_version):
        raise bad_value(path, "galleryImageId", gallery_image_id)
    regions = target.get("targetRegions")
    legacy_regions = target.get("replicationRegions")
    if regions is not None and legacy_regions is not None:
        raise validation_failed(
            path, "Only one of 'targetRegions' or 'replicationRegions' can be specified"
        )
    if target.get("storageAccountType") is not None and legacy_regions is None:
        raise validation_failed(
            path, "'storageAccountType' can be specified only with 'replicationRegions'"
        )
    _check_enum(target, "storageAccountType", STORAGE_ACCOUNT_TYPES, path)
    _check_enum(target, "replicationMode", REPLICATION_MODES, path)
    _check_bool(target, "excludeFromLatest", path)
    if legacy_regions is not None:
        legacy = _require_list(legacy_regions, path, "replicationRegions")
        if not all(isinstance(r, str) and r for r in legacy):
            raise bad_value(path, "replicationRegions", legacy_regions)
    if regions is not None:
        for index, region in enumerate(_require_list(regions, path, "targetRegions")):
            region_path = f"{path}.targetRegions[{index}]"
            region = _require_object(region, path, "targetRegions")
            _check_fields(region, _TARGET_REGION_FIELDS, region_path, strict)
            _require_string(region, "name", region_path)
            _check_int(region, "replicaCount", region_path, 1)
            _check_enum(region, "storageAccountType", STORAGE_ACCOUNT_TYPES, region_path)
    versioning = _optional_object(target, "versioning", path)
    if versioning is not None:
        if explicit_version is not None:
            raise validation_failed(
                path, "'versioning' cannot be used when 'galleryImageId' names a version"
            )
        scheme = versioning.get("scheme")
        if scheme not in VERSIONING_SCHEMES:
            raise bad_value(f"{path}.versioning", "scheme", scheme)
        _check_fields(versioning, _VERSIONING_FIELDS[scheme], f"{path}.versioning", strict)
        _check_int(versioning, "major", f"{path}.versioning", -1)


def validate_vm_profile(profile: Any, strict: bool) -> None:
    parent = "ImageTemplate.properties"
    path = f"{parent}.vmProfile"
    profile = _require_object(profile, parent, "vmProfile")
    _check_fields(profile, _VM_PROFILE_FIELDS, path, strict)
    size = profile.get("vmSize")
    if size is not None and not isinstance(size, str):
        raise bad_value(path, "vmSize", size)
    _check_int(profile, "osDiskSizeGB", path, 0)
    identities = profile.get("userAssignedIdentities")
    if identities is not None:
        for identity_id in _require_list(identities, path, "userAssignedIdentities"):
            if not isinstance(identity_id, str) or not IDENTITY_ID_PATTERN.match(identity_id):
                raise bad_value(path, "userAssignedIdentities", identity_id)
    vnet = _optional_object(profile, "vnetConfig", path)
    if vnet is not None:
        _validate_vnet_config(vnet, f"{path}.vnetConfig", strict)


def _validate_vnet_config(vnet: dict[str, Any], path: str, strict: bool) -> None:
    _check_fields(vnet, _VNET_FIELDS, path, strict)
    subnet = vnet.get("subnetId") or None
    aci_subnet = vnet.get("containerInstanceSubnetId") or None
    for field, value in (("subnetId", subnet), ("containerInstanceSubnetId", aci_subnet)):
        if value is not None and not SUBNET_ID_PATTERN.match(str(value)):
            raise bad_value(path, field, value)
    if aci_subnet is not None and subnet is None:
        raise validation_failed(
            path, "'containerInstanceSubnetId' can be specified only if 'subnetId' is specified"
        )
    if aci_subnet is not None and _vnet_of(aci_subnet) != _vnet_of(subnet or ""):
        raise validation_failed(
            path, "'containerInstanceSubnetId' must be on the same virtual network as 'subnetId'"
        )
    if aci_subnet is not None and vnet.get("proxyVmSize"):
        raise validation_failed(
            path, "'proxyVmSize' cannot be specified together with 'containerInstanceSubnetId'"
        )
    if vnet.get("proxyVmSize") and subnet is None:
        raise validation_failed(
            path, "'proxyVmSize' can be specified only if 'subnetId' is specified"
        )


def _vnet_of(subnet_id: str) -> str:
    return subnet_id.lower().rsplit("/subnets/", 1)[0]


def _validate_optimize(optimize: dict[str, Any] | None, strict: bool) -> None:
    if optimize is None:
        return
    path = "ImageTemplate.properties.optimize"
    _check_fields(optimize, _OPTIMIZE_FIELDS, path, strict)
    vm_boot = _optional_object(optimize, "vmBoot", path)
    if vm_boot is not None:
        _check_fields(vm_boot, {"state"}, f"{path}.vmBoot", strict)
        _check_enum(vm_boot, "state", ENABLED_DISABLED, f"{path}.vmBoot")
    workload = _optional_object(optimize, "workload", path)
    if workload is not None:
        _check_fields(
            workload, {"state", "scriptUri", "sha256Checksum"}, f"{path}.workload", strict
        )
        _check_enum(workload, "state", ENABLED_DISABLED, f"{path}.workload")
        _check_checksum(workload, f"{path}.workload")


def _validate_validate(validate: dict[str, Any] | None, customizers: Any, strict: bool) -> None:
    if validate is None:
        return
    path = "ImageTemplate.properties.validate"
    _check_fields(validate, _VALIDATE_FIELDS, path, strict)
    _check_bool(validate, "continueDistributeOnFailure", path)
    _check_bool(validate, "sourceValidationOnly", path)
    validators = validate.get("inVMValidations")
    validators = [] if validators is None else _require_list(validators, path, "inVMValidations")
    if validate.get("sourceValidationOnly"):
        if customizers:
            raise validation_failed(
                path, "'customize' cannot be specified when 'sourceValidationOnly' is true"
            )
        if not validators:
            raise validation_failed(
                path, "'inVMValidations' must be specified when 'sourceValidationOnly' is true"
            )
    seen_names: set[str] = set()
    for step_path, step, step_type in _typed_items(
        validators, path, "inVMValidations", VALIDATOR_TYPES, _VALIDATOR_FIELDS, strict
    ):
        _check_unique_name(step, seen_names, step_path)
        if step_type == "Shell":
            _validate_script_step(step, step_path)
        elif step_type == "PowerShell":
            _validate_powershell_step(step, step_path)
        else:
            _validate_file_step(step, step_path)


def _validate_error_handling(handling: dict[str, Any] | None, strict: bool) -> None:
    if handling is None:
        return
    path = "ImageTemplate.properties.errorHandling"
    _check_fields(handling, _ERROR_HANDLING_FIELDS, path, strict)
    _check_enum(handling, "onCustomizerError", ON_BUILD_ERROR, path)
    _check_enum(handling, "onValidationError", ON_BUILD_ERROR, path)


def _validate_staging_resource_group(value: Any) -> None:
    if value in (None, ""):
        return
    if not isinstance(value, str) or not RESOURCE_GROUP_ID_PATTERN.match(value):
        raise bad_value("ImageTemplate.properties", "stagingResourceGroup", value)


# ---------------------------------------------------------------------------
# PATCH


def validate_update(body: Any, api_version: str) -> None:
    """PATCH accepts `identity`, `tags`, `properties.distribute` and `properties.vmProfile` only."""
    update = _require_object(body, "ImageTemplateUpdateParameters", "body")
    for key in update:
        if key not in _UPDATE_FIELDS:
            raise _not_updatable(key)
    properties = update.get("properties")
    if properties is not None:
        properties = _require_object(properties, "ImageTemplateUpdateParameters", "properties")
        for key in properties:
            if key not in _UPDATE_PROPERTY_FIELDS:
                raise _not_updatable(f"properties.{key}")
            if key == "vmProfile" and api_version < VM_PROFILE_UPDATE_SINCE:
                raise _not_updatable(f"properties.{key}")
    strict = strict_fields(api_version)
    if update.get("tags") is not None:
        _check_tags(update["tags"], "ImageTemplateUpdateParameters", "tags")
    if update.get("identity") is not None:
        validate_identity(update["identity"], "ImageTemplateUpdateParameters", strict)
    if properties is not None:
        if "distribute" in properties:
            validate_distributors(properties["distribute"], strict)
        if properties.get("vmProfile") is not None:
            validate_vm_profile(properties["vmProfile"], strict)


def _not_updatable(field: str) -> RuleViolation:
    return RuleViolation(
        "InvalidRequestContent",
        f"Unmarshalling entity encountered error: 'ImageTemplateUpdateParameters': unknown field \"{field}\". "
        "Only 'identity', 'tags', 'properties.distribute' and 'properties.vmProfile' can be updated; "
        "other changes need a new image template.",
    )


def apply_update(template: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """The template after a PATCH: tags and identity replaced, distribute and vmProfile replaced."""
    result = copy.deepcopy(template)
    if "tags" in update:
        result["tags"] = dict(update["tags"] or {})
    if update.get("identity") is not None:
        result["identity"] = copy.deepcopy(update["identity"])
    properties = update.get("properties") or {}
    if properties.get("distribute") is not None:
        result["properties"]["distribute"] = normalize_distributors(properties["distribute"])
    if properties.get("vmProfile") is not None:
        result["properties"]["vmProfile"] = normalize_vm_profile(properties["vmProfile"])
    return result


# ---------------------------------------------------------------------------
# Normalisation: what the service returns for a body it accepted.

_READ_ONLY_PROPERTIES = (
    "provisioningState",
    "provisioningError",
    "lastRunStatus",
    "exactStagingResourceGroup",
)


# Properties that older API versions do not know: they ignore them, so they have no effect.
PROPERTIES_SINCE = {
    "validate": "2022-02-14",
    "stagingResourceGroup": "2022-02-14",
    "errorHandling": "2023-07-01",
    "autoRun": "2024-02-01",
    "managedResourceTags": "2024-02-01",
}
SHARED_IMAGE_FIELDS_SINCE = {"targetRegions": "2022-07-01", "versioning": "2022-07-01"}


def drop_unknown_to(properties: dict[str, Any], api_version: str) -> dict[str, Any]:
    """The properties as an older API version reads them: fields it does not know are gone."""
    result = {
        k: v
        for k, v in properties.items()
        if api_version >= PROPERTIES_SINCE.get(k, API_VERSIONS[0])
    }
    result["distribute"] = [
        {
            k: v
            for k, v in target.items()
            if target.get("type") != "SharedImage"
            or api_version >= SHARED_IMAGE_FIELDS_SINCE.get(k, API_VERSIONS[0])
        }
        for target in properties.get("distribute") or []
    ]
    return result


def normalize_properties(
    properties: dict[str, Any], api_version: str = API_VERSIONS[-1]
) -> dict[str, Any]:
    properties = drop_unknown_to(properties, api_version)
    result = {k: copy.deepcopy(v) for k, v in properties.items() if k not in _READ_ONLY_PROPERTIES}
    source = result["source"]
    source.pop("exactVersion", None)
    result["customize"] = [_normalize_step(step) for step in result.get("customize") or []]
    result["distribute"] = normalize_distributors(result["distribute"])
    result["buildTimeoutInMinutes"] = result.get("buildTimeoutInMinutes") or 0
    result["vmProfile"] = normalize_vm_profile(result.get("vmProfile") or {})
    validate = result.get("validate")
    if validate is not None:
        validate.setdefault("continueDistributeOnFailure", False)
        validate.setdefault("sourceValidationOnly", False)
        validate["inVMValidations"] = [
            _normalize_step(s) for s in validate.get("inVMValidations") or []
        ]
    handling = result.get("errorHandling")
    if handling is not None:
        handling.setdefault("onCustomizerError", "cleanup")
        handling.setdefault("onValidationError", "cleanup")
    if not result.get("stagingResourceGroup"):
        result.pop("stagingResourceGroup", None)
    return result


def _normalize_step(step: dict[str, Any]) -> dict[str, Any]:
    result = dict(step)
    if step.get("type") in ("Shell", "PowerShell") and result.get("scriptUri"):
        result.setdefault("sha256Checksum", "")
    if step.get("type") == "File":
        result.setdefault("sha256Checksum", "")
    if step.get("type") == "PowerShell":
        result.setdefault("runElevated", False)
        result.setdefault("runAsSystem", False)
    return result


def normalize_distributors(distributors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    result = []
    for target in distributors:
        target = copy.deepcopy(target)
        if target["type"] == "SharedImage":
            target.setdefault("excludeFromLatest", False)
            for region in target.get("targetRegions") or []:
                region.setdefault("replicaCount", 1)
                region.setdefault("storageAccountType", "Standard_LRS")
        result.append(target)
    return result


def normalize_vm_profile(profile: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(profile)
    result.setdefault("vmSize", "")
    result.setdefault("osDiskSizeGB", 0)
    vnet = result.get("vnetConfig")
    if vnet is not None and vnet.get("subnetId") and not vnet.get("containerInstanceSubnetId"):
        vnet.setdefault("proxyVmSize", "")
    return result


def staging_resource_group_name(resource_group: str, template_name: str, suffix: str) -> str:
    """The name the service gives the staging group it creates: IT_<rg>_<template>_<suffix>."""
    return f"IT_{resource_group}_{template_name}_{suffix}"[:90]


# ---------------------------------------------------------------------------
# Checks against other resources, made once the submission is accepted; a
# failure leaves the template in provisioningState Failed with provisioningError.

Lookup = Callable[[str], "dict[str, Any] | None"]


def provisioning_error(properties: dict[str, Any], lookup: Lookup) -> tuple[str, str] | None:
    """(provisioningErrorCode, message) for a template whose references cannot be used."""
    problem = _source_problem(properties["source"], lookup)
    if problem is not None:
        return problem
    for target in properties["distribute"]:
        if target["type"] != "SharedImage":
            continue
        definition_id = _definition_id(target["galleryImageId"])
        if lookup(definition_id) is None:
            return (
                "BadSharedImageDistribute",
                (
                    f"The gallery image '{definition_id}' given in 'distribute' with "
                    f"runOutputName '{target['runOutputName']}' was not found."
                ),
            )
    return None


def _definition_id(gallery_image_id: str) -> str:
    index = gallery_image_id.lower().find("/versions/")
    return gallery_image_id if index < 0 else gallery_image_id[:index]


def _source_problem(source: dict[str, Any], lookup: Lookup) -> tuple[str, str] | None:
    if source["type"] == "ManagedImage" and lookup(source["imageId"]) is None:
        return (
            "BadManagedImageSource",
            f"The source managed image '{source['imageId']}' was not found.",
        )
    if source["type"] == "SharedImageVersion":
        version_id = source["imageVersionId"]
        target = _definition_id(version_id) if is_latest_version_id(version_id) else version_id
        if lookup(target) is None:
            return (
                "BadSharedImageVersionSource",
                f"The source image version '{version_id}' was not found.",
            )
    return None


def is_latest_version_id(version_id: str) -> bool:
    return version_id.rstrip("/").rsplit("/", 1)[-1].lower() == "latest"
