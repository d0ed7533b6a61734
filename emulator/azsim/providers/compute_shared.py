"""What consumers see of shared galleries: community galleries by public name, and galleries
shared with their subscription or tenant (read only, as in Azure)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from azsim.core import ids
from azsim.core.errors import ArmError
from azsim.core.http import Request, Response
from azsim.core.routing import route
from azsim.providers import compute_rules as rules
from azsim.providers.compute_sources import DEFINITION, GALLERY, VERSION

if TYPE_CHECKING:
    from azsim.core.sim import Sim

API = rules.GALLERY_API_VERSIONS
LOCATION = "/subscriptions/{subscriptionId}/providers/Microsoft.Compute/locations/{location}"
COMMUNITY = LOCATION + "/communityGalleries/{publicGalleryName}"
SHARED_LIST = LOCATION + "/sharedGalleries"
SHARED = SHARED_LIST + "/{galleryUniqueName}"
IMAGE_FIELDS = ("osType", "osState", "endOfLifeDate", "identifier", "recommended", "disallowed",
                "hyperVGeneration", "features", "purchasePlan", "architecture",
                "privacyStatementUri", "eula")  # fmt: skip


def sharing_of(gallery: dict) -> dict:
    return (gallery.get("properties") or {}).get("sharingProfile") or {}


def public_names(gallery: dict) -> list[str]:
    info = sharing_of(gallery).get("communityGalleryInfo") or {}
    return list(info.get("publicNames") or []) if info.get("communityGalleryEnabled") else []


def community_gallery(sim: Sim, public_name: str) -> dict:
    for gallery in sim.store.by_type(GALLERY):
        if public_name.lower() in (name.lower() for name in public_names(gallery)):
            return gallery
    raise ArmError(
        404,
        "NotFound",
        f"The community gallery '{public_name}' was not found or is not shared to the community.",
    )


def shared_with(gallery: dict, subscription_id: str, tenant_id: str, tenant_scope: bool) -> bool:
    sharing = sharing_of(gallery)
    if sharing.get("permissions") != "Groups":
        return False
    wanted = ("AADTenants", tenant_id) if tenant_scope else ("Subscriptions", subscription_id)
    return any(
        group["type"] == wanted[0] and wanted[1].lower() in (i.lower() for i in group["ids"])
        for group in sharing.get("groups") or []
    )


def shared_galleries(req: Request) -> list[dict]:
    tenant_scope = (req.query.get("sharedTo") or "").lower() == "tenant"
    tenant = req.principal.tenant_id if req.principal else req.sim.tenant_id
    return [
        gallery
        for gallery in req.sim.store.by_type(GALLERY)
        if shared_with(gallery, req.params["subscriptionId"], tenant, tenant_scope)
    ]


def shared_gallery(req: Request) -> dict:
    unique_name = req.params["galleryUniqueName"].lower()
    for gallery in req.sim.store.by_type(GALLERY):
        identifier = (gallery.get("properties") or {}).get("identifier") or {}
        if str(identifier.get("uniqueName", "")).lower() != unique_name:
            continue
        tenant = req.principal.tenant_id if req.principal else req.sim.tenant_id
        if shared_with(gallery, req.params["subscriptionId"], tenant, False) or shared_with(
            gallery, req.params["subscriptionId"], tenant, True
        ):
            return gallery
    raise ArmError(
        404,
        "NotFound",
        f"The shared gallery '{req.params['galleryUniqueName']}' was not found or is not shared "
        f"with subscription '{req.params['subscriptionId']}'.",
    )


# ---------------------------------------------------------------- views


def gallery_view(gallery: dict, name: str, location: str, kind: str, unique_id: str) -> dict:
    properties: dict[str, Any] = {"artifactTags": {}}
    if kind == "communityGalleries":
        properties["communityMetadata"] = community_metadata(gallery)
    return {
        "name": name,
        "location": location,
        "type": f"Microsoft.Compute/locations/{kind}",
        "identifier": {"uniqueId": unique_id},
        "properties": properties,
    }


def image_view(definition: dict, location: str, kind: str, base_id: str) -> dict:
    props = definition.get("properties") or {}
    return {
        "name": definition["name"],
        "location": location,
        "type": f"Microsoft.Compute/locations/{kind}/images",
        "identifier": {"uniqueId": f"{base_id}/Images/{definition['name']}"},
        "properties": {key: props[key] for key in IMAGE_FIELDS if key in props},
    }


def version_view(version: dict, location: str, kind: str, base_id: str) -> dict:
    props = version.get("properties") or {}
    publishing = props.get("publishingProfile") or {}
    storage = props.get("storageProfile") or {}
    os_disk = storage.get("osDiskImage") or {}
    image_name = ids.parse(ids.parse(version["id"]).parent).name
    return {
        "name": version["name"],
        "location": location,
        "type": f"Microsoft.Compute/locations/{kind}/images/versions",
        "identifier": {"uniqueId": f"{base_id}/Images/{image_name}/Versions/{version['name']}"},
        "properties": {
            "publishedDate": publishing.get("publishedDate"),
            "endOfLifeDate": publishing.get("endOfLifeDate"),
            "excludeFromLatest": bool(publishing.get("excludeFromLatest")),
            "storageProfile": {
                "osDiskImage": {
                    "diskSizeGB": os_disk.get("sizeInGB"),
                    "hostCaching": os_disk.get("hostCaching"),
                },
                "dataDiskImages": [
                    {
                        "lun": d.get("lun"),
                        "diskSizeGB": d.get("sizeInGB"),
                        "hostCaching": d.get("hostCaching"),
                    }
                    for d in storage.get("dataDiskImages") or []
                ],
            },
            "imageState": "Active",
        },
    }


def definition_of(sim: Sim, gallery: dict, image_name: str) -> dict:
    found = sim.store.get(f"{gallery['id']}/images/{image_name}")
    if found is None:
        raise ArmError(404, "NotFound", f"The image '{image_name}' was not found in the gallery.")
    return found


def version_of(sim: Sim, definition: dict, version_name: str) -> dict:
    found = sim.store.get(f"{definition['id']}/versions/{version_name}")
    if found is None:
        raise ArmError(404, "NotFound", f"The image version '{version_name}' was not found.")
    return found


# ---------------------------------------------------------------- routes


def serve_tree(
    template: str, kind: str, find: Callable[[Request], dict], base: Callable[[dict], str]
) -> None:
    """Register the gallery, image and version reads of one consumer view."""

    def region(req: Request) -> str:
        return req.sim.normalize_location(req.params["location"])

    @route("GET", template, api_versions=API, action=f"Microsoft.Compute/locations/{kind}/read")
    def get_gallery(req: Request) -> Response:
        gallery = find(req)
        name = template.rsplit("{", 1)[1].rstrip("}")
        return Response.ok(
            gallery_view(gallery, req.params[name], region(req), kind, base(gallery))
        )

    @route("GET", template + "/images", api_versions=API,
           action=f"Microsoft.Compute/locations/{kind}/images/read")  # fmt: skip
    def list_images(req: Request) -> Response:
        gallery = find(req)
        definitions = sorted(
            req.sim.store.children(gallery["id"], DEFINITION), key=lambda d: d["name"]
        )
        items = [image_view(d, region(req), kind, base(gallery)) for d in definitions]
        return req.sim.page(req, items)

    @route("GET", template + "/images/{galleryImageName}", api_versions=API,
           action=f"Microsoft.Compute/locations/{kind}/images/read")  # fmt: skip
    def get_image(req: Request) -> Response:
        gallery = find(req)
        definition = definition_of(req.sim, gallery, req.params["galleryImageName"])
        return Response.ok(image_view(definition, region(req), kind, base(gallery)))

    @route("GET", template + "/images/{galleryImageName}/versions", api_versions=API,
           action=f"Microsoft.Compute/locations/{kind}/images/versions/read")  # fmt: skip
    def list_versions(req: Request) -> Response:
        gallery = find(req)
        definition = definition_of(req.sim, gallery, req.params["galleryImageName"])
        versions = sorted(
            req.sim.store.children(definition["id"], VERSION), key=lambda v: v["name"]
        )
        items = [version_view(v, region(req), kind, base(gallery)) for v in versions]
        return req.sim.page(req, items)

    @route("GET", template + "/images/{galleryImageName}/versions/{galleryImageVersionName}",
           api_versions=API, action=f"Microsoft.Compute/locations/{kind}/images/versions/read")  # fmt: skip
    def get_version(req: Request) -> Response:
        gallery = find(req)
        definition = definition_of(req.sim, gallery, req.params["galleryImageName"])
        version = version_of(req.sim, definition, req.params["galleryImageVersionName"])
        return Response.ok(version_view(version, region(req), kind, base(gallery)))


def community_base(gallery: dict) -> str:
    return f"/CommunityGalleries/{public_names(gallery)[0]}"


def shared_base(gallery: dict) -> str:
    return f"/SharedGalleries/{gallery['properties']['identifier']['uniqueName']}"


serve_tree(
    COMMUNITY,
    "communityGalleries",
    lambda req: community_gallery(req.sim, req.params["publicGalleryName"]),
    community_base,
)
serve_tree(SHARED, "sharedGalleries", shared_gallery, shared_base)


@route(
    "GET", SHARED_LIST, api_versions=API, action="Microsoft.Compute/locations/sharedGalleries/read"
)
def list_shared_galleries(req: Request) -> Response:
    region = req.sim.normalize_location(req.params["location"])
    galleries = sorted(
        shared_galleries(req), key=lambda g: g["properties"]["identifier"]["uniqueName"]
    )
    items = [
        gallery_view(g, g["properties"]["identifier"]["uniqueName"], region, "sharedGalleries",
                     shared_base(g))
        for g in galleries
    ]  # fmt: skip
    return req.sim.page(req, items)


def community_metadata(gallery: dict) -> dict[str, Any]:
    info = sharing_of(gallery).get("communityGalleryInfo") or {}
    return {
        "publisherUri": info.get("publisherUri"),
        "publisherContact": info.get("publisherContact"),
        "eula": info.get("eula"),
        "publicNames": public_names(gallery),
    }
