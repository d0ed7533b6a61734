# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""User input of gallery image versions: version names and target regions.

Everything here is pure: it turns module options into validated values and ARM shapes, and
raises :class:`OptionError` naming the offending option before any request is made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

INT32_MAX = 2**31 - 1

STORAGE_ACCOUNT_TYPES = ("Standard_LRS", "Standard_ZRS", "Premium_LRS", "PremiumV2_LRS")
CONFIDENTIAL_VM_ENCRYPTION_TYPES = (
    "EncryptedVMGuestStateOnlyWithPmk",
    "EncryptedWithPmk",
    "EncryptedWithCmk",
    "NonPersistedTPM",
    "DataDiskEncryptedWithCmk",
)

_VERSION_PATTERN = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")

VersionTuple = tuple[int, int, int]


class OptionError(ValueError):
    """A module option is invalid; the message starts with the option's name."""

    def __init__(self, option: str, problem: str) -> None:
        self.option = option
        self.problem = problem
        super().__init__(f"{option}: {problem}")


# ---------------------------------------------------------------------------------------------
# Version names


def parse_version_name(value: Any, option: str = "name") -> VersionTuple:
    """``"1.2.3"`` -> ``(1, 2, 3)``; each part a non-negative 32-bit integer, as Azure requires."""
    text = str(value).strip() if value is not None else ""
    match = _VERSION_PATTERN.match(text)
    if not match:
        raise OptionError(
            option,
            f"'{text}' is not a version name of the form Major.Minor.Patch (for example 1.0.0)",
        )
    parts = tuple(int(part) for part in match.groups())
    for label, part in zip(("major", "minor", "patch"), parts, strict=True):
        if part > INT32_MAX:
            raise OptionError(
                option,
                f"the {label} part of '{text}' exceeds {INT32_MAX}, the largest Azure accepts",
            )
    return parts[0], parts[1], parts[2]


def try_parse_version_name(value: Any) -> VersionTuple | None:
    """The version tuple of a name Azure returned, or None for a name that is not semantic."""
    try:
        return parse_version_name(value)
    except OptionError:
        return None


def format_version(parts: VersionTuple) -> str:
    return ".".join(str(part) for part in parts)


# ---------------------------------------------------------------------------------------------
# Regions


def normalize_region(name: Any, option: str = "target_regions") -> str:
    """``"East US"`` -> ``"eastus"``: ARM compares region names without case or spaces."""
    if not isinstance(name, str) or not name.strip():
        raise OptionError(option, f"a region name must be a non-empty string, got {name!r}")
    return re.sub(r"\s+", "", name).lower()


def canonical_choice(value: Any, choices: tuple[str, ...], option: str) -> str:
    """Match ``value`` case-insensitively against ``choices`` and return the canonical spelling."""
    for choice in choices:
        if isinstance(value, str) and value.lower() == choice.lower():
            return choice
    raise OptionError(option, f"'{value}' is not one of {', '.join(choices)}")


def _replica_count(value: Any, option: str) -> int:
    try:
        count = int(value)
    except (TypeError, ValueError):
        raise OptionError(option, f"replica count '{value}' is not an integer") from None
    if isinstance(value, bool) or count < 1 or count > 100:
        raise OptionError(option, f"replica count {value!r} must be between 1 and 100")
    return count


@dataclass(frozen=True)
class DataDiskEncryption:
    lun: int
    disk_encryption_set: str


@dataclass(frozen=True)
class RegionEncryption:
    """Customer-managed keys for one target region (the ARM ``EncryptionImages``)."""

    os_disk_encryption_set: str | None = None
    confidential_vm_encryption_type: str | None = None
    secure_vm_disk_encryption_set: str | None = None
    data_disks: tuple[DataDiskEncryption, ...] = ()

    def to_arm(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        os_disk: dict[str, Any] = {}
        if self.os_disk_encryption_set:
            os_disk["diskEncryptionSetId"] = self.os_disk_encryption_set
        security: dict[str, Any] = {}
        if self.confidential_vm_encryption_type:
            security["confidentialVMEncryptionType"] = self.confidential_vm_encryption_type
        if self.secure_vm_disk_encryption_set:
            security["secureVMDiskEncryptionSetId"] = self.secure_vm_disk_encryption_set
        if security:
            os_disk["securityProfile"] = security
        if os_disk:
            body["osDiskImage"] = os_disk
        if self.data_disks:
            body["dataDiskImages"] = [
                {"lun": disk.lun, "diskEncryptionSetId": disk.disk_encryption_set}
                for disk in self.data_disks
            ]
        return body

    @classmethod
    def from_arm(cls, body: dict[str, Any] | None) -> RegionEncryption | None:
        if not body:
            return None
        os_disk = body.get("osDiskImage") or {}
        security = os_disk.get("securityProfile") or {}
        data_disks = tuple(
            DataDiskEncryption(
                lun=int(disk["lun"]), disk_encryption_set=disk.get("diskEncryptionSetId") or ""
            )
            for disk in body.get("dataDiskImages") or []
        )
        return cls(
            os_disk_encryption_set=os_disk.get("diskEncryptionSetId"),
            confidential_vm_encryption_type=security.get("confidentialVMEncryptionType"),
            secure_vm_disk_encryption_set=security.get("secureVMDiskEncryptionSetId"),
            data_disks=tuple(sorted(data_disks, key=lambda disk: disk.lun)),
        )

    def comparable(self) -> tuple[Any, ...]:
        """Resource ids compare without case, as ARM does."""
        return (
            (self.os_disk_encryption_set or "").lower(),
            self.confidential_vm_encryption_type or "",
            (self.secure_vm_disk_encryption_set or "").lower(),
            tuple((disk.lun, disk.disk_encryption_set.lower()) for disk in self.data_disks),
        )


@dataclass(frozen=True)
class TargetRegion:
    """One replication target. ``None`` fields were not asked for and are left to Azure."""

    name: str
    replica_count: int | None = None
    storage_account_type: str | None = None
    exclude_from_latest: bool | None = None
    encryption: RegionEncryption | None = field(default=None)

    def to_arm(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name}
        if self.replica_count is not None:
            body["regionalReplicaCount"] = self.replica_count
        if self.storage_account_type is not None:
            body["storageAccountType"] = self.storage_account_type
        if self.exclude_from_latest is not None:
            body["excludeFromLatest"] = self.exclude_from_latest
        if self.encryption is not None:
            body["encryption"] = self.encryption.to_arm()
        return body

    @classmethod
    def from_arm(cls, body: dict[str, Any]) -> TargetRegion:
        return cls(
            name=normalize_region(body.get("name")),
            replica_count=body.get("regionalReplicaCount"),
            storage_account_type=body.get("storageAccountType"),
            exclude_from_latest=body.get("excludeFromLatest"),
            encryption=RegionEncryption.from_arm(body.get("encryption")),
        )


def parse_region_shorthand(text: str, option: str = "target_regions") -> TargetRegion:
    """The az CLI form ``eastus``, ``eastus=2`` or ``eastus=2=Standard_ZRS``.

    After the region, each ``=`` part is either a replica count or a storage account type, in any
    order, at most one of each.
    """
    name, *extras = text.split("=")
    if len(extras) > 2:
        raise OptionError(
            option, f"'{text}' has more than region=replica_count=storage_account_type"
        )
    replica_count: int | None = None
    storage_type: str | None = None
    for extra in extras:
        extra = extra.strip()
        if extra.isdigit():
            if replica_count is not None:
                raise OptionError(option, f"'{text}' gives the replica count twice")
            replica_count = _replica_count(extra, option)
        else:
            if storage_type is not None:
                raise OptionError(option, f"'{text}' gives the storage account type twice")
            storage_type = canonical_choice(extra, STORAGE_ACCOUNT_TYPES, option)
    return TargetRegion(
        name=normalize_region(name, option),
        replica_count=replica_count,
        storage_account_type=storage_type,
    )


def _parse_encryption(value: Any, option: str) -> RegionEncryption | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise OptionError(option, "encryption must be a dictionary")
    os_disk = value.get("os_disk") or {}
    cvm_type = os_disk.get("confidential_vm_encryption_type")
    if cvm_type is not None:
        cvm_type = canonical_choice(cvm_type, CONFIDENTIAL_VM_ENCRYPTION_TYPES, f"{option}.os_disk")
    data_disks = []
    seen_luns: set[int] = set()
    for disk in value.get("data_disks") or []:
        lun = disk.get("lun")
        des = disk.get("disk_encryption_set")
        if not isinstance(lun, int) or isinstance(lun, bool) or lun < 0:
            raise OptionError(
                f"{option}.data_disks", f"lun must be a non-negative integer, got {lun!r}"
            )
        if not des:
            raise OptionError(f"{option}.data_disks", f"lun {lun} needs a disk_encryption_set")
        if lun in seen_luns:
            raise OptionError(f"{option}.data_disks", f"lun {lun} is listed twice")
        seen_luns.add(lun)
        data_disks.append(DataDiskEncryption(lun=lun, disk_encryption_set=des))
    return RegionEncryption(
        os_disk_encryption_set=os_disk.get("disk_encryption_set"),
        confidential_vm_encryption_type=cvm_type,
        secure_vm_disk_encryption_set=os_disk.get("secure_vm_disk_encryption_set"),
        data_disks=tuple(sorted(data_disks, key=lambda disk: disk.lun)),
    )


def parse_region_dict(value: dict[str, Any], option: str = "target_regions") -> TargetRegion:
    name = normalize_region(value.get("name"), option)
    item_option = f"{option}[{name}]"
    replica_count = value.get("replica_count")
    storage_type = value.get("storage_account_type")
    exclude = value.get("exclude_from_latest")
    if exclude is not None and not isinstance(exclude, bool):
        raise OptionError(item_option, f"exclude_from_latest must be a boolean, got {exclude!r}")
    return TargetRegion(
        name=name,
        replica_count=None if replica_count is None else _replica_count(replica_count, item_option),
        storage_account_type=None
        if storage_type is None
        else canonical_choice(storage_type, STORAGE_ACCOUNT_TYPES, item_option),
        exclude_from_latest=exclude,
        encryption=_parse_encryption(value.get("encryption"), f"{item_option}.encryption"),
    )


def parse_target_regions(items: Any, option: str = "target_regions") -> list[TargetRegion]:
    """Validate and normalise ``target_regions``: dictionaries or az CLI shorthand strings."""
    if items is None:
        return []
    if isinstance(items, (str, dict)):
        items = [items]
    regions: list[TargetRegion] = []
    seen: set[str] = set()
    for item in items:
        if isinstance(item, str):
            region = parse_region_shorthand(item, option)
        elif isinstance(item, dict):
            region = parse_region_dict(item, option)
        else:
            raise OptionError(
                option, f"each entry must be a region string or a dictionary, got {item!r}"
            )
        if region.name in seen:
            raise OptionError(option, f"region '{region.name}' is listed more than once")
        seen.add(region.name)
        regions.append(region)
    return regions
