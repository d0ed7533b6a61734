"""Resources scenarios start from, placed through the stand-in's seed API."""

from __future__ import annotations

import secrets
import uuid

from harness import Sim

COMPUTE = "providers/Microsoft.Compute"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
IDENTITY_PRINCIPAL = "7c4b2f0e-4a52-4b7e-9d5e-3f1b8f6a0c11"


def linux_image_body(location: str = "eastus") -> dict:
    return {
        "location": location,
        "properties": {
            "provisioningState": "Succeeded",
            "hyperVGeneration": "V2",
            "storageProfile": {
                "osDisk": {"osType": "Linux", "osState": "Generalized", "diskSizeGB": 30}
            },
        },
    }


def seed_sources(sim: Sim, group: str) -> dict[str, str]:
    """A gallery with one definition, managed images in two regions, a disk, and the identity
    Image Builder runs as (Contributor on the group); returns their ids by name."""
    group_id = sim.group_id(group)
    ids = {
        "gallery": f"{group_id}/{COMPUTE}/galleries/relgal",
        "definition": f"{group_id}/{COMPUTE}/galleries/relgal/images/linux",
        "image": f"{group_id}/{COMPUTE}/images/img-east",
        "image_west": f"{group_id}/{COMPUTE}/images/img-west",
        "disk": f"{group_id}/{COMPUTE}/disks/os1",
        "identity": f"{group_id}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/builder",
    }
    sim.seed(
        [
            {
                "id": ids["gallery"],
                "body": {"location": "eastus", "properties": {"provisioningState": "Succeeded"}},
            },
            {
                "id": ids["definition"],
                "body": {
                    "location": "eastus",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "osType": "Linux",
                        "osState": "Generalized",
                        "hyperVGeneration": "V2",
                        "identifier": {"publisher": "contoso", "offer": "linux", "sku": "1"},
                    },
                },
            },
            {"id": ids["image"], "body": linux_image_body()},
            {"id": ids["image_west"], "body": linux_image_body("westus")},
            {
                "id": ids["disk"],
                "body": {
                    "location": "eastus",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "osType": "Linux",
                        "hyperVGeneration": "V2",
                        "diskSizeGB": 30,
                    },
                },
            },
            {
                "id": ids["identity"],
                "body": {
                    "location": "eastus",
                    "properties": {
                        "principalId": IDENTITY_PRINCIPAL,
                        "clientId": "2d1f7c7e-9b0a-4c55-8f0e-6a1d2b3c4d5e",
                        "tenantId": sim.stand_in.tenant_id,
                    },
                },
            },
            {
                "id": f"{group_id}/providers/Microsoft.Authorization/roleAssignments/"
                "5d9f1c3a-6b2e-4f7a-8c1d-0e9b8a7f6c5d",
                "body": {
                    "properties": {
                        "principalId": IDENTITY_PRINCIPAL,
                        "principalType": "ServicePrincipal",
                        "roleDefinitionId": f"/subscriptions/{sim.subscription_id}/providers/"
                        f"Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR}",
                        "scope": group_id,
                    }
                },
            },
        ]
    )
    return ids


def add_outsider(sim: Sim) -> dict[str, str]:
    """A principal the tenant knows, with no role anywhere (roles are added per scenario)."""
    secret = f"outsider-{secrets.token_hex(12)}"
    record = sim.admin.add_principal(
        client_id=str(uuid.uuid4()), secret=secret, display_name="reliability outsider"
    )
    return {"client_id": record["client_id"], "object_id": record["object_id"], "secret": secret}
