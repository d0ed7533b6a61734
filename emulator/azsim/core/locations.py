"""The regions the stand-in knows, with Azure's display names."""

from __future__ import annotations

from azsim.core.errors import ArmError

REGIONS: dict[str, str] = {
    "eastus": "East US",
    "eastus2": "East US 2",
    "westus": "West US",
    "westus2": "West US 2",
    "westus3": "West US 3",
    "centralus": "Central US",
    "northcentralus": "North Central US",
    "southcentralus": "South Central US",
    "westcentralus": "West Central US",
    "canadacentral": "Canada Central",
    "brazilsouth": "Brazil South",
    "northeurope": "North Europe",
    "westeurope": "West Europe",
    "uksouth": "UK South",
    "francecentral": "France Central",
    "germanywestcentral": "Germany West Central",
    "swedencentral": "Sweden Central",
    "switzerlandnorth": "Switzerland North",
    "southeastasia": "Southeast Asia",
    "eastasia": "East Asia",
    "japaneast": "Japan East",
    "australiaeast": "Australia East",
    "centralindia": "Central India",
}

LOCATIONS: frozenset[str] = frozenset(REGIONS)


def normalize_location(location: str, resource_type: str = "") -> str:
    """ "East US" -> "eastus"; an unknown region is ARM's 400."""
    name = location.replace(" ", "").lower()
    if name not in REGIONS:
        kind = f" for resource type '{resource_type}'" if resource_type else ""
        raise ArmError(
            400,
            "LocationNotAvailableForResourceType",
            f"The provided location '{location}' is not available{kind}. "
            f"List of available regions is '{','.join(sorted(REGIONS))}'.",
        )
    return name
