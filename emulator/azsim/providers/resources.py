"""Microsoft.Resources: subscriptions, locations, tenants, providers, resource groups; and the
ARM metadata document clients discover a cloud from."""

from __future__ import annotations

import re
from typing import Any

from azsim.core import ArmError, Request, Response, Sim, event, ids, route
from azsim.core.errors import resource_group_not_found
from azsim.core.routing import ROUTES

GROUP_API_VERSIONS = (
    "2016-09-01",
    "2017-05-10",
    "2018-05-01",
    "2019-05-01",
    "2019-05-10",
    "2019-07-01",
    "2019-08-01",
    "2019-10-01",
    "2020-06-01",
    "2020-08-01",
    "2020-10-01",
    "2021-01-01",
    "2021-04-01",
    "2022-09-01",
    "2023-07-01",
    "2024-03-01",
    "2024-07-01",
    "2024-11-01",
    "2025-03-01",
    "2025-04-01",
)
# ARM answers subscription reads at the subscription API's versions and at the resource API's
SUBSCRIPTION_API_VERSIONS = tuple(
    sorted(
        {
            "2016-06-01",
            "2018-06-01",
            "2019-06-01",
            "2019-11-01",
            "2020-01-01",
            "2021-01-01",
            "2022-01-01",
            "2022-09-01",
            "2022-12-01",
            "2023-07-01",
            "2024-08-01",
            "2024-11-01",
            "2025-03-01",
            *GROUP_API_VERSIONS,
        }
    )
)
GROUP_TYPE = "Microsoft.Resources/resourceGroups"
GROUP_DELETE_SECONDS = 60.0
GROUP = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
_GROUP_NAME = re.compile(r"^[-\w._()]{1,90}$")


# -- subscriptions, tenants, locations ------------------------------------------------------


# Any signed-in principal may list: the list holds the subscriptions it has a role in.
@route("GET", "/subscriptions", api_versions=SUBSCRIPTION_API_VERSIONS)
def list_subscriptions(req: Request) -> Response:
    principal = req.principal
    visible = [
        s
        for s in req.sim.subscriptions()
        if principal is None
        or req.sim.authz.assignments_for(principal.object_id, s["id"])
        or _has_assignment_below(req.sim, principal.object_id, s["id"])
    ]
    return req.sim.page(req, visible)


def _has_assignment_below(sim: Sim, object_id: str, scope: str) -> bool:
    for assignment in sim.store.by_type("Microsoft.Authorization/roleAssignments", scope):
        if assignment.get("properties", {}).get("principalId", "").lower() == object_id.lower():
            return True
    return False


@route(
    "GET",
    "/subscriptions/{subscriptionId}",
    api_versions=SUBSCRIPTION_API_VERSIONS,
    action="Microsoft.Resources/subscriptions/read",
)
def get_subscription(req: Request) -> Response:
    subscription = req.sim.store.get(req.path)
    assert subscription is not None  # the server checked the subscription exists
    return Response.ok(subscription)


@route(
    "GET",
    "/subscriptions/{subscriptionId}/locations",
    api_versions=SUBSCRIPTION_API_VERSIONS,
    action="Microsoft.Resources/subscriptions/read",
)
def list_locations(req: Request) -> Response:
    sub = req.params["subscriptionId"]
    return Response.ok(
        {"value": [_location(sub, name, display) for name, display in req.sim.region_names.items()]}
    )


def _location(subscription: str, name: str, display: str) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{subscription}/locations/{name}",
        "name": name,
        "type": "Region",
        "displayName": display,
        "regionalDisplayName": display,
        "metadata": {"regionType": "Physical", "regionCategory": "Recommended"},
    }


@route("GET", "/tenants", api_versions=SUBSCRIPTION_API_VERSIONS)
def list_tenants(req: Request) -> Response:
    tenant = req.sim.tenant_id
    return Response.ok(
        {
            "value": [
                {
                    "id": f"/tenants/{tenant}",
                    "tenantId": tenant,
                    "tenantCategory": "Home",
                    "displayName": "azsim",
                    "defaultDomain": "azsim.onmicrosoft.com",
                    "domains": ["azsim.onmicrosoft.com"],
                    "tenantType": "AAD",
                }
            ]
        }
    )


# -- resource providers ----------------------------------------------------------------------


def _provider(subscription: str, namespace: str) -> dict[str, Any] | None:
    types: dict[str, set[str]] = {}
    canonical = None
    for registered in ROUTES:
        if registered.admin or registered.api_versions is None:
            continue
        parsed = ids.parse(registered.template)
        if not parsed.namespace or parsed.namespace.lower() != namespace.lower():
            continue
        canonical = parsed.namespace
        resource_type = parsed.type.split("/", 1)[1] if "/" in parsed.type else parsed.type
        types.setdefault(resource_type, set()).update(registered.api_versions)
    if canonical is None:
        return None
    return {
        "id": f"/subscriptions/{subscription}/providers/{canonical}",
        "namespace": canonical,
        "registrationState": "Registered",
        "registrationPolicy": "RegistrationRequired",
        "resourceTypes": [
            {
                "resourceType": t,
                "locations": sorted(Sim.region_names.values()),
                "apiVersions": sorted(v, reverse=True),
            }
            for t, v in sorted(types.items())
        ],
    }


def _namespaces() -> list[str]:
    found = {}
    for registered in ROUTES:
        namespace = ids.parse(registered.template).namespace
        if namespace and "{" not in namespace:
            found[namespace.lower()] = namespace
    return sorted(found.values())


@route(
    "GET",
    "/subscriptions/{subscriptionId}/providers",
    api_versions=GROUP_API_VERSIONS,
    action="Microsoft.Resources/subscriptions/providers/read",
)
def list_providers(req: Request) -> Response:
    sub = req.params["subscriptionId"]
    providers = [p for p in (_provider(sub, ns) for ns in _namespaces()) if p]
    return req.sim.page(req, providers)


@route(
    "GET",
    "/subscriptions/{subscriptionId}/providers/{namespace}",
    api_versions=GROUP_API_VERSIONS,
    action="Microsoft.Resources/subscriptions/providers/read",
)
def get_provider(req: Request) -> Response:
    provider = _provider(req.params["subscriptionId"], req.params["namespace"])
    if provider is None:
        raise ArmError(
            404,
            "InvalidResourceNamespace",
            f"The resource namespace '{req.params['namespace']}' is invalid.",
        )
    return Response.ok(provider)


@route(
    "POST",
    "/subscriptions/{subscriptionId}/providers/{namespace}/register",
    api_versions=GROUP_API_VERSIONS,
    action="{namespace}/register/action",
)
def register_provider(req: Request) -> Response:
    return get_provider(req)


# -- resource groups ----------------------------------------------------------------------------


def _group_or_404(req: Request) -> dict[str, Any]:
    group = req.sim.store.get(req.path)
    if group is None:
        raise resource_group_not_found(req.params["resourceGroupName"])
    return group


@route(
    "PUT",
    GROUP,
    api_versions=GROUP_API_VERSIONS,
    action="Microsoft.Resources/subscriptions/resourceGroups/write",
)
def put_group(req: Request) -> Response:
    name = req.params["resourceGroupName"]
    if not _GROUP_NAME.match(name) or name.endswith("."):
        raise ArmError(
            400,
            "InvalidResourceGroup",
            f"The provided resource group name '{name}' has these invalid characters: "
            "The name can only be a letter, digit, '-', '.', '(', ')' or '_'.",
        )
    body = req.json if isinstance(req.json, dict) else {}
    if not body.get("location"):
        raise ArmError(
            400, "LocationRequired", "The location property is required for this definition."
        )
    location = req.sim.normalize_location(body["location"], "resourceGroups")
    existing = req.sim.store.get(req.path)
    if existing is not None:
        if existing["properties"]["provisioningState"] == "Deleting":
            raise _being_deleted(name)
        if existing["location"] != location:
            raise ArmError(
                409,
                "InvalidResourceGroupLocation",
                f"Invalid resource group location '{location}'. The Resource group already "
                f"exists in location '{existing['location']}'.",
            )
    group = {
        "id": (existing or {}).get(
            "id", f"/subscriptions/{req.params['subscriptionId']}/resourceGroups/{name}"
        ),
        "name": (existing or {}).get("name", name),
        "type": GROUP_TYPE,
        "location": location,
        "properties": {"provisioningState": "Succeeded"},
    }
    if body.get("tags") is not None:
        group["tags"] = body["tags"]
    if body.get("managedBy"):
        group["managedBy"] = body["managedBy"]
    req.sim.store.put(req.path, group)
    return Response(200 if existing else 201, group)


def _being_deleted(name: str) -> ArmError:
    return ArmError(
        409,
        "ResourceGroupBeingDeleted",
        f"The resource group '{name}' is in deprovisioning state and cannot perform this "
        "operation.",
    )


@route(
    "GET",
    GROUP,
    api_versions=GROUP_API_VERSIONS,
    action="Microsoft.Resources/subscriptions/resourceGroups/read",
)
def get_group(req: Request) -> Response:
    return Response.ok(_group_or_404(req))


@route(
    "HEAD",
    GROUP,
    api_versions=GROUP_API_VERSIONS,
    action="Microsoft.Resources/subscriptions/resourceGroups/read",
)
def head_group(req: Request) -> Response:
    return Response.no_content() if req.sim.store.get(req.path) else Response(404)


@route(
    "PATCH",
    GROUP,
    api_versions=GROUP_API_VERSIONS,
    action="Microsoft.Resources/subscriptions/resourceGroups/write",
)
def patch_group(req: Request) -> Response:
    group = _group_or_404(req)
    if group["properties"]["provisioningState"] == "Deleting":
        raise _being_deleted(group["name"])
    body = req.json if isinstance(req.json, dict) else {}
    if "tags" in body:
        group["tags"] = body["tags"] or {}
    if body.get("managedBy"):
        group["managedBy"] = body["managedBy"]
    req.sim.store.put(req.path, group)
    return Response.ok(group)


@route(
    "DELETE",
    GROUP,
    api_versions=GROUP_API_VERSIONS,
    action="Microsoft.Resources/subscriptions/resourceGroups/delete",
)
def delete_group(req: Request) -> Response:
    group = _group_or_404(req)
    return req.sim.lro_delete(
        req,
        resource_id=group["id"],
        body=group,
        duration=GROUP_DELETE_SECONDS,
        on_done=group_deleted,
        on_done_args={"group_id": group["id"]},
        location=group["location"],
    )


@event("resources.group_deleted")
def group_deleted(sim: Sim, *, group_id: str) -> None:
    """Everything under the group goes, and the identities it held stop working."""
    for deleted in sim.delete_cascading(group_id):
        if ids.parse(deleted).type.lower() == "microsoft.managedidentity/userassignedidentities":
            for record in sim.principals.all():
                if (record.resource_id or "").lower() == deleted.lower():
                    sim.principals.remove(record.client_id)


@route(
    "GET",
    "/subscriptions/{subscriptionId}/resourceGroups",
    api_versions=GROUP_API_VERSIONS,
    action="Microsoft.Resources/subscriptions/resourceGroups/read",
)
def list_groups(req: Request) -> Response:
    scope = f"/subscriptions/{req.params['subscriptionId']}"
    groups = req.sim.store.by_type(GROUP_TYPE, scope)
    return req.sim.page(req, _filter_by_tag(req, groups))


_TAG_FILTER = re.compile(
    r"^\s*tagName\s+eq\s+'([^']*)'(?:\s+and\s+tagValue\s+eq\s+'([^']*)')?\s*$", re.IGNORECASE
)


def _filter_by_tag(req: Request, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    raw = req.query.get("$filter")
    if not raw:
        return items
    matched = _TAG_FILTER.match(raw)
    if not matched:
        raise ArmError(
            400,
            "InvalidFilterInQueryString",
            f"Invalid $filter '{raw}' specified in the query string.",
        )
    name, value = matched.group(1), matched.group(2)
    return [
        i
        for i in items
        if name in (i.get("tags") or {}) and (value is None or i["tags"][name] == value)
    ]


@route(
    "GET",
    GROUP + "/resources",
    api_versions=GROUP_API_VERSIONS,
    action="Microsoft.Resources/subscriptions/resourceGroups/resources/read",
)
def list_group_resources(req: Request) -> Response:
    group_id = req.path.rsplit("/", 1)[0]
    found = []
    for resource_id in req.sim.store.ids():
        parsed = ids.parse(resource_id)
        if parsed.parent.lower() == group_id.lower() and parsed.namespace:
            body = req.sim.store.get(resource_id) or {}
            found.append(
                {k: body.get(k) for k in ("id", "name", "type", "location", "tags") if k in body}
            )
    return req.sim.page(req, found)


# -- the metadata document --------------------------------------------------------------------

AUDIENCES = ["https://management.core.windows.net/", "https://management.azure.com/"]


def _login_endpoint(req: Request) -> str:
    if req.base_url == "https://management.azure.com":
        return "https://login.microsoftonline.com/"
    return f"{req.base_url}/"


@route("GET", "/metadata/endpoints", kind="metadata")
def metadata_endpoints(req: Request) -> Response:
    if req.api_version in (None, "", "2015-01-01"):
        return Response.ok(
            {
                "galleryEndpoint": f"{req.base_url}/",
                "graphEndpoint": "https://graph.windows.net/",
                "portalEndpoint": "https://portal.azure.com/",
                "authentication": {"loginEndpoint": _login_endpoint(req), "audiences": AUDIENCES},
            }
        )
    return Response.ok(
        [
            {
                "portal": "https://portal.azure.com",
                "authentication": {
                    "loginEndpoint": _login_endpoint(req),
                    "audiences": AUDIENCES,
                    "tenant": "common",
                    "identityProvider": "AAD",
                },
                "media": "https://rest.media.azure.net",
                "graphAudience": "https://graph.windows.net/",
                "graph": "https://graph.windows.net/",
                "name": "AzureCloud" if req.base_url == "https://management.azure.com" else "AzSim",
                "suffixes": {
                    "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
                    "acrLoginServer": "azurecr.io",
                    "sqlServerHostname": "database.windows.net",
                    "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
                    "keyVaultDns": "vault.azure.net",
                    "storage": "core.windows.net",
                    "azureFrontDoorEndpointSuffix": "azurefd.net",
                    "storageSyncEndpointSuffix": "afs.azure.net",
                    "mhsmDns": "managedhsm.azure.net",
                    "mysqlServerEndpoint": "mysql.database.azure.com",
                    "postgresqlServerEndpoint": "postgres.database.azure.com",
                    "sqlServerEndpoint": "database.windows.net",
                },
                "batch": "https://batch.core.windows.net/",
                "resourceManager": f"{req.base_url}/",
                "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/"
                "main/arm-compute/quickstart-templates/aliases.json",
                "activeDirectoryDataLake": "https://datalake.azure.net/",
                "sqlManagement": "https://management.core.windows.net:8443/",
                "microsoftGraphResourceId": "https://graph.microsoft.com/",
                "appInsightsResourceId": "https://api.applicationinsights.io",
                "logAnalyticsResourceId": "https://api.loganalytics.io",
            }
        ]
    )
