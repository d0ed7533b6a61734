"""Microsoft.Storage storage accounts: create (long-running), read, list, delete, keys.

Blob endpoints point at the configured blob service (Azurite) when `azsim start` was given
`--blob-endpoint`; a `{account}` in that URL is replaced by the account name.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from azsim.core import ArmError, Request, Response, Sim, event, iso, route
from azsim.core.paging import list_routes

STORAGE_API_VERSIONS = (
    "2019-06-01",
    "2021-04-01",
    "2021-09-01",
    "2022-05-01",
    "2022-09-01",
    "2023-01-01",
    "2023-04-01",
    "2023-05-01",
    "2024-01-01",
    "2025-01-01",
    "2025-06-01",
    "2026-09-01",
)
ACCOUNT_TYPE = "Microsoft.Storage/storageAccounts"
ACCOUNTS = (
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
    "/providers/Microsoft.Storage/storageAccounts"
)
CREATE_SECONDS = 20.0
_NAME = re.compile(r"^[a-z0-9]{3,24}$")
SKUS = {
    "Standard_LRS",
    "Standard_GRS",
    "Standard_RAGRS",
    "Standard_ZRS",
    "Premium_LRS",
    "Premium_ZRS",
    "Standard_GZRS",
    "Standard_RAGZRS",
}


def _body(req: Request) -> dict[str, Any]:
    return req.json if isinstance(req.json, dict) else {}


def _endpoints(sim: Sim, name: str) -> dict[str, str]:
    blob = sim.config("blob_endpoint")
    endpoints = {
        service: f"https://{name}.{service}.core.windows.net/"
        for service in ("blob", "queue", "table", "file", "dfs")
    }
    endpoints["web"] = f"https://{name}.z13.web.core.windows.net/"
    if blob:
        endpoints["blob"] = blob.replace("{account}", name).rstrip("/") + "/"
    return endpoints


def _keys(sim: Sim, resource_id: str) -> list[str]:
    """Two stable keys per account; the configured blob key first, so Azurite accepts it."""
    seed = f"{sim.tenant_id}:{resource_id.lower()}"
    keys = [
        base64.b64encode(hashlib.sha512(f"{seed}:{n}".encode()).digest()).decode() for n in (1, 2)
    ]
    configured = sim.config("blob_key")
    return [configured, keys[1]] if configured else keys


def _name_taken_elsewhere(sim: Sim, name: str, resource_id: str) -> bool:
    return any(
        a["name"].lower() == name and a["id"].lower() != resource_id.lower()
        for a in sim.store.by_type(ACCOUNT_TYPE)
    )


def _validate_name(name: str) -> None:
    if not _NAME.match(name):
        raise ArmError(
            400,
            "AccountNameInvalid",
            f"{name} is not a valid storage account name. Storage account name must be between "
            "3 and 24 characters in length and use numbers and lower-case letters only.",
        )


@route(
    "PUT",
    ACCOUNTS + "/{accountName}",
    api_versions=STORAGE_API_VERSIONS,
    action="Microsoft.Storage/storageAccounts/write",
)
def put_account(req: Request) -> Response:
    name = req.params["accountName"]
    _validate_name(name)
    body = _body(req)
    existing = req.sim.store.get(req.path)
    if existing is not None:
        return Response.ok(_update(req, existing, body))
    if _name_taken_elsewhere(req.sim, name, req.path):
        raise ArmError(
            409, "StorageAccountAlreadyTaken", f"The storage account named {name} is already taken."
        )
    sku = (body.get("sku") or {}).get("name")
    if sku not in SKUS:
        raise ArmError(
            400,
            "InvalidRequestPropertyValue" if sku else "MissingRequiredProperty",
            f"The value '{sku}' is not valid for property 'sku.name'.",
        )
    if not body.get("kind") or not body.get("location"):
        raise ArmError(
            400, "MissingRequiredProperty", "The properties 'kind' and 'location' are required."
        )
    location = req.sim.normalize_location(body["location"], "storageAccounts")
    props = body.get("properties") or {}
    account = {
        "id": req.path,
        "name": name,
        "type": ACCOUNT_TYPE,
        "location": location,
        "tags": body.get("tags") or {},
        "sku": {"name": sku, "tier": "Premium" if sku.startswith("Premium") else "Standard"},
        "kind": body["kind"],
        "properties": {
            "provisioningState": "Creating",
            "creationTime": iso(req.sim.now()),
            "primaryLocation": location,
            "statusOfPrimary": "available",
            "primaryEndpoints": _endpoints(req.sim, name),
            "accessTier": props.get("accessTier", "Hot"),
            "supportsHttpsTrafficOnly": props.get("supportsHttpsTrafficOnly", True),
            "minimumTlsVersion": props.get("minimumTlsVersion", "TLS1_2"),
            "allowBlobPublicAccess": props.get("allowBlobPublicAccess", False),
            "allowSharedKeyAccess": props.get("allowSharedKeyAccess", True),
            "publicNetworkAccess": props.get("publicNetworkAccess", "Enabled"),
            "networkAcls": props.get("networkAcls")
            or {
                "bypass": "AzureServices",
                "virtualNetworkRules": [],
                "ipRules": [],
                "defaultAction": "Allow",
            },
            "encryption": {
                "keySource": "Microsoft.Storage",
                "services": {
                    "blob": {"enabled": True, "keyType": "Account"},
                    "file": {"enabled": True, "keyType": "Account"},
                },
            },
        },
    }
    req.sim.store.put(req.path, account)
    return req.sim.lro(
        req,
        resource_id=req.path,
        status=202,
        body=None,
        duration=CREATE_SECONDS,
        on_done=account_created,
        on_done_args={"account_id": req.path},
        location=location,
    )


def _update(req: Request, account: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    if "tags" in body:
        account["tags"] = body["tags"] or {}
    for key, value in (body.get("properties") or {}).items():
        if key in (
            "accessTier",
            "supportsHttpsTrafficOnly",
            "minimumTlsVersion",
            "allowBlobPublicAccess",
            "allowSharedKeyAccess",
            "publicNetworkAccess",
            "networkAcls",
        ):
            account["properties"][key] = value
    req.sim.store.put(req.path, account)
    return account


@event("storage.account_created")
def account_created(sim: Sim, *, account_id: str) -> None:
    sim.set_provisioning_state(account_id, "Succeeded")


@route(
    "PATCH",
    ACCOUNTS + "/{accountName}",
    api_versions=STORAGE_API_VERSIONS,
    action="Microsoft.Storage/storageAccounts/write",
)
def patch_account(req: Request) -> Response:
    return Response.ok(_update(req, req.sim.store.get_or_404(req.path), _body(req)))


@route(
    "GET",
    ACCOUNTS + "/{accountName}",
    api_versions=STORAGE_API_VERSIONS,
    action="Microsoft.Storage/storageAccounts/read",
)
def get_account(req: Request) -> Response:
    return Response.ok(req.sim.store.get_or_404(req.path))


@route(
    "DELETE",
    ACCOUNTS + "/{accountName}",
    api_versions=STORAGE_API_VERSIONS,
    action="Microsoft.Storage/storageAccounts/delete",
)
def delete_account(req: Request) -> Response:
    if not req.sim.store.delete_under(req.path):
        return Response.no_content()
    return Response.ok(None)


@route(
    "POST",
    ACCOUNTS + "/{accountName}/listKeys",
    api_versions=STORAGE_API_VERSIONS,
    action="Microsoft.Storage/storageAccounts/listkeys/action",
)
def list_keys(req: Request) -> Response:
    account = req.sim.store.get_or_404(req.path.rsplit("/", 1)[0])
    created = account["properties"]["creationTime"]
    return Response.ok(
        {
            "keys": [
                {
                    "keyName": f"key{n}",
                    "value": value,
                    "permissions": "FULL",
                    "creationTime": created,
                }
                for n, value in enumerate(_keys(req.sim, account["id"]), start=1)
            ]
        }
    )


list_routes(
    ACCOUNT_TYPE, api_versions=STORAGE_API_VERSIONS, action="Microsoft.Storage/storageAccounts/read"
)


@route(
    "POST",
    "/subscriptions/{subscriptionId}/providers/Microsoft.Storage/checkNameAvailability",
    api_versions=STORAGE_API_VERSIONS,
    action="Microsoft.Storage/checknameavailability/read",
)
def check_name(req: Request) -> Response:
    name = str(_body(req).get("name", ""))
    if not _NAME.match(name):
        return Response.ok(
            {
                "nameAvailable": False,
                "reason": "AccountNameInvalid",
                "message": f"{name} is not a valid storage account name.",
            }
        )
    if any(a["name"].lower() == name for a in req.sim.store.by_type(ACCOUNT_TYPE)):
        return Response.ok(
            {
                "nameAvailable": False,
                "reason": "AlreadyExists",
                "message": f"The storage account named {name} is already taken.",
            }
        )
    return Response.ok({"nameAvailable": True})
