# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules an image template must meet, checked on its ARM form before any request.

Azure enforces these too, but only after a long-running PUT has started; checking them here
fails the task at once, names the option, and sends nothing. Unknown step or distributor
types in a raw ``template`` pass through unchecked so newer service features stay usable.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

from ansible_collections.goldenimage.azure.plugins.module_utils._template_model import (
    ENABLED_STATES,
    MAX_BUILD_TIMEOUT_MINUTES,
    NAME_PATTERN,
    ON_BUILD_ERROR,
    REPLICATION_MODES,
    RESOURCE_GROUP_ID_PATTERN,
    SHA256_PATTERN,
    STORAGE_ACCOUNT_TYPES,
    VERSIONING_SCHEMES,
    OptionNamer,
    Path,
    TemplateOptionError,
    identity_ids,
    snake_case,
)

_SCRIPT_TYPES = ("Shell", "PowerShell")
_REQUIRED_SOURCE_FIELDS = {
    "PlatformImage": ("publisher", "offer", "sku", "version"),
    "ManagedImage": ("imageId",),
    "SharedImageVersion": ("imageVersionId",),
}
_REQUIRED_DISTRIBUTOR_FIELDS = {
    "ManagedImage": ("imageId", "location"),
    "SharedImage": ("galleryImageId",),
    "VHD": (),
}
_PLAN_FIELDS = ("planName", "planProduct", "planPublisher")

# Image Builder downloads scripts and files itself: only http(s) URLs reach them.
HTTP_URL = re.compile(r"^https?://[^\s/?#]+\S*$", re.IGNORECASE)
# What imageVersionId admits: an Azure Compute Gallery image version, or one of a gallery shared
# directly with the subscription; the version is X.Y.Z or ``latest`` (resolved per build).
_VERSION_NAME = r"(?:\d+\.\d+\.\d+|latest)"
GALLERY_IMAGE_VERSION_ID = re.compile(
    r"^/subscriptions/[^/\s]+/resourceGroups/[^/\s]+/providers/Microsoft\.Compute"
    rf"/galleries/[^/\s]+/images/[^/\s]+/versions/{_VERSION_NAME}$",
    re.IGNORECASE,
)
SHARED_GALLERY_IMAGE_VERSION_ID = re.compile(
    r"^/subscriptions/[^/\s]+/providers/Microsoft\.Compute/locations/[^/\s]+"
    rf"/sharedGalleries/[^/\s]+/images/[^/\s]+/versions/{_VERSION_NAME}$",
    re.IGNORECASE,
)
USER_ASSIGNED_IDENTITY_ID = re.compile(
    r"^/subscriptions/[^/\s,]+/resourceGroups/[^/\s,]+/providers/Microsoft\.ManagedIdentity"
    r"/userAssignedIdentities/[^/\s,]+$",
    re.IGNORECASE,
)
_IDENTITY_MARK = "/providers/microsoft.managedidentity/userassignedidentities/"


class _Checker:
    """Walks one ``properties`` document; ``fail`` raises with the option name."""

    def __init__(self, namer: OptionNamer) -> None:
        self.name = namer

    def other(self, arm_key: str) -> str:
        """How the user spells another option named in a message."""
        return arm_key if self.name.raw else snake_case(arm_key)

    def fail(self, path: Path, problem: str) -> NoReturn:
        raise TemplateOptionError(self.name(path), problem)

    def need(self, body: dict[str, Any], path: Path, keys: tuple[str, ...]) -> None:
        for key in keys:
            if body.get(key) in (None, "", []):
                self.fail(path + (key,), "is required here")

    def mapping(self, value: Any, path: Path) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(path, "must be a mapping")
        return value

    def int_between(
        self, body: dict[str, Any], path: Path, key: str, low: int, high: int | None = None
    ) -> None:
        value = body.get(key)
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path + (key,), "must be an integer")
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            self.fail(path + (key,), f"must be {bound}, got {value}")

    def one_of(self, body: dict[str, Any], path: Path, key: str, allowed: tuple[str, ...]) -> None:
        value = body.get(key)
        if value is not None and value not in allowed:
            self.fail(path + (key,), f"must be one of {', '.join(allowed)}, got {value!r}")


def validate_name(option: str, value: str) -> None:
    """Template, run output and trigger names share one pattern."""
    if not NAME_PATTERN.match(value or ""):
        raise TemplateOptionError(option, f"{value!r} must match {NAME_PATTERN.pattern}")


def validate_identity(identity: str | list[str] | None, option: str = "identity") -> None:
    """Exactly one user-assigned identity resource id; a joined pair or a list is refused."""
    ids = identity_ids(identity)
    # A list given to the string option arrives as its text: count the ids inside, too.
    count = sum(max(1, value.lower().count(_IDENTITY_MARK)) for value in ids)
    if count != 1:
        raise TemplateOptionError(
            option, f"Image Builder builds as exactly one user-assigned identity, got {count}"
        )
    if not USER_ASSIGNED_IDENTITY_ID.match(ids[0].strip()):
        raise TemplateOptionError(
            option,
            f"{ids[0]!r} is not a user-assigned identity resource id (/subscriptions/<id>"
            "/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>)",
        )


def validate_properties(properties: dict[str, Any], namer: OptionNamer | None = None) -> None:
    """Raise :class:`TemplateOptionError` for the first rule ``properties`` breaks."""
    check = _Checker(namer or OptionNamer())
    _check_source(check, properties.get("source"))
    _check_steps(check, properties.get("customize"), ("customize",))
    _check_validate(check, properties.get("validate"))
    _check_optimize(check, properties.get("optimize"))
    _check_error_handling(check, properties.get("errorHandling"))
    _check_distribute(check, properties.get("distribute"))
    _check_vm_profile(check, properties.get("vmProfile"))
    check.int_between(properties, (), "buildTimeoutInMinutes", 0, MAX_BUILD_TIMEOUT_MINUTES)
    _check_staging(check, properties.get("stagingResourceGroup"))
    _check_auto_run(check, properties.get("autoRun"))
    _check_data_disks(check, properties.get("additionalDataDisks"))


def _check_source(check: _Checker, source: Any) -> None:
    path: Path = ("source",)
    if source is None:
        check.fail(path, "is required")
    source = check.mapping(source, path)
    kind = source.get("type")
    required = _REQUIRED_SOURCE_FIELDS.get(kind)
    if required is None:
        check.fail(
            path + ("type",), f"must be one of {', '.join(_REQUIRED_SOURCE_FIELDS)}, got {kind!r}"
        )
    check.need(source, path, required)
    version_id = source.get("imageVersionId")
    if kind == "SharedImageVersion" and not (
        isinstance(version_id, str)
        and (
            GALLERY_IMAGE_VERSION_ID.match(version_id)
            or SHARED_GALLERY_IMAGE_VERSION_ID.match(version_id)
        )
    ):
        check.fail(
            path + ("imageVersionId",),
            f"{version_id!r} is not a gallery image version resource id (/subscriptions/<id>"
            "/resourceGroups/<group>/providers/Microsoft.Compute/galleries/<gallery>/images/"
            "<definition>/versions/<X.Y.Z or latest>)",
        )
    plan = source.get("planInfo")
    if plan is not None:
        check.need(check.mapping(plan, path + ("planInfo",)), path + ("planInfo",), _PLAN_FIELDS)


def _check_steps(check: _Checker, steps: Any, path: Path) -> None:
    """Customizers or in-VM validators: per-type rules, then unique names."""
    if steps is None:
        return
    if not isinstance(steps, list):
        check.fail(path, "must be a list")
    seen: dict[str, int] = {}
    for index, step in enumerate(steps):
        step_path = path + (index,)
        step = check.mapping(step, step_path)
        _check_step(check, step, step_path)
        name = step.get("name")
        if name:
            if name.lower() in seen:
                check.fail(
                    step_path + ("name",), f"{name!r} is already used by step {seen[name.lower()]}"
                )
            seen[name.lower()] = index


def _check_step(check: _Checker, step: dict[str, Any], path: Path) -> None:
    kind = step.get("type")
    if not kind:
        check.fail(path + ("type",), "is required")
    if kind in _SCRIPT_TYPES:
        has_inline = bool(step.get("inline"))
        has_uri = bool(step.get("scriptUri"))
        if has_inline == has_uri:
            check.fail(path, f"needs exactly one of inline or {check.other('scriptUri')}")
        if has_inline and step.get("sha256Checksum"):
            check.fail(
                path + ("sha256Checksum",), "applies to a script URI, not to inline commands"
            )
        _check_http_url(check, step, path, "scriptUri")
    if kind == "File":
        check.need(step, path, ("sourceUri", "destination"))
        _check_http_url(check, step, path, "sourceUri")
    _check_checksum(check, step, path)
    if step.get("runAsSystem") and not step.get("runElevated"):
        check.fail(path + ("runAsSystem",), f"needs {check.other('runElevated')}")
    if kind == "WindowsUpdate":
        check.int_between(step, path, "updateLimit", 0)


def _check_http_url(check: _Checker, body: dict[str, Any], path: Path, key: str) -> None:
    value = body.get(key)
    if value and not (isinstance(value, str) and HTTP_URL.match(value)):
        check.fail(path + (key,), f"{value!r} must be an http:// or https:// URL")


def _check_checksum(check: _Checker, body: dict[str, Any], path: Path) -> None:
    checksum = body.get("sha256Checksum")
    if checksum and not SHA256_PATTERN.match(checksum):
        check.fail(path + ("sha256Checksum",), "must be a SHA-256 checksum: 64 hexadecimal digits")


def _check_validate(check: _Checker, validate: Any) -> None:
    if validate is None:
        return
    validate = check.mapping(validate, ("validate",))
    _check_steps(check, validate.get("inVMValidations"), ("validate", "inVMValidations"))


def _check_optimize(check: _Checker, optimize: Any) -> None:
    if optimize is None:
        return
    optimize = check.mapping(optimize, ("optimize",))
    for part in ("vmBoot", "workload"):
        section = optimize.get(part)
        if section is not None:
            path: Path = ("optimize", part)
            section = check.mapping(section, path)
            check.one_of(section, path, "state", ENABLED_STATES)
            _check_http_url(check, section, path, "scriptUri")
            _check_checksum(check, section, path)


def _check_error_handling(check: _Checker, handling: Any) -> None:
    if handling is None:
        return
    handling = check.mapping(handling, ("errorHandling",))
    for key in ("onCustomizerError", "onValidationError"):
        check.one_of(handling, ("errorHandling",), key, ON_BUILD_ERROR)


def _check_distribute(check: _Checker, targets: Any) -> None:
    path: Path = ("distribute",)
    if not targets:
        check.fail(path, "needs at least one distribution target")
    if not isinstance(targets, list):
        check.fail(path, "must be a list")
    seen: dict[str, int] = {}
    for index, target in enumerate(targets):
        target_path = path + (index,)
        target = check.mapping(target, target_path)
        _check_distributor(check, target, target_path)
        name = target["runOutputName"].lower()
        if name in seen:
            check.fail(
                target_path + ("runOutputName",),
                f"{target['runOutputName']!r} is already used by target {seen[name]}",
            )
        seen[name] = index


def _check_distributor(check: _Checker, target: dict[str, Any], path: Path) -> None:
    check.need(target, path, ("type", "runOutputName"))
    run_output = target["runOutputName"]
    if not isinstance(run_output, str) or not NAME_PATTERN.match(run_output):
        check.fail(path + ("runOutputName",), f"{run_output!r} must match {NAME_PATTERN.pattern}")
    required = _REQUIRED_DISTRIBUTOR_FIELDS.get(target["type"])
    if required is None:
        return
    check.need(target, path, required)
    if target["type"] == "SharedImage":
        _check_shared_image(check, target, path)


def _check_shared_image(check: _Checker, target: dict[str, Any], path: Path) -> None:
    if target.get("targetRegions") and target.get("replicationRegions"):
        check.fail(
            path + ("replicationRegions",),
            f"cannot be combined with {check.other('targetRegions')}",
        )
    if target.get("storageAccountType") is not None and target.get("targetRegions"):
        problem = f"applies to {check.other('replicationRegions')} only; set it per target region"
        check.fail(path + ("storageAccountType",), problem)
    check.one_of(target, path, "storageAccountType", STORAGE_ACCOUNT_TYPES)
    check.one_of(target, path, "replicationMode", tuple(REPLICATION_MODES.values()))
    _check_target_regions(check, target.get("targetRegions"), path + ("targetRegions",))
    versioning = target.get("versioning")
    if versioning is not None:
        _check_versioning(
            check, check.mapping(versioning, path + ("versioning",)), path + ("versioning",)
        )


def _check_target_regions(check: _Checker, regions: Any, path: Path) -> None:
    if regions is None:
        return
    seen: set[str] = set()
    for index, region in enumerate(regions):
        region_path = path + (index,)
        region = check.mapping(region, region_path)
        check.need(region, region_path, ("name",))
        key = region["name"].replace(" ", "").lower()
        if key in seen:
            check.fail(region_path + ("name",), f"region {region['name']!r} is listed twice")
        seen.add(key)
        check.int_between(region, region_path, "replicaCount", 1)
        check.one_of(region, region_path, "storageAccountType", STORAGE_ACCOUNT_TYPES)


def _check_versioning(check: _Checker, versioning: dict[str, Any], path: Path) -> None:
    check.need(versioning, path, ("scheme",))
    check.one_of(versioning, path, "scheme", tuple(VERSIONING_SCHEMES.values()))
    if versioning.get("major") is not None and versioning["scheme"] != "Latest":
        check.fail(path + ("major",), "applies to the Latest versioning scheme only")
    check.int_between(versioning, path, "major", -1)


def _check_vm_profile(check: _Checker, profile: Any) -> None:
    if profile is None:
        return
    path: Path = ("vmProfile",)
    profile = check.mapping(profile, path)
    check.int_between(profile, path, "osDiskSizeGB", 0)
    vnet = profile.get("vnetConfig")
    if vnet is None:
        return
    vnet_path = path + ("vnetConfig",)
    vnet = check.mapping(vnet, vnet_path)
    subnet = check.other("subnetId")
    if vnet.get("containerInstanceSubnetId") and not vnet.get("subnetId"):
        check.fail(vnet_path + ("containerInstanceSubnetId",), f"needs {subnet}")
    if vnet.get("proxyVmSize") and vnet.get("containerInstanceSubnetId"):
        problem = f"cannot be combined with {check.other('containerInstanceSubnetId')}: no proxy VM is deployed then"
        check.fail(vnet_path + ("proxyVmSize",), problem)
    if vnet.get("proxyVmSize") and not vnet.get("subnetId"):
        check.fail(vnet_path + ("proxyVmSize",), f"needs {subnet}")


def _check_staging(check: _Checker, staging: Any) -> None:
    if staging and not RESOURCE_GROUP_ID_PATTERN.match(staging):
        check.fail(("stagingResourceGroup",), f"{staging!r} must be a resource group id or name")


def _check_auto_run(check: _Checker, auto_run: Any) -> None:
    if auto_run is not None:
        check.one_of(check.mapping(auto_run, ("autoRun",)), ("autoRun",), "state", ENABLED_STATES)


def _check_data_disks(check: _Checker, disks: Any) -> None:
    if disks is None:
        return
    for index, disk in enumerate(disks):
        disk_path: Path = ("additionalDataDisks", index)
        check.int_between(check.mapping(disk, disk_path), disk_path, "sizeGB", 0)


def regions_of_template(
    location: str | None, properties: dict[str, Any], namer: OptionNamer | None = None
) -> list[tuple[str, Any]]:
    """Every region a template names, as ``(option, region)``: its ``location`` (when given) and
    each distribution target's region, replication and target regions."""
    name = namer or OptionNamer()
    found: list[tuple[str, Any]] = [("location", location)] if location else []
    targets = properties.get("distribute")
    for index, target in enumerate(targets if isinstance(targets, list) else []):
        if not isinstance(target, dict):
            continue
        path: Path = ("distribute", index)
        if target.get("type") == "ManagedImage":
            found.append((name(path + ("location",)), target.get("location")))
        for position, region in enumerate(target.get("targetRegions") or []):
            if isinstance(region, dict):
                found.append((name(path + ("targetRegions", position, "name")), region.get("name")))
        for position, region in enumerate(target.get("replicationRegions") or []):
            found.append((name(path + ("replicationRegions", position)), region))
    return [(option, region) for option, region in found if isinstance(region, str) and region]
