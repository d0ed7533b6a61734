"""A small catalog of real Azure Marketplace platform images, offered in every region."""

from __future__ import annotations

from dataclasses import dataclass, field

from azsim.core.errors import ArmError


@dataclass(frozen=True)
class PlatformSku:
    publisher: str
    offer: str
    sku: str
    os_type: str
    hyper_v_generation: str
    versions: tuple[str, ...]
    architecture: str = "x64"
    size_gb: int = 30
    features: tuple[tuple[str, str], ...] = field(default=())


TRUSTED_LAUNCH = (("SecurityType", "TrustedLaunchAndConfidentialVmSupported"),
                  ("IsAcceleratedNetworkSupported", "True"),
                  ("DiskControllerTypes", "SCSI, NVMe"))  # fmt: skip

CATALOG: tuple[PlatformSku, ...] = (
    PlatformSku("Canonical", "ubuntu-24_04-lts", "server", "Linux", "V2",
                ("24.04.202409030", "24.04.202410170", "24.04.202502210"), features=TRUSTED_LAUNCH),
    PlatformSku("Canonical", "ubuntu-24_04-lts", "server-gen1", "Linux", "V1",
                ("24.04.202409030", "24.04.202410170", "24.04.202502210")),
    PlatformSku("Canonical", "ubuntu-24_04-lts", "minimal", "Linux", "V2",
                ("24.04.202409120", "24.04.202411030", "24.04.202502180"), features=TRUSTED_LAUNCH),
    PlatformSku("Canonical", "ubuntu-24_04-lts", "server-arm64", "Linux", "V2",
                ("24.04.202409030", "24.04.202502210"), architecture="Arm64"),
    PlatformSku("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2", "Linux", "V2",
                ("22.04.202409170", "22.04.202411010", "22.04.202502250"), features=TRUSTED_LAUNCH),
    PlatformSku("MicrosoftWindowsServer", "WindowsServer", "2022-datacenter-azure-edition",
                "Windows", "V2", ("20348.2700.240906", "20348.2762.241006", "20348.3207.250210"),
                size_gb=127, features=TRUSTED_LAUNCH),
    PlatformSku("MicrosoftWindowsServer", "WindowsServer", "2019-Datacenter", "Windows", "V1",
                ("17763.6293.240905", "17763.6414.241004", "17763.6893.250210"), size_gb=127),
    PlatformSku("RedHat", "RHEL", "9-lvm-gen2", "Linux", "V2",
                ("9.4.2024081415", "9.5.2024112211", "9.5.2025012815"), size_gb=64,
                features=TRUSTED_LAUNCH),
)  # fmt: skip


def version_sort_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else -1 for part in version.split("."))


def find_sku(publisher: str, offer: str, sku: str) -> PlatformSku | None:
    wanted = (publisher.lower(), offer.lower(), sku.lower())
    for entry in CATALOG:
        if (entry.publisher.lower(), entry.offer.lower(), entry.sku.lower()) == wanted:
            return entry
    return None


def image_not_found(location: str, publisher: str, offer: str, sku: str, version: str) -> ArmError:
    return ArmError(
        404,
        "ImageNotFound",
        f"The platform image '{publisher}:{offer}:{sku}:{version}' is not available in location "
        f"'{location}'. Verify that all fields in the storage profile are correct.",
    )


def resolve_version(entry: PlatformSku, version: str, location: str) -> str:
    """The exact version, with `latest` resolved to the highest one."""
    if version.lower() == "latest":
        return max(entry.versions, key=version_sort_key)
    for candidate in entry.versions:
        if candidate.lower() == version.lower():
            return candidate
    raise image_not_found(location, entry.publisher, entry.offer, entry.sku, version)


def image_body(entry: PlatformSku, version: str, location: str, subscription_id: str) -> dict:
    """The VirtualMachineImage shape the service returns for one version."""
    return {
        "location": location,
        "name": version,
        "id": image_id(entry, version, location, subscription_id),
        "properties": {
            "hyperVGeneration": entry.hyper_v_generation,
            "architecture": entry.architecture,
            "osDiskImage": {
                "operatingSystem": entry.os_type,
                "sizeInGb": entry.size_gb,
                "sizeInBytes": entry.size_gb * 1024**3 + 512,
            },
            "dataDiskImages": [],
            "automaticOSUpgradeProperties": {"automaticOSUpgradeSupported": False},
            "disallowed": {"vmDiskType": "Unmanaged"},
            "features": [{"name": name, "value": value} for name, value in entry.features],
            "imageDeprecationStatus": {"imageState": "Active"},
        },
    }


def image_id(entry: PlatformSku, version: str, location: str, subscription_id: str) -> str:
    return (
        f"/Subscriptions/{subscription_id}/Providers/Microsoft.Compute/Locations/{location}"
        f"/Publishers/{entry.publisher}/ArtifactTypes/VMImage/Offers/{entry.offer}"
        f"/Skus/{entry.sku}/Versions/{version}"
    )


def publishers() -> list[str]:
    return sorted({entry.publisher for entry in CATALOG})


def offers(publisher: str) -> list[str]:
    return sorted({e.offer for e in CATALOG if e.publisher.lower() == publisher.lower()})


def skus(publisher: str, offer: str) -> list[str]:
    return sorted(
        {
            e.sku
            for e in CATALOG
            if e.publisher.lower() == publisher.lower() and e.offer.lower() == offer.lower()
        }
    )
