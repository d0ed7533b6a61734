# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure VM Image Builder templates: module options to ARM ``properties``, and the checks on them.

Options are snake_case and mirror the 2025-10-01 ``ImageTemplateProperties``. The raw
``template`` option takes ARM ``properties`` verbatim; both paths end in the same ARM form,
which :func:`validate_properties` checks before any request, naming the option at fault.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Union

PathSegment = Union[str, int]  # noqa: UP007 - a runtime alias; pylint reads it as Python 3.8
Path = tuple[PathSegment, ...]

NAME_PATTERN = re.compile(r"^[A-Za-z0-9\-_.]{1,64}$")
SHA256_PATTERN = re.compile(r"^[0-9A-Fa-f]{64}$")
RESOURCE_GROUP_ID_PATTERN = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+$", re.IGNORECASE
)
MAX_BUILD_TIMEOUT_MINUTES = 960

# snake_case choice -> ARM discriminator value
SOURCE_TYPES = {
    "platform_image": "PlatformImage",
    "managed_image": "ManagedImage",
    "shared_image_version": "SharedImageVersion",
}
CUSTOMIZER_TYPES = {
    "shell": "Shell",
    "powershell": "PowerShell",
    "file": "File",
    "windows_restart": "WindowsRestart",
    "windows_update": "WindowsUpdate",
}
VALIDATOR_TYPES = {"shell": "Shell", "powershell": "PowerShell", "file": "File"}
DISTRIBUTOR_TYPES = {"managed_image": "ManagedImage", "shared_image": "SharedImage", "vhd": "VHD"}
VERSIONING_SCHEMES = {"latest": "Latest", "source": "Source"}
REPLICATION_MODES = {"full": "Full", "shallow": "Shallow"}
STORAGE_ACCOUNT_TYPES = ("Standard_LRS", "Standard_ZRS", "Premium_LRS")
ON_BUILD_ERROR = ("cleanup", "abort")
ENABLED_STATES = ("Enabled", "Disabled")

# ARM keys whose snake_case option name is not the mechanical conversion.
_OPTION_NAME_EXCEPTIONS = {
    "inVMValidations": "in_vm_validations",
    "buildTimeoutInMinutes": "build_timeout",
}


class TemplateOptionError(ValueError):
    """A template definition breaks a rule; ``option`` names the offending option."""

    def __init__(self, option: str, problem: str) -> None:
        self.option = option
        self.problem = problem
        super().__init__(f"{option}: {problem}")


def snake_case(arm_key: str) -> str:
    """``osDiskSizeGB`` -> ``os_disk_size_gb``; the option name of an ARM key."""
    if arm_key in _OPTION_NAME_EXCEPTIONS:
        return _OPTION_NAME_EXCEPTIONS[arm_key]
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", arm_key).lower()


class OptionNamer:
    """Renders a path inside ARM ``properties`` as the option name the user wrote.

    With ``raw=True`` (the ``template`` option) keys stay as written, under ``template.``.
    """

    def __init__(self, raw: bool = False) -> None:
        self.raw = raw

    def __call__(self, path: Path) -> str:
        text = "template" if self.raw else ""
        for segment in path:
            if isinstance(segment, int):
                text += f"[{segment}]"
                continue
            key = segment if self.raw else snake_case(segment)
            text += f".{key}" if text else key
        return text


# ---------------------------------------------------------------------------------------------
# options -> ARM properties


def _compact(mapping: dict[str, Any]) -> dict[str, Any]:
    """Drop keys whose option was not given, so ARM applies its own default."""
    return {key: value for key, value in mapping.items() if value is not None}


def _plan_info(options: dict[str, Any] | None) -> dict[str, Any] | None:
    if not options:
        return None
    return _compact(
        {
            "planName": options.get("plan_name"),
            "planProduct": options.get("plan_product"),
            "planPublisher": options.get("plan_publisher"),
        }
    )


def source_to_arm(options: dict[str, Any]) -> dict[str, Any]:
    arm_type = SOURCE_TYPES[options["type"]]
    if arm_type == "PlatformImage":
        return _compact(
            {
                "type": arm_type,
                "publisher": options.get("publisher"),
                "offer": options.get("offer"),
                "sku": options.get("sku"),
                "version": options.get("version") or "latest",
                "planInfo": _plan_info(options.get("plan_info")),
            }
        )
    if arm_type == "ManagedImage":
        return _compact({"type": arm_type, "imageId": options.get("image_id")})
    return _compact({"type": arm_type, "imageVersionId": options.get("image_version_id")})


def _script_step_to_arm(arm_type: str, options: dict[str, Any]) -> dict[str, Any]:
    """Shell / PowerShell / File steps, shared by customizers and in-VM validators."""
    step: dict[str, Any] = {"type": arm_type, "name": options.get("name")}
    if arm_type == "File":
        step.update(sourceUri=options.get("source_uri"), destination=options.get("destination"))
    else:
        step.update(scriptUri=options.get("script_uri"), inline=options.get("inline"))
    step["sha256Checksum"] = options.get("sha256_checksum")
    if arm_type == "PowerShell":
        step.update(
            runElevated=options.get("run_elevated"),
            runAsSystem=options.get("run_as_system"),
            validExitCodes=options.get("valid_exit_codes"),
        )
    return _compact(step)


def customizer_to_arm(options: dict[str, Any]) -> dict[str, Any]:
    arm_type = CUSTOMIZER_TYPES[options["type"]]
    if arm_type == "WindowsRestart":
        return _compact(
            {
                "type": arm_type,
                "name": options.get("name"),
                "restartCommand": options.get("restart_command"),
                "restartCheckCommand": options.get("restart_check_command"),
                "restartTimeout": options.get("restart_timeout"),
            }
        )
    if arm_type == "WindowsUpdate":
        return _compact(
            {
                "type": arm_type,
                "name": options.get("name"),
                "searchCriteria": options.get("search_criteria"),
                "filters": options.get("filters"),
                "updateLimit": options.get("update_limit"),
            }
        )
    return _script_step_to_arm(arm_type, options)


def validate_section_to_arm(options: dict[str, Any]) -> dict[str, Any]:
    validations = options.get("in_vm_validations")
    return _compact(
        {
            "continueDistributeOnFailure": options.get("continue_distribute_on_failure"),
            "sourceValidationOnly": options.get("source_validation_only"),
            "inVMValidations": None
            if validations is None
            else [_script_step_to_arm(VALIDATOR_TYPES[step["type"]], step) for step in validations],
        }
    )


def _state(enabled: bool | None) -> dict[str, str] | None:
    if enabled is None:
        return None
    return {"state": "Enabled" if enabled else "Disabled"}


def optimize_to_arm(options: dict[str, Any]) -> dict[str, Any]:
    workload = options.get("workload")
    workload_arm = None
    if workload is not None:
        workload_arm = _compact(
            {
                **(_state(workload.get("enabled")) or {}),
                "scriptUri": workload.get("script_uri"),
                "sha256Checksum": workload.get("sha256_checksum"),
            }
        )
    return _compact({"vmBoot": _state(options.get("vm_boot")), "workload": workload_arm})


def error_handling_to_arm(options: dict[str, Any]) -> dict[str, Any]:
    return _compact(
        {
            "onCustomizerError": options.get("on_customizer_error"),
            "onValidationError": options.get("on_validation_error"),
        }
    )


def _target_region_to_arm(options: dict[str, Any]) -> dict[str, Any]:
    return _compact(
        {
            "name": options.get("name"),
            "replicaCount": options.get("replica_count"),
            "storageAccountType": options.get("storage_account_type"),
        }
    )


def _versioning_to_arm(options: dict[str, Any] | None) -> dict[str, Any] | None:
    if not options:
        return None
    return _compact(
        {"scheme": VERSIONING_SCHEMES[options["scheme"]], "major": options.get("major")}
    )


def distributor_to_arm(options: dict[str, Any]) -> dict[str, Any]:
    arm_type = DISTRIBUTOR_TYPES[options["type"]]
    common = {
        "type": arm_type,
        "runOutputName": options.get("run_output_name"),
        "artifactTags": options.get("artifact_tags"),
    }
    if arm_type == "ManagedImage":
        return _compact(
            {**common, "imageId": options.get("image_id"), "location": options.get("location")}
        )
    if arm_type == "VHD":
        return _compact({**common, "uri": options.get("uri")})
    regions = options.get("target_regions")
    mode = options.get("replication_mode")
    return _compact(
        {
            **common,
            "galleryImageId": options.get("gallery_image_id"),
            "targetRegions": None
            if regions is None
            else [_target_region_to_arm(r) for r in regions],
            "replicationRegions": options.get("replication_regions"),
            "storageAccountType": options.get("storage_account_type"),
            "excludeFromLatest": options.get("exclude_from_latest"),
            "versioning": _versioning_to_arm(options.get("versioning")),
            "replicationMode": None if mode is None else REPLICATION_MODES[mode],
        }
    )


def vm_profile_to_arm(options: dict[str, Any]) -> dict[str, Any]:
    vnet = options.get("vnet_config")
    vnet_arm = None
    if vnet is not None:
        vnet_arm = _compact(
            {
                "subnetId": vnet.get("subnet_id"),
                "containerInstanceSubnetId": vnet.get("container_instance_subnet_id"),
                "proxyVmSize": vnet.get("proxy_vm_size"),
            }
        )
    return _compact(
        {
            "vmSize": options.get("vm_size"),
            "osDiskSizeGB": options.get("os_disk_size_gb"),
            "userAssignedIdentities": options.get("user_assigned_identities"),
            "vnetConfig": vnet_arm,
        }
    )


def staging_resource_group_id(value: str, subscription_id: str | None) -> str:
    """Accept a resource group name as well as its id; ARM wants the id."""
    if value.startswith("/") or not subscription_id:
        return value
    return f"/subscriptions/{subscription_id}/resourceGroups/{value}"


def _mapped(options: dict[str, Any], key: str, convert: Callable[[Any], Any]) -> Any:
    value = options.get(key)
    return None if value is None else convert(value)


def properties_from_options(
    options: dict[str, Any], subscription_id: str | None = None
) -> dict[str, Any]:
    """ARM ``properties`` of a template from the module's snake_case options."""
    auto_run = options.get("auto_run")
    staging = options.get("staging_resource_group")
    return _compact(
        {
            "source": _mapped(options, "source", source_to_arm),
            "customize": _mapped(
                options, "customize", lambda steps: [customizer_to_arm(s) for s in steps]
            ),
            "validate": _mapped(options, "validate", validate_section_to_arm),
            "optimize": _mapped(options, "optimize", optimize_to_arm),
            "errorHandling": _mapped(options, "error_handling", error_handling_to_arm),
            "distribute": _mapped(
                options, "distribute", lambda targets: [distributor_to_arm(t) for t in targets]
            ),
            "vmProfile": _mapped(options, "vm_profile", vm_profile_to_arm),
            "buildTimeoutInMinutes": options.get("build_timeout"),
            "stagingResourceGroup": None
            if staging is None
            else staging_resource_group_id(staging, subscription_id),
            "autoRun": _state(auto_run) if auto_run is not None else None,
            "managedResourceTags": options.get("managed_resource_tags"),
            "additionalDataDisks": _mapped(
                options,
                "additional_data_disks",
                lambda disks: [_compact({"sizeGB": d.get("size_gb")}) for d in disks],
            ),
        }
    )


def identity_to_arm(identity: str | list[str] | None) -> dict[str, Any] | None:
    """The template's ``identity`` block from the one user-assigned identity id."""
    ids = identity_ids(identity)
    if not ids:
        return None
    return {"type": "UserAssigned", "userAssignedIdentities": {ids[0]: {}}}


def identity_ids(identity: str | list[str] | None) -> list[str]:
    if identity is None:
        return []
    if isinstance(identity, str):
        return [identity] if identity else []
    return [item for item in identity if item]
