# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Managed images (Microsoft.Compute/images): source, body, rules and update classification.

A managed image is made once from a generalized virtual machine or from an OS disk (a managed
disk, a snapshot or a VHD blob) with optional data disks. Afterwards only its tags can change;
everything else needs a new image.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ansible_collections.goldenimage.azure.plugins.module_utils._diff import to_snake
from ansible_collections.goldenimage.azure.plugins.module_utils._version_api import (
    FieldChange,
    UpdatePlan,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._version_source import (
    DISK,
    SNAPSHOT,
    VIRTUAL_MACHINE,
    ImageFacts,
    parse_data_disks,
    resolve_resource_id,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._version_spec import (
    OptionError,
    canonical_choice,
    normalize_region,
)

OS_TYPES = ("Linux", "Windows")
OS_STATES = ("Generalized", "Specialized")
HYPER_V_GENERATIONS = ("V1", "V2")
CACHING = ("None", "ReadOnly", "ReadWrite")
DISK_STORAGE_TYPES = (
    "Standard_LRS",
    "Premium_LRS",
    "StandardSSD_LRS",
    "UltraSSD_LRS",
    "Premium_ZRS",
    "StandardSSD_ZRS",
    "PremiumV2_LRS",
)


@dataclass(frozen=True)
class ImageDisk:
    """One disk of an image: exactly one of a managed disk, a snapshot or a blob URI."""

    managed_disk_id: str | None = None
    snapshot_id: str | None = None
    blob_uri: str | None = None
    caching: str | None = None
    storage_account_type: str | None = None
    lun: int | None = None

    def to_arm(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.lun is not None:
            body["lun"] = self.lun
        if self.managed_disk_id:
            body["managedDisk"] = {"id": self.managed_disk_id}
        if self.snapshot_id:
            body["snapshot"] = {"id": self.snapshot_id}
        if self.blob_uri:
            body["blobUri"] = self.blob_uri
        if self.caching is not None:
            body["caching"] = self.caching
        if self.storage_account_type is not None:
            body["storageAccountType"] = self.storage_account_type
        return body

    def identity(self) -> tuple[Any, ...]:
        return (self.lun, (self.managed_disk_id or self.snapshot_id or self.blob_uri or "").lower())


@dataclass(frozen=True)
class ImageSource:
    option: str
    virtual_machine_id: str | None = None
    os_disk: ImageDisk | None = None
    os_type: str | None = None
    os_state: str | None = None
    data_disks: tuple[ImageDisk, ...] = ()

    def required_os_disk(self) -> ImageDisk:
        """The OS disk of a disk-based source (the parser guarantees one without a VM)."""
        if self.os_disk is None:
            raise ValueError("the image source has neither a virtual machine nor an OS disk")
        return self.os_disk

    @property
    def primary_id(self) -> str | None:
        """The resource whose region the image must share (None for a blob)."""
        if self.virtual_machine_id:
            return self.virtual_machine_id
        os_disk = self.required_os_disk()
        return os_disk.managed_disk_id or os_disk.snapshot_id

    def identity(self) -> tuple[Any, ...]:
        if self.virtual_machine_id:
            return (self.virtual_machine_id.lower(),)
        return (
            self.required_os_disk().identity(),
            tuple(disk.identity() for disk in self.data_disks),
        )


def _parse_image_disk(
    value: Any, option: str, *, subscription_id: str, resource_group: str | None, lun: int | None
) -> ImageDisk:
    if not isinstance(value, dict):
        raise OptionError(option, "must be a dictionary with one of disk, snapshot or blob_uri")
    given = [key for key in ("disk", "snapshot", "blob_uri") if value.get(key)]
    if len(given) != 1:
        listed = ", ".join(given) if given else "none"
        raise OptionError(option, f"give exactly one of disk, snapshot or blob_uri (got {listed})")
    caching = value.get("caching")
    storage = value.get("storage_account_type")
    refs: dict[str, Any] = {"subscription_id": subscription_id, "resource_group": resource_group}
    return ImageDisk(
        managed_disk_id=resolve_resource_id(value["disk"], DISK, f"{option}.disk", **refs)
        if given[0] == "disk"
        else None,
        snapshot_id=resolve_resource_id(value["snapshot"], SNAPSHOT, f"{option}.snapshot", **refs)
        if given[0] == "snapshot"
        else None,
        blob_uri=str(value["blob_uri"]) if given[0] == "blob_uri" else None,
        caching=None
        if caching is None
        else canonical_choice(caching, CACHING, f"{option}.caching"),
        storage_account_type=None
        if storage is None
        else canonical_choice(storage, DISK_STORAGE_TYPES, f"{option}.storage_account_type"),
        lun=lun,
    )


def parse_image_source(
    options: dict[str, Any], *, subscription_id: str, resource_group: str | None
) -> ImageSource | None:
    """The one source among ``virtual_machine`` and ``os_disk`` (None when neither is given)."""
    given = [name for name in ("virtual_machine", "os_disk") if options.get(name)]
    if len(given) > 1:
        raise OptionError("os_disk", "give either virtual_machine or os_disk, not both")
    if options.get("data_disks") and given != ["os_disk"]:
        raise OptionError("data_disks", "data disks can only accompany an os_disk source")
    if not given:
        return None
    refs: dict[str, Any] = {"subscription_id": subscription_id, "resource_group": resource_group}
    if given[0] == "virtual_machine":
        vm_id = resolve_resource_id(
            options["virtual_machine"], VIRTUAL_MACHINE, "virtual_machine", **refs
        )
        return ImageSource(option="virtual_machine", virtual_machine_id=vm_id)
    os_disk = options["os_disk"]
    if not isinstance(os_disk, dict) or not os_disk.get("os_type"):
        raise OptionError(
            "os_disk.os_type", "an image made from a disk needs os_type (Linux or Windows)"
        )
    return ImageSource(
        option="os_disk",
        os_disk=_parse_image_disk(os_disk, "os_disk", lun=None, **refs),
        os_type=canonical_choice(os_disk["os_type"], OS_TYPES, "os_disk.os_type"),
        os_state=canonical_choice(
            os_disk.get("os_state") or "Generalized", OS_STATES, "os_disk.os_state"
        ),
        data_disks=parse_data_disks(options.get("data_disks"), _parse_image_disk, **refs),
    )


def source_identity_of_image(body: dict[str, Any]) -> tuple[Any, ...] | None:
    """The :meth:`ImageSource.identity` of an existing image."""
    properties = body.get("properties") or {}
    vm = (properties.get("sourceVirtualMachine") or {}).get("id")
    if vm:
        return (str(vm).lower(),)
    profile = properties.get("storageProfile") or {}
    os_disk = profile.get("osDisk")
    if not os_disk:
        return None
    return (
        _arm_disk_identity(os_disk, None),
        tuple(
            _arm_disk_identity(disk, disk.get("lun"))
            for disk in sorted(
                profile.get("dataDisks") or [], key=lambda disk: disk.get("lun") or 0
            )
        ),
    )


def _arm_disk_identity(disk: dict[str, Any], lun: Any) -> tuple[Any, ...]:
    reference = (
        (disk.get("managedDisk") or {}).get("id")
        or (disk.get("snapshot") or {}).get("id")
        or disk.get("blobUri")
    )
    return (lun, str(reference or "").lower())


@dataclass(frozen=True)
class DesiredImage:
    source: ImageSource | None = None
    hyper_v_generation: str | None = None
    zone_resilient: bool | None = None


def create_body(
    desired: DesiredImage, *, location: str, tags: dict[str, str] | None = None
) -> dict[str, Any]:
    if desired.source is None:
        raise OptionError(
            "virtual_machine", "creating an image needs a source: virtual_machine or os_disk"
        )
    source = desired.source
    properties: dict[str, Any] = {}
    if source.virtual_machine_id:
        properties["sourceVirtualMachine"] = {"id": source.virtual_machine_id}
    else:
        os_disk = source.required_os_disk().to_arm()
        os_disk.update({"osType": source.os_type, "osState": source.os_state})
        profile: dict[str, Any] = {"osDisk": os_disk}
        if source.data_disks:
            profile["dataDisks"] = [disk.to_arm() for disk in source.data_disks]
        properties["storageProfile"] = profile
    if desired.zone_resilient is not None:
        properties.setdefault("storageProfile", {})["zoneResilient"] = desired.zone_resilient
    if desired.hyper_v_generation is not None:
        properties["hyperVGeneration"] = desired.hyper_v_generation
    body: dict[str, Any] = {"location": location, "properties": properties}
    if tags is not None:
        body["tags"] = dict(tags)
    return body


def classify_update(current: dict[str, Any], desired: DesiredImage) -> UpdatePlan:
    """Images change only their tags; every other difference is forbidden and listed."""
    plan = UpdatePlan()
    properties = current.get("properties") or {}
    if desired.source is not None:
        have = source_identity_of_image(current)
        if have != desired.source.identity():
            plan.forbidden.append(
                FieldChange(
                    "source", _show_identity(have), _show_identity(desired.source.identity())
                )
            )
        if desired.source.os_disk is not None:
            os_disk = (properties.get("storageProfile") or {}).get("osDisk") or {}
            for field_name, key, wanted in (
                ("os_disk.os_type", "osType", desired.source.os_type),
                ("os_disk.os_state", "osState", desired.source.os_state),
            ):
                if wanted and str(os_disk.get(key) or "").lower() != wanted.lower():
                    plan.forbidden.append(FieldChange(field_name, os_disk.get(key), wanted))
    generation = properties.get("hyperVGeneration") or "V1"
    if (
        desired.hyper_v_generation is not None
        and desired.hyper_v_generation.lower() != generation.lower()
    ):
        plan.forbidden.append(
            FieldChange("hyper_v_generation", generation, desired.hyper_v_generation)
        )
    zone_resilient = bool((properties.get("storageProfile") or {}).get("zoneResilient"))
    if desired.zone_resilient is not None and desired.zone_resilient != zone_resilient:
        plan.forbidden.append(FieldChange("zone_resilient", zone_resilient, desired.zone_resilient))
    return plan


def _show_identity(identity: tuple[Any, ...] | None) -> str | None:
    if identity is None:
        return None
    if len(identity) == 1:
        return str(identity[0])
    os_disk, data_disks = identity
    return str(os_disk[1]) + (f" with {len(data_disks)} data disk(s)" if data_disks else "")


def forbidden_message(name: str, plan: UpdatePlan) -> str:
    fields = "; ".join(change.describe() for change in plan.forbidden)
    return f"managed image {name} cannot be changed in place: {fields}. Create an image with another name instead."


# ---------------------------------------------------------------------------------------------
# Rules before any write


def check_vm_generalized(
    instance_view: dict[str, Any] | None, option: str = "virtual_machine"
) -> None:
    """Azure captures only generalized VMs into managed images."""
    codes = {
        str(status.get("code", "")).lower()
        for status in (instance_view or {}).get("statuses") or []
    }
    if "osstate/generalized" not in codes:
        raise OptionError(
            option,
            "the virtual machine is not generalized; generalize it before capturing an image",
        )


def check_same_region(source: ImageSource, source_location: str | None, location: str) -> None:
    """A managed image lives in its source's region."""
    if source_location and normalize_region(source_location) != normalize_region(location):
        raise OptionError(
            "location",
            f"the image must be in its source's region {normalize_region(source_location)} "
            f"(of {source.option}), not {normalize_region(location)}",
        )


def facts_of_image(body: dict[str, Any]) -> ImageFacts:
    properties = body.get("properties") or {}
    os_disk = (properties.get("storageProfile") or {}).get("osDisk") or {}
    location = body.get("location")
    return ImageFacts(
        location=normalize_region(location) if location else None,
        os_type=os_disk.get("osType"),
        os_state=os_disk.get("osState"),
        hyper_v_generation=properties.get("hyperVGeneration") or "V1",
    )


def image_result(body: dict[str, Any]) -> dict[str, Any]:
    """A managed image as modules return it: snake_case, ``properties`` flattened."""
    result = {key: value for key, value in body.items() if key != "properties"}
    result.update(body.get("properties") or {})
    converted: dict[str, Any] = to_snake(result)
    converted["tags"] = dict(body.get("tags") or {})
    return converted
