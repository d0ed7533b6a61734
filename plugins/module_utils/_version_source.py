# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sources of gallery image versions and the rules a source must meet before any write.

A version is made from exactly one OS source: a managed image, a virtual machine, another
gallery image version (any gallery, any subscription), or an OS disk given as a managed disk, a
snapshot or a VHD blob; data disks may accompany an OS disk. Each source is named by resource
id, by name (in the module's resource group), or by a dictionary of names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from ansible_collections.goldenimage.azure.plugins.module_utils._version_spec import (
    OptionError,
    TargetRegion,
    canonical_choice,
    normalize_region,
)

HOST_CACHING = ("None", "ReadOnly", "ReadWrite")


@dataclass(frozen=True)
class ResourceKind:
    """A resource type the sources refer to, and the dictionary keys that name one."""

    label: str
    provider: str
    types: tuple[str, ...]
    name_keys: tuple[str, ...]

    @property
    def full_type(self) -> str:
        return "/".join((self.provider, *self.types))


MANAGED_IMAGE = ResourceKind("managed image", "Microsoft.Compute", ("images",), ("name",))
VIRTUAL_MACHINE = ResourceKind(
    "virtual machine", "Microsoft.Compute", ("virtualMachines",), ("name",)
)
DISK = ResourceKind("managed disk", "Microsoft.Compute", ("disks",), ("name",))
SNAPSHOT = ResourceKind("snapshot", "Microsoft.Compute", ("snapshots",), ("name",))
STORAGE_ACCOUNT = ResourceKind(
    "storage account", "Microsoft.Storage", ("storageAccounts",), ("name",)
)
GALLERY_IMAGE_VERSION = ResourceKind(
    "gallery image version",
    "Microsoft.Compute",
    ("galleries", "images", "versions"),
    ("gallery", "image", "version"),
)

_ID_PATTERN = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/(?P<ns>[^/]+)/(?P<rest>.+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ParsedId:
    subscription_id: str
    resource_group: str
    provider: str
    types: tuple[str, ...]
    names: tuple[str, ...]


def parse_resource_id(resource_id: str) -> ParsedId | None:
    """Split an ARM resource id; None when the text is not one."""
    match = _ID_PATTERN.match(resource_id.strip().rstrip("/"))
    if not match:
        return None
    rest = match.group("rest").split("/")
    if len(rest) % 2:
        return None
    return ParsedId(
        subscription_id=match.group("sub"),
        resource_group=match.group("rg"),
        provider=match.group("ns"),
        types=tuple(rest[0::2]),
        names=tuple(rest[1::2]),
    )


def build_resource_id(
    kind: ResourceKind, subscription_id: str, resource_group: str, names: tuple[str, ...]
) -> str:
    segments = "/".join(f"{type_}/{name}" for type_, name in zip(kind.types, names, strict=True))
    return f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/{kind.provider}/{segments}"


def _matches_kind(parsed: ParsedId, kind: ResourceKind) -> bool:
    return parsed.provider.lower() == kind.provider.lower() and tuple(
        t.lower() for t in parsed.types
    ) == tuple(t.lower() for t in kind.types)


def resolve_resource_id(
    value: Any,
    kind: ResourceKind,
    option: str,
    *,
    subscription_id: str,
    resource_group: str | None,
) -> str:
    """A resource id from an id, a name, a ``gallery/image/version`` path or a dictionary.

    Names default to the module's subscription and resource group; a dictionary may name others
    with ``resource_group`` and ``subscription_id``.
    """
    if isinstance(value, str) and value.strip().lower().startswith("/subscriptions/"):
        parsed = parse_resource_id(value)
        if parsed is None or not _matches_kind(parsed, kind):
            raise OptionError(
                option, f"'{value}' is not the resource id of a {kind.label} ({kind.full_type})"
            )
        return value.strip().rstrip("/")
    if isinstance(value, str):
        names = tuple(value.strip().split("/")) if len(kind.name_keys) > 1 else (value.strip(),)
        group, subscription = resource_group, subscription_id
    elif isinstance(value, dict):
        if value.get("id"):
            return resolve_resource_id(
                value["id"],
                kind,
                option,
                subscription_id=subscription_id,
                resource_group=resource_group,
            )
        names = tuple(str(value.get(key) or "") for key in kind.name_keys)
        group = value.get("resource_group") or resource_group
        subscription = value.get("subscription_id") or subscription_id
    else:
        raise OptionError(option, f"give the {kind.label} as a resource id, a name or a dictionary")
    if len(names) != len(kind.name_keys) or not all(names):
        raise OptionError(
            option, f"a {kind.label} needs {', '.join(kind.name_keys)} (or a resource id)"
        )
    if not group:
        raise OptionError(option, f"a {kind.label} given by name needs a resource_group")
    return build_resource_id(kind, subscription, group, names)


# ---------------------------------------------------------------------------------------------
# Parsed sources


@dataclass(frozen=True)
class DiskSource:
    """One disk of a disk-based source: a managed disk, a snapshot or a VHD blob."""

    kind: str  # "disk", "snapshot" or "vhd"
    resource_id: str | None = None
    uri: str | None = None
    storage_account_id: str | None = None
    host_caching: str | None = None
    lun: int | None = None

    def source_arm(self) -> dict[str, Any]:
        if self.kind == "vhd":
            return {"uri": self.uri, "storageAccountId": self.storage_account_id}
        return {"id": self.resource_id}

    def to_arm(self) -> dict[str, Any]:
        body: dict[str, Any] = {"source": self.source_arm()}
        if self.host_caching is not None:
            body["hostCaching"] = self.host_caching
        if self.lun is not None:
            body["lun"] = self.lun
        return body

    def identity(self) -> str:
        return ((self.uri if self.kind == "vhd" else self.resource_id) or "").lower()


# The module options that name an OS source, in the order they are documented.
OS_SOURCE_OPTIONS = ("managed_image", "virtual_machine", "source_image_version", "os_disk")
_WHOLE_IMAGE_KINDS = {
    "managed_image": MANAGED_IMAGE,
    "virtual_machine": VIRTUAL_MACHINE,
    "source_image_version": GALLERY_IMAGE_VERSION,
}


@dataclass(frozen=True)
class VersionSource:
    """The validated source of a version: what ``storageProfile`` says and how to compare it."""

    option: str
    resource_id: str | None = None
    os_disk: DiskSource | None = None
    data_disks: tuple[DiskSource, ...] = ()

    def required_os_disk(self) -> DiskSource:
        """The OS disk of a disk-based source (the parser guarantees one when there is no id)."""
        if self.os_disk is None:
            raise ValueError(f"the {self.option} source has neither a resource id nor an OS disk")
        return self.os_disk

    @property
    def primary_id(self) -> str:
        """The resource whose location and facts the rules check (a VHD's storage account)."""
        if self.resource_id:
            return self.resource_id
        os_disk = self.required_os_disk()
        return (os_disk.storage_account_id if os_disk.kind == "vhd" else os_disk.resource_id) or ""

    @property
    def primary_kind(self) -> ResourceKind:
        if self.option in _WHOLE_IMAGE_KINDS:
            return _WHOLE_IMAGE_KINDS[self.option]
        os_disk = self.required_os_disk()
        return {"disk": DISK, "snapshot": SNAPSHOT, "vhd": STORAGE_ACCOUNT}[os_disk.kind]

    def storage_profile(self) -> dict[str, Any]:
        """The ARM ``storageProfile`` of a new version made from this source."""
        if self.option == "virtual_machine":
            return {"source": {"virtualMachineId": self.resource_id}}
        if self.resource_id:
            return {"source": {"id": self.resource_id}}
        os_disk = self.required_os_disk()
        profile: dict[str, Any] = {"osDiskImage": os_disk.to_arm()}
        if self.data_disks:
            profile["dataDiskImages"] = [disk.to_arm() for disk in self.data_disks]
        return profile

    def identity(self) -> tuple[Any, ...]:
        """What makes two versions "built from the same source", compared without case."""
        if self.resource_id:
            return (self.resource_id.lower(),)
        os_disk = self.required_os_disk()
        return (
            os_disk.identity(),
            tuple((disk.lun, disk.identity()) for disk in self.data_disks),
        )


def source_identity_of(storage_profile: dict[str, Any] | None) -> tuple[Any, ...] | None:
    """The :meth:`VersionSource.identity` of an existing version's ``storageProfile``."""
    if not storage_profile:
        return None
    source = storage_profile.get("source") or {}
    whole = source.get("virtualMachineId") or source.get("id")
    if whole:
        return (str(whole).lower(),)
    os_disk = storage_profile.get("osDiskImage") or {}
    os_identity = _disk_identity(os_disk.get("source") or {})
    if not os_identity:
        return None
    data = tuple(
        (disk.get("lun"), _disk_identity(disk.get("source") or {}))
        for disk in sorted(
            storage_profile.get("dataDiskImages") or [], key=lambda disk: disk.get("lun") or 0
        )
    )
    return (os_identity, data)


def _disk_identity(source: dict[str, Any]) -> str:
    return str(source.get("uri") or source.get("id") or "").lower()


def _parse_disk(
    value: Any, option: str, *, subscription_id: str, resource_group: str | None, lun: int | None
) -> DiskSource:
    if not isinstance(value, dict):
        raise OptionError(option, "must be a dictionary with one of disk, snapshot or vhd_uri")
    given = [key for key in ("disk", "snapshot", "vhd_uri") if value.get(key)]
    if len(given) != 1:
        listed = ", ".join(given) if given else "none"
        raise OptionError(option, f"give exactly one of disk, snapshot or vhd_uri (got {listed})")
    caching = value.get("host_caching")
    if caching is not None:
        caching = canonical_choice(caching, HOST_CACHING, f"{option}.host_caching")
    refs: dict[str, Any] = {"subscription_id": subscription_id, "resource_group": resource_group}
    if given[0] == "vhd_uri":
        uri = str(value["vhd_uri"])
        if not uri.lower().startswith("https://"):
            raise OptionError(f"{option}.vhd_uri", f"'{uri}' is not an https:// blob URI")
        if not value.get("storage_account"):
            raise OptionError(
                f"{option}.storage_account", "a VHD source needs the storage account that holds it"
            )
        account = resolve_resource_id(
            value["storage_account"], STORAGE_ACCOUNT, f"{option}.storage_account", **refs
        )
        return DiskSource("vhd", uri=uri, storage_account_id=account, host_caching=caching, lun=lun)
    kind = DISK if given[0] == "disk" else SNAPSHOT
    resource_id = resolve_resource_id(value[given[0]], kind, f"{option}.{given[0]}", **refs)
    return DiskSource(given[0], resource_id=resource_id, host_caching=caching, lun=lun)


class _HasLun(Protocol):
    @property
    def lun(self) -> int | None: ...


DiskT = TypeVar("DiskT", bound=_HasLun)


def parse_data_disks(
    items: Any,
    parse_one: Callable[..., DiskT],
    *,
    subscription_id: str,
    resource_group: str | None,
) -> tuple[DiskT, ...]:
    """``data_disks`` in LUN order, each LUN a distinct non-negative integer.

    ``parse_one(item, option, subscription_id=..., resource_group=..., lun=...)`` turns one
    entry into the caller's disk type; versions and managed images take different disks.
    """
    disks: list[DiskT] = []
    seen: set[int] = set()
    for index, item in enumerate(items or []):
        option = f"data_disks[{index}]"
        lun = item.get("lun") if isinstance(item, dict) else None
        if not isinstance(lun, int) or isinstance(lun, bool) or lun < 0:
            raise OptionError(option, f"lun must be a non-negative integer, got {lun!r}")
        if lun in seen:
            raise OptionError(option, f"lun {lun} is used by more than one data disk")
        seen.add(lun)
        disks.append(
            parse_one(
                item,
                option,
                subscription_id=subscription_id,
                resource_group=resource_group,
                lun=lun,
            )
        )
    return tuple(sorted(disks, key=lambda disk: disk.lun or 0))


def parse_version_source(
    options: dict[str, Any], *, subscription_id: str, resource_group: str | None
) -> VersionSource | None:
    """The one OS source among the options (None when none is given, e.g. for an update)."""
    given = [name for name in OS_SOURCE_OPTIONS if options.get(name)]
    if len(given) > 1:
        raise OptionError(
            given[1], f"give only one OS source; {' and '.join(given)} were both given"
        )
    if options.get("data_disks") and given != ["os_disk"]:
        raise OptionError("data_disks", "data disks can only accompany an os_disk source")
    if not given:
        return None
    option = given[0]
    refs: dict[str, Any] = {"subscription_id": subscription_id, "resource_group": resource_group}
    if option in _WHOLE_IMAGE_KINDS:
        return VersionSource(
            option=option,
            resource_id=resolve_resource_id(
                options[option], _WHOLE_IMAGE_KINDS[option], option, **refs
            ),
        )
    return VersionSource(
        option=option,
        os_disk=_parse_disk(options[option], option, lun=None, **refs),
        data_disks=parse_data_disks(options.get("data_disks"), _parse_disk, **refs),
    )


# ---------------------------------------------------------------------------------------------
# What a source is, and whether it fits the definition


@dataclass(frozen=True)
class ImageFacts:
    """The properties the definition must agree with. ``None`` means not known from the source."""

    location: str | None = None
    os_type: str | None = None
    os_state: str | None = None
    hyper_v_generation: str | None = None
    architecture: str | None = None
    security_type: str | None = None


def _location(body: dict[str, Any]) -> str | None:
    location = body.get("location")
    return normalize_region(location) if location else None


def facts_of_managed_image(body: dict[str, Any]) -> ImageFacts:
    properties = body.get("properties") or {}
    os_disk = (properties.get("storageProfile") or {}).get("osDisk") or {}
    return ImageFacts(
        location=_location(body),
        os_type=os_disk.get("osType"),
        os_state=os_disk.get("osState"),
        hyper_v_generation=properties.get("hyperVGeneration") or "V1",
    )


def facts_of_virtual_machine(
    body: dict[str, Any], instance_view: dict[str, Any] | None = None
) -> ImageFacts:
    """A VM's facts; its generalized state and generation live in the instance view."""
    properties = body.get("properties") or {}
    os_disk = (properties.get("storageProfile") or {}).get("osDisk") or {}
    security = (properties.get("securityProfile") or {}).get("securityType")
    view = instance_view or (properties.get("instanceView") or {})
    codes = {str(status.get("code", "")).lower() for status in view.get("statuses") or []}
    os_state = None
    if view:
        os_state = "Generalized" if "osstate/generalized" in codes else "Specialized"
    return ImageFacts(
        location=_location(body),
        os_type=os_disk.get("osType"),
        os_state=os_state,
        hyper_v_generation=view.get("hyperVGeneration"),
        security_type=security or "Standard",
    )


def facts_of_disk(body: dict[str, Any]) -> ImageFacts:
    """Managed disks and snapshots share these properties; their OS state is not recorded."""
    properties = body.get("properties") or {}
    security = (properties.get("securityProfile") or {}).get("securityType")
    return ImageFacts(
        location=_location(body),
        os_type=properties.get("osType"),
        hyper_v_generation=properties.get("hyperVGeneration"),
        architecture=(properties.get("supportedCapabilities") or {}).get("architecture"),
        security_type=_disk_security_family(security),
    )


def facts_of_storage_account(body: dict[str, Any]) -> ImageFacts:
    return ImageFacts(location=_location(body))


def facts_of_definition(body: dict[str, Any]) -> ImageFacts:
    """A definition's facts, with the defaults Azure applies when they are absent."""
    properties = body.get("properties") or {}
    features = {
        str(f.get("name", "")).lower(): f.get("value") for f in properties.get("features") or []
    }
    return ImageFacts(
        location=_location(body),
        os_type=properties.get("osType"),
        os_state=properties.get("osState"),
        hyper_v_generation=properties.get("hyperVGeneration") or "V1",
        architecture=properties.get("architecture") or "x64",
        security_type=features.get("securitytype") or "Standard",
    )


def facts_of_gallery_image_version(
    version: dict[str, Any], definition: dict[str, Any]
) -> ImageFacts:
    """A version is what its definition says, found where the version lives."""
    facts = facts_of_definition(definition)
    return ImageFacts(
        location=_location(version),
        os_type=facts.os_type,
        os_state=facts.os_state,
        hyper_v_generation=facts.hyper_v_generation,
        architecture=facts.architecture,
        security_type=facts.security_type,
    )


def _disk_security_family(security_type: str | None) -> str | None:
    """Disk security types name the encryption too; keep only the VM family."""
    if not security_type:
        return None
    lowered = security_type.lower()
    if lowered.startswith("confidentialvm"):
        return "ConfidentialVM"
    if lowered.startswith("trustedlaunch"):
        return "TrustedLaunch"
    return "Standard"


# Which definition security types can hold an image of each source security family.
_SECURITY_FITS = {
    "standard": {
        "standard",
        "trustedlaunch",
        "trustedlaunchsupported",
        "confidentialvmsupported",
        "trustedlaunchandconfidentialvmsupported",
    },
    "trustedlaunch": {
        "trustedlaunch",
        "trustedlaunchsupported",
        "trustedlaunchandconfidentialvmsupported",
    },
    "confidentialvm": {
        "confidentialvm",
        "confidentialvmsupported",
        "trustedlaunchandconfidentialvmsupported",
    },
}


def _security_fits(source: str, definition: str) -> bool:
    allowed = _SECURITY_FITS.get(source.lower())
    return allowed is None or definition.lower() in allowed


def definition_mismatches(source: ImageFacts, definition: ImageFacts) -> list[str]:
    """Each way the source disagrees with the definition, as a readable sentence."""
    problems: list[str] = []
    pairs = (
        ("OS type", source.os_type, definition.os_type),
        ("OS state", source.os_state, definition.os_state),
        ("Hyper-V generation", source.hyper_v_generation, definition.hyper_v_generation),
        ("architecture", source.architecture, definition.architecture),
    )
    for label, have, want in pairs:
        if have and want and have.lower() != want.lower():
            problems.append(f"the source's {label} is {have} but the definition's is {want}")
    if (
        source.security_type
        and definition.security_type
        and not _security_fits(source.security_type, definition.security_type)
    ):
        problems.append(
            f"a {source.security_type} source cannot go into a definition of security type {definition.security_type}"
        )
    return problems


def check_source_fits_definition(
    source: VersionSource, facts: ImageFacts, definition: ImageFacts
) -> None:
    problems = definition_mismatches(facts, definition)
    if problems:
        raise OptionError(source.option, "; ".join(problems))


def check_source_region(
    source: VersionSource, facts: ImageFacts, regions: list[TargetRegion]
) -> None:
    """Azure replicates from the source's region, so that region must be a target."""
    if not facts.location or not regions:
        return
    names = [region.name for region in regions]
    if facts.location not in names:
        raise OptionError(
            "target_regions",
            f"the source region {facts.location} (of {source.option}) must be one of the target regions "
            f"({', '.join(names)})",
        )
