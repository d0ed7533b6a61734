"""Microsoft.Compute: galleries, gallery image definitions and versions, and the functions
the Image Builder provider calls when a build distributes.

Virtual machines, disks, snapshots and the platform image catalog live in
`compute_machines.py`, managed images in `compute_images.py`, the consumer views of shared
and community galleries in `compute_shared.py`; the rules every path applies live in
`compute_rules.py`.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from azsim.core import ids
from azsim.core.errors import ArmError
from azsim.core.http import Request, Response
from azsim.core.paging import list_routes
from azsim.core.routing import event, route
from azsim.providers import compute_faults, compute_images, compute_machines
from azsim.providers import compute_rules as rules
from azsim.providers.compute_sources import (
    DEFINITION,
    GALLERY,
    VERSION,
    check_same_location,
    compute_id,
    delete_response,
    facts_of,
    payload_of,
    public,
    require_location,
    require_parent,
    resource_body,
    sorted_page,
    update_response,
    vhd_facts,
    write_response,
    write_target,
)

if TYPE_CHECKING:
    from azsim.core.sim import Sim

GALLERY_PATH = (
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
    "/providers/Microsoft.Compute/galleries"
)
GALLERY_ITEM = GALLERY_PATH + "/{galleryName}"
DEFINITION_PATH = GALLERY_ITEM + "/images"
DEFINITION_ITEM = DEFINITION_PATH + "/{galleryImageName}"
VERSION_PATH = DEFINITION_ITEM + "/versions"
VERSION_ITEM = VERSION_PATH + "/{galleryImageVersionName}"
SOFT_DELETED_PATH = (
    GALLERY_ITEM + "/softdeletedartifacttypes/{artifactType}/artifacts/{artifactName}/versions"
)
API = rules.GALLERY_API_VERSIONS

# Simulated seconds Azure takes for the quick gallery operations.
GALLERY_SECONDS = 8.0
DEFINITION_SECONDS = 6.0
SHARE_SECONDS = 15.0
VERSION_DELETE_SECONDS = 45.0


# ================================================================= shared event handlers


@event("compute.provisioned")
def provisioned(sim: Sim, *, resource_id: str, state: str = "Succeeded") -> None:
    """The end of a create or update: the resource reads the final provisioning state."""
    sim.set_provisioning_state(resource_id, state)


@event("compute.removed")
def removed(sim: Sim, *, resource_id: str, soft_delete: bool = False) -> None:
    """The end of a delete: the resource goes (a soft-deleted version is kept aside)."""
    body = sim.store.get(resource_id)
    if body is None:
        return
    if soft_delete:
        keep_soft_deleted(sim, body)
    sim.store.delete(resource_id)


@event("compute.version_provisioned")
def version_provisioned(sim: Sim, *, resource_id: str) -> None:
    """A version's home replica is done, unless its source went away while it was copied."""
    body = sim.store.get(resource_id)
    if body is None:
        return
    source_id = (body.get("__facts") or {}).get("resource_id", "")
    # Only stored sources can go; a build's facts name its template, not a source.
    copied = source_id.startswith("/") and ids.parse(source_id).namespace == "Microsoft.Compute"
    if copied and sim.store.get(source_id) is None:
        message = (
            f"The source '{source_id}' was deleted before the gallery image version "
            f"'{body['name']}' was replicated."
        )
        for entry in (body.get("__replication") or {}).values():
            entry.update(failed=True, details=message)
        mark(sim, resource_id, body, "Failed")
        raise ArmError(404, "NotFound", message)
    home = (body.get("__replication") or {}).get(body.get("location", ""), {})
    if home.get("failed"):
        mark(sim, resource_id, body, "Failed")
        raise ArmError(
            500,
            "ReplicationFailed",
            f"Replication of the gallery image version '{body['name']}' to its home region "
            f"'{body['location']}' failed: {home.get('details', '')}",
        )
    mark(sim, resource_id, body, "Succeeded")


def mark(sim: Sim, resource_id: str, body: dict, state: str) -> dict:
    body.setdefault("properties", {})["provisioningState"] = state
    sim.store.put(resource_id, body)
    return body


def start_delete(req: Request, resource_id: str, seconds: float, **done_args: Any) -> Response:
    return delete_response(req, resource_id, seconds, removed, **done_args)


def accepted_write(
    req: Request, resource_id: str, body: dict, created: bool, seconds: float
) -> Response:
    if body.get("type") == VERSION:
        view = version_view(req.sim, body)
        return write_response(
            req, resource_id, body, created, seconds, view=view, on_done=version_provisioned
        )
    return write_response(req, resource_id, body, created, seconds)


def same_location_as_parent(location: str, parent: dict, what: str) -> None:
    if location != parent.get("location"):
        raise ArmError(
            400,
            "InvalidParameter",
            f"The {what} location '{location}' must be the same as the location "
            f"'{parent.get('location')}' of its parent '{parent.get('name')}'.",
            target="location",
        )


def nested_resources_exist(children: list[dict]) -> ArmError:
    names = ", ".join(f"'{ids.type_with_names(child['id'])}'" for child in children[:3])
    return ArmError(
        409,
        "CannotDeleteResource",
        "Cannot delete resource while nested resources exist. Some existing nested resource IDs "
        f"include: {names}. Please delete all nested resources before deleting this resource.",
    )


# ================================================================= galleries


def gallery_id(p: dict[str, str]) -> str:
    return compute_id(p["subscriptionId"], p["resourceGroupName"], "galleries", p["galleryName"])


@route("PUT", GALLERY_ITEM, api_versions=API, action="Microsoft.Compute/galleries/write")
def put_gallery(req: Request) -> Response:
    p, sim = req.params, req.sim
    rules.validate_gallery_name(p["galleryName"])
    resource_id = gallery_id(p)
    payload, existing = write_target(req, resource_id)
    location = require_location(sim, payload, GALLERY)
    props = payload.get("properties") or {}
    stored: dict[str, Any] = {
        "description": props.get("description"),
        "identifier": {"uniqueName": f"{p['subscriptionId']}-{p['galleryName'].upper()}"},
        "provisioningState": "Updating" if existing else "Creating",
    }
    before = existing["properties"] if existing else {}
    sharing = rules.merge_sharing_profile(before.get("sharingProfile"), props.get("sharingProfile"))
    if sharing is not None:
        stored["sharingProfile"] = sharing
    policy = rules.normalize_soft_delete_policy(props.get("softDeletePolicy"))
    if policy or before.get("softDeletePolicy"):
        stored["softDeletePolicy"] = policy or before["softDeletePolicy"]
    body = resource_body(
        resource_id, GALLERY, location, rules.check_tags(payload.get("tags")), stored
    )
    if existing and existing.get("__softDeleted"):
        body["__softDeleted"] = existing["__softDeleted"]
    sim.store.put(resource_id, body)
    return accepted_write(req, resource_id, body, existing is None, GALLERY_SECONDS)


@route("PATCH", GALLERY_ITEM, api_versions=API, action="Microsoft.Compute/galleries/write")
def patch_gallery(req: Request) -> Response:
    sim, resource_id = req.sim, gallery_id(req.params)
    body = sim.store.get_or_404(resource_id)
    payload = payload_of(req)
    props = payload.get("properties") or {}
    if "tags" in payload:
        body["tags"] = rules.check_tags(payload["tags"])
    if "description" in props:
        body["properties"]["description"] = props["description"]
    sharing = rules.merge_sharing_profile(
        body["properties"].get("sharingProfile"), props.get("sharingProfile")
    )
    if sharing is not None:
        body["properties"]["sharingProfile"] = sharing
    policy = rules.normalize_soft_delete_policy(props.get("softDeletePolicy"))
    if policy is not None:
        body["properties"]["softDeletePolicy"] = policy
    return update_response(req, resource_id, body, GALLERY_SECONDS)


@route("GET", GALLERY_ITEM, api_versions=API, action="Microsoft.Compute/galleries/read")
def get_gallery(req: Request) -> Response:
    resource_id = gallery_id(req.params)
    body = req.sim.store.get_or_404(resource_id)
    view = rules.gallery_view(public(body), req.query.get("$select"), req.query.get("$expand"))
    return Response.ok(view)


def strip_groups(body: dict) -> dict:
    return rules.gallery_view(body, None, None)


list_routes(
    GALLERY,
    api_versions=API,
    action="Microsoft.Compute/galleries/read",
    view=lambda body: public(strip_groups(body)),
)


@route("DELETE", GALLERY_ITEM, api_versions=API, action="Microsoft.Compute/galleries/delete")
def delete_gallery(req: Request) -> Response:
    resource_id = gallery_id(req.params)
    children = req.sim.store.children(resource_id, DEFINITION)
    if children:
        raise nested_resources_exist(children)
    return start_delete(req, resource_id, GALLERY_SECONDS)


@route(
    "POST",
    GALLERY_ITEM + "/share",
    api_versions=API,
    action="Microsoft.Compute/galleries/share/action",
)
def share_gallery(req: Request) -> Response:
    sim, resource_id = req.sim, gallery_id(req.params)
    body = sim.store.get_or_404(resource_id)
    update = payload_of(req)
    current = body["properties"].get("sharingProfile") or rules.normalize_sharing_profile(None)
    unique_name = (body["properties"].get("identifier") or {}).get("uniqueName") or body["name"]
    public_name = unique_name.split("-")[0][:8]
    profile = rules.apply_sharing_update(current, update, public_name)
    mark(sim, resource_id, body, "Updating")
    answer = {"operationType": update.get("operationType")}
    if update.get("groups") is not None:
        answer["groups"] = rules.normalize_sharing_groups(update["groups"])
    return sim.lro(
        req,
        resource_id=resource_id,
        status=202,
        body=answer,
        duration=SHARE_SECONDS,
        on_done=sharing_applied,
        on_done_args={"resource_id": resource_id, "profile": profile, "answer": answer},
        final="location",
        location=body["location"],
    )


@event("compute.sharing_applied")
def sharing_applied(sim: Sim, *, resource_id: str, profile: dict, answer: dict) -> dict:
    """The share action's end: the new profile is in force; the operation result echoes it."""
    body = sim.store.get(resource_id)
    if body is not None:
        body["properties"]["sharingProfile"] = profile
        mark(sim, resource_id, body, "Succeeded")
    return answer


# ================================================================= gallery image definitions


def definition_id(p: dict[str, str]) -> str:
    return compute_id(
        p["subscriptionId"],
        p["resourceGroupName"],
        "galleries",
        p["galleryName"],
        "images",
        p["galleryImageName"],
    )


@route("PUT", DEFINITION_ITEM, api_versions=API, action="Microsoft.Compute/galleries/images/write")
def put_definition(req: Request) -> Response:
    p, sim = req.params, req.sim
    rules.validate_gallery_name(p["galleryImageName"], "galleryImageName")
    gallery = require_parent(sim, gallery_id(p))
    payload = payload_of(req)
    location = require_location(sim, payload, DEFINITION)
    same_location_as_parent(location, gallery, "gallery image")
    resource_id = definition_id(p)
    existing = sim.store.get(resource_id)
    check_same_location(sim, existing, payload)
    props = rules.normalize_definition(payload.get("properties"))
    if existing:
        rules.check_definition_update(existing["properties"], props)
    props.pop("provisioningState", None)
    props["provisioningState"] = "Updating" if existing else "Creating"
    body = resource_body(
        resource_id, DEFINITION, location, rules.check_tags(payload.get("tags")), props
    )
    sim.store.put(resource_id, body)
    return accepted_write(req, resource_id, body, existing is None, DEFINITION_SECONDS)


@route(
    "PATCH", DEFINITION_ITEM, api_versions=API, action="Microsoft.Compute/galleries/images/write"
)
def patch_definition(req: Request) -> Response:
    sim, resource_id = req.sim, definition_id(req.params)
    body = sim.store.get_or_404(resource_id)
    payload = payload_of(req)
    merged = {**body["properties"], **(payload.get("properties") or {})}
    props = rules.normalize_definition(merged)
    rules.check_definition_update(body["properties"], props)
    body["properties"] = props
    if "tags" in payload:
        body["tags"] = rules.check_tags(payload["tags"])
    return update_response(req, resource_id, body, DEFINITION_SECONDS)


@route("GET", DEFINITION_ITEM, api_versions=API, action="Microsoft.Compute/galleries/images/read")
def get_definition(req: Request) -> Response:
    resource_id = definition_id(req.params)
    body = req.sim.store.get_or_404(resource_id)
    return Response.ok(public(body))


@route("GET", DEFINITION_PATH, api_versions=API, action="Microsoft.Compute/galleries/images/read")
def list_definitions(req: Request) -> Response:
    parent = gallery_id(req.params)
    require_parent(req.sim, parent)
    return sorted_page(req, req.sim.store.children(parent, DEFINITION))


@route(
    "DELETE", DEFINITION_ITEM, api_versions=API, action="Microsoft.Compute/galleries/images/delete"
)
def delete_definition(req: Request) -> Response:
    resource_id = definition_id(req.params)
    children = req.sim.store.children(resource_id, VERSION)
    if children:
        raise nested_resources_exist(children)
    return start_delete(req, resource_id, DEFINITION_SECONDS)


# ================================================================= gallery image versions


def version_id_of(p: dict[str, str]) -> str:
    return definition_id(p) + f"/versions/{p['galleryImageVersionName']}"


def version_parts(version_id: str) -> tuple[str, str, str]:
    """(gallery id, definition id, version name) of a version id."""
    parsed = ids.parse(version_id)
    if parsed.type.lower() != VERSION.lower():
        raise ArmError(
            400,
            "InvalidParameter",
            f"'{version_id}' is not a gallery image version id.",
            target="id",
        )
    definition = parsed.parent
    return ids.parse(definition).parent, definition, parsed.name


def resolve_source(
    sim: Sim, storage: dict, definition: dict, principal_object_id: str | None, target_id: str
) -> rules.SourceFacts:
    """The facts of a version's OS source, checking that it exists and may be read."""
    source = storage.get("source") or {}
    os_source = (storage.get("osDiskImage") or {}).get("source") or {}
    source_id = source.get("id") or source.get("virtualMachineId") or os_source.get("id")
    if source_id:
        authorize_source_read(sim, principal_object_id, source_id, target_id)
        return facts_of(sim, source_id, definition)
    if os_source.get("uri"):
        return vhd_facts(sim, os_source["uri"], os_source.get("storageAccountId"), definition)
    if source.get("communityGalleryImageId"):
        raise ArmError(
            400,
            "InvalidParameter",
            f"The community gallery image '{source['communityGalleryImageId']}' was not found.",
            target="storageProfile.source.communityGalleryImageId",
        )
    raise ArmError(
        400,
        "InvalidParameter",
        "The gallery image version needs a source: storageProfile.source.id, "
        "storageProfile.source.virtualMachineId or storageProfile.osDiskImage.source.",
        target="storageProfile",
    )


def authorize_source_read(
    sim: Sim, principal_object_id: str | None, source_id: str, target_id: str
) -> None:
    if principal_object_id is None:
        return
    action = f"{ids.parse(source_id).type}/read"
    sim.authz.check(
        principal_object_id,
        action,
        source_id,
        linked=True,
        primary_action=f"{VERSION}/write",
        primary_scope=target_id,
    )


def normalize_data_disks(
    sim: Sim, storage: dict, principal_object_id: str | None, target_id: str
) -> list[dict]:
    disks = []
    luns: set[int] = set()
    for index, disk in enumerate(storage.get("dataDiskImages") or []):
        lun = disk.get("lun")
        if not isinstance(lun, int) or lun < 0 or lun in luns:
            raise ArmError(
                400,
                "InvalidParameter",
                f"dataDiskImages[{index}].lun must be a unique non-negative integer.",
                target=f"storageProfile.dataDiskImages[{index}].lun",
            )
        luns.add(lun)
        source = disk.get("source") or {}
        size = 32
        if source.get("id"):
            authorize_source_read(sim, principal_object_id, source["id"], target_id)
            size = facts_of(sim, source["id"]).size_gb
        elif source.get("uri"):
            vhd_facts(
                sim,
                source["uri"],
                source.get("storageAccountId"),
                {"osType": "", "osState": ""},
            )
        entry: dict[str, Any] = {
            "lun": lun,
            "hostCaching": rules.check_enum(
                disk.get("hostCaching") or "None",
                rules.HOST_CACHING,
                f"dataDiskImages[{index}].hostCaching",
            ),
            "sizeInGB": size,
        }
        if source:
            entry["source"] = source
        disks.append(entry)
    return disks


def build_storage_profile(storage: dict, facts: rules.SourceFacts, data_disks: list[dict]) -> dict:
    os_disk = storage.get("osDiskImage") or {}
    stored: dict[str, Any] = {
        "osDiskImage": {
            "hostCaching": rules.check_enum(
                os_disk.get("hostCaching") or "ReadWrite",
                rules.HOST_CACHING,
                "storageProfile.osDiskImage.hostCaching",
            ),
            "sizeInGB": facts.size_gb,
        },
        "dataDiskImages": data_disks,
    }
    if storage.get("source"):
        stored["source"] = {k: v for k, v in storage["source"].items() if v}
    if os_disk.get("source"):
        stored["osDiskImage"]["source"] = os_disk["source"]
    return stored


def prepare_version(
    sim: Sim,
    version_id: str,
    payload: dict,
    principal_object_id: str | None,
    existing: dict | None,
    facts: rules.SourceFacts | None = None,
) -> tuple[dict, float]:
    """Validate a version request and return the body to store and the provisioning time."""
    gallery_key, definition_key, name = version_parts(version_id)
    rules.parse_version_name(name)
    definition = require_parent(sim, definition_key)
    gallery = require_parent(sim, gallery_key)
    location = require_location(sim, payload, VERSION)
    same_location_as_parent(location, gallery, "gallery image version")
    props = payload.get("properties") or {}
    now = sim.now()
    publishing = rules.normalize_publishing_profile(
        props.get("publishingProfile"),
        location,
        lambda region: sim.normalize_location(region, VERSION),
        now,
    )
    if existing:
        before = (existing["properties"].get("publishingProfile") or {}).get("publishedDate")
        publishing["publishedDate"] = before or publishing["publishedDate"]
    safety = rules.normalize_safety_profile(props.get("safetyProfile"), publishing)
    storage = props.get("storageProfile") or {}
    if existing and not rules.source_key(storage):
        storage = {**storage, **source_only(existing["properties"].get("storageProfile") or {})}
    if facts is None and existing and not rules.source_key(storage) and existing.get("__facts"):
        # A version a build distributed has no source reference to re-read: keep what it was made from.
        facts = rules.SourceFacts(**existing["__facts"])
    if facts is None:
        facts = resolve_source(
            sim, storage, definition["properties"], principal_object_id, version_id
        )
    regions = [region["name"] for region in publishing["targetRegions"]]
    rules.check_source_fits(definition["properties"], facts, regions)
    data_disks = normalize_data_disks(sim, storage, principal_object_id, version_id)
    if not storage.get("dataDiskImages") and facts.data_disks:
        data_disks = [dict(disk) for disk in facts.data_disks]  # the source's own data disks
    stored: dict[str, Any] = {
        "publishingProfile": publishing,
        "storageProfile": build_storage_profile(storage, facts, data_disks),
        "safetyProfile": safety,
        "provisioningState": "Updating" if existing else "Creating",
    }
    if props.get("securityProfile"):
        stored["securityProfile"] = props["securityProfile"]
    if existing:
        rules.check_version_update(existing["properties"], stored)
    rules.check_shallow_regions(publishing, facts.location)
    body = resource_body(
        version_id, VERSION, location, rules.check_tags(payload.get("tags")), stored
    )
    previous = existing.get("__replication") if existing else None
    plan = rules.replication_plan(
        publishing["targetRegions"], location, publishing["replicationMode"], now, previous
    )
    compute_faults.apply_replication_failures(sim, version_id, plan, previous)
    body["__replication"] = plan
    body["__sizeGB"] = facts.size_gb
    body["__facts"] = dataclasses.asdict(facts)
    seconds = rules.provisioning_seconds(plan, location, now) if not existing else 30.0
    return body, seconds


def source_only(storage: dict) -> dict:
    kept: dict[str, Any] = {}
    if storage.get("source"):
        kept["source"] = storage["source"]
    if (storage.get("osDiskImage") or {}).get("source"):
        kept["osDiskImage"] = {
            **storage["osDiskImage"],
            "source": storage["osDiskImage"]["source"],
        }
    return kept


def principal_id(req: Request) -> str | None:
    return req.principal.object_id if req.principal else None


@route(
    "PUT",
    VERSION_ITEM,
    api_versions=API,
    action="Microsoft.Compute/galleries/images/versions/write",
)
def put_version(req: Request) -> Response:
    sim, resource_id = req.sim, version_id_of(req.params)
    rules.parse_version_name(req.params["galleryImageVersionName"])
    payload = payload_of(req)
    if (payload.get("properties") or {}).get("restore"):
        return restore_version(req, resource_id)
    existing = sim.store.get(resource_id)
    check_same_location(sim, existing, payload)
    if existing is None:
        refuse_soft_deleted_name(sim, resource_id)
    body, seconds = prepare_version(sim, resource_id, payload, principal_id(req), existing)
    sim.store.put(resource_id, body)
    return accepted_write(req, resource_id, body, existing is None, seconds)


def refuse_soft_deleted_name(sim: Sim, version_id: str) -> None:
    """A soft-deleted version keeps its name until it is restored or hard deleted."""
    gallery = sim.store.get(version_parts(version_id)[0]) or {}
    if any(
        r["version"]["id"].lower() == version_id.lower() for r in live_soft_deleted(sim, gallery)
    ):
        raise ArmError(
            409,
            "OperationNotAllowed",
            f"A soft-deleted gallery image version '{version_id}' exists. Restore it (PUT with "
            "properties.restore set to true) or wait until it is permanently deleted.",
        )


@route(
    "PATCH",
    VERSION_ITEM,
    api_versions=API,
    action="Microsoft.Compute/galleries/images/versions/write",
)
def patch_version(req: Request) -> Response:
    sim, resource_id = req.sim, version_id_of(req.params)
    existing = sim.store.get_or_404(resource_id)
    payload = payload_of(req)
    merged = merge_version_patch(public(existing), payload)
    body, seconds = prepare_version(sim, resource_id, merged, principal_id(req), existing)
    sim.store.put(resource_id, body)
    return accepted_write(req, resource_id, body, False, seconds)


def merge_version_patch(current: dict, patch: dict) -> dict:
    """A PATCH body laid over the current version (updatable parts only)."""
    merged = {**current, "properties": dict(current["properties"])}
    if "tags" in patch:
        merged["tags"] = patch["tags"]
    props = patch.get("properties") or {}
    for section in ("publishingProfile", "safetyProfile"):
        if props.get(section) is not None:
            merged["properties"][section] = {
                **(current["properties"].get(section) or {}),
                **props[section],
            }
    if props.get("storageProfile") is not None:
        merged["properties"]["storageProfile"] = {
            **(current["properties"].get("storageProfile") or {}),
            **props["storageProfile"],
        }
    return merged


@route(
    "GET",
    VERSION_ITEM,
    api_versions=API,
    action="Microsoft.Compute/galleries/images/versions/read",
)
def get_version(req: Request) -> Response:
    resource_id = version_id_of(req.params)
    body = req.sim.store.get_or_404(resource_id)
    expand = (req.query.get("$expand") or "").lower()
    return Response.ok(version_view(req.sim, body, expand == "replicationstatus"))


def version_view(sim: Sim, body: dict, with_replication: bool = False) -> dict:
    """A stored version as the service returns it."""
    view = public(body)
    if with_replication:
        view.setdefault("properties", {})["replicationStatus"] = rules.replication_status(
            body.get("__replication") or rules.settled_plan(view["properties"]), sim.now()
        )
    return rules.display_regions(view, sim.region_names)


@route(
    "GET",
    VERSION_PATH,
    api_versions=API,
    action="Microsoft.Compute/galleries/images/versions/read",
)
def list_versions(req: Request) -> Response:
    parent = definition_id(req.params)
    require_parent(req.sim, parent)
    versions = sorted(req.sim.store.children(parent, VERSION), key=lambda b: b["id"].lower())
    return req.sim.page(req, [version_view(req.sim, body) for body in versions])


@route(
    "DELETE",
    VERSION_ITEM,
    api_versions=API,
    action="Microsoft.Compute/galleries/images/versions/delete",
)
def delete_version(req: Request) -> Response:
    sim, resource_id = req.sim, version_id_of(req.params)
    body = sim.store.get(resource_id)
    if body is None:
        return Response.no_content()
    rules.check_deletion_allowed(body["properties"], sim.now())
    gallery = sim.store.get(version_parts(resource_id)[0]) or {"properties": {}}
    policy = gallery["properties"].get("softDeletePolicy") or {}
    bypass = (req.query.get("bypassSoftDelete") or "").lower() == "true"
    soft = bool(policy.get("isSoftDeleteEnabled")) and not bypass
    return start_delete(req, resource_id, VERSION_DELETE_SECONDS, soft_delete=soft)


# ---------------------------------------------------------------- soft delete


def keep_soft_deleted(sim: Sim, version: dict) -> None:
    """Keep a deleted version in its gallery's recycle bin until its hard-deletion time."""
    gallery_key, definition_key, _ = version_parts(version["id"])
    gallery = sim.store.get(gallery_key)
    if gallery is None:
        return
    policy = gallery["properties"].get("softDeletePolicy") or {}
    now = sim.now()
    consumption_end, hard_delete = rules.soft_delete_times(policy, now)
    record = {
        "version": {**version, "properties": {**version["properties"]}},
        "image": ids.parse(definition_key).name,
        "softDeletedTime": rules.iso(now),
        "consumptionEndTime": rules.iso(consumption_end),
        "hardDeletionTargetTime": rules.iso(hard_delete),
    }
    bin_ = [
        kept
        for kept in gallery.get("__softDeleted") or []
        if kept["version"]["id"].lower() != version["id"].lower()
    ]
    gallery["__softDeleted"] = [*bin_, record]
    sim.store.put(gallery_key, gallery)


def live_soft_deleted(sim: Sim, gallery: dict) -> list[dict]:
    now = sim.now()
    return [
        record
        for record in gallery.get("__softDeleted") or []
        if rules.parse_time(record["hardDeletionTargetTime"]) > now
    ]


def soft_deleted_view(gallery: dict, record: dict) -> dict:
    version = record["version"]
    name = ids.parse(version["id"]).name
    return {
        "id": f"{gallery['id']}/softDeletedArtifactTypes/Images/artifacts/{record['image']}"
        f"/versions/{name}",
        "name": name,
        "type": "Microsoft.Compute/galleries/softDeletedArtifactTypes/artifacts/versions",
        "location": version["location"],
        "tags": version.get("tags") or {},
        "properties": {
            "resourceArmId": version["id"],
            "softDeletedArtifactType": "Images",
            "softDeletedTime": record["softDeletedTime"],
            "consumptionEndTime": record["consumptionEndTime"],
            "hardDeletionTargetTime": record["hardDeletionTargetTime"],
        },
    }


@route(
    "GET",
    SOFT_DELETED_PATH,
    api_versions=API,
    action="Microsoft.Compute/galleries/read",
)
def list_soft_deleted(req: Request) -> Response:
    p, sim = req.params, req.sim
    gallery = require_parent(sim, gallery_id(p))
    if p["artifactType"].lower() != "images":
        raise ArmError(
            400,
            "InvalidParameter",
            f"The artifact type '{p['artifactType']}' is not supported. Supported: Images.",
            target="artifactType",
        )
    records = [
        soft_deleted_view(gallery, record)
        for record in live_soft_deleted(sim, gallery)
        if record["image"].lower() == p["artifactName"].lower()
    ]
    return sim.page(req, sorted(records, key=lambda item: item["name"]))


def restore_version(req: Request, resource_id: str) -> Response:
    sim = req.sim
    if sim.store.get(resource_id) is not None:
        raise ArmError(
            409,
            "OperationNotAllowed",
            f"The gallery image version '{resource_id}' exists and is not soft-deleted.",
        )
    gallery_key = version_parts(resource_id)[0]
    gallery = require_parent(sim, gallery_key)
    records = live_soft_deleted(sim, gallery)
    match = next((r for r in records if r["version"]["id"].lower() == resource_id.lower()), None)
    if match is None:
        raise ArmError(
            404,
            "NotFound",
            f"No soft-deleted gallery image version '{resource_id}' can be restored.",
        )
    require_parent(sim, version_parts(resource_id)[1])
    gallery["__softDeleted"] = [r for r in gallery["__softDeleted"] if r != match]
    sim.store.put(gallery_key, gallery)
    body = match["version"]
    body.setdefault("properties", {})["provisioningState"] = "Updating"
    sim.store.put(resource_id, body)
    return accepted_write(req, resource_id, body, True, 60.0)


# ================================================================= calls from Image Builder


def create_gallery_image_version_from_build(
    sim: Sim,
    version_id: str,
    *,
    location: str,
    target_regions: list[dict],
    exclude_from_latest: bool,
    replication_mode: str | None,
    storage_account_type: str | None,
    tags: dict,
    source: dict,
) -> dict:
    """Publish a build's image as a gallery image version, with the REST path's rules.

    `target_regions` are in the REST shape (`name`, optional `regionalReplicaCount`,
    `storageAccountType`, `excludeFromLatest`, `encryption`). `source` describes what the
    build produced: either a reference to a stored resource (`{"id": ...}` of a managed
    image, VM, disk, snapshot or gallery image version) or the facts of the customized
    image itself: `osType`, `hyperVGeneration`, optional `osState` (default Generalized),
    `architecture` (x64), `securityType` (Standard), `location` (the build region, default
    `location`) and `sizeGB`.

    Raises `ArmError` with Azure's code when the definition is missing or does not fit.
    Returns the version as a client would read it; it reads `Creating` until its home region
    holds a replica, and replicates to the other regions over simulated time.
    """
    payload: dict[str, Any] = {
        "location": location,
        "tags": tags,
        "properties": {
            "publishingProfile": {
                "targetRegions": target_regions,
                "excludeFromLatest": exclude_from_latest,
                **({"replicationMode": replication_mode} if replication_mode else {}),
                **({"storageAccountType": storage_account_type} if storage_account_type else {}),
            },
            "storageProfile": {"source": {"id": source["id"]}} if source.get("id") else {},
        },
    }
    facts = None if source.get("id") else build_facts(sim, source, location)
    existing = sim.store.get(version_id)
    refuse_soft_deleted_name(sim, version_id)
    if existing is not None:
        raise ArmError(
            409,
            "Conflict",
            f"The gallery image version '{version_id}' already exists.",
        )
    body, seconds = prepare_version(sim, version_id, payload, None, None, facts)
    sim.store.put(version_id, body)
    sim.schedule(seconds, version_provisioned, resource_id=version_id)
    return version_view(sim, body)


def build_facts(sim: Sim, source: dict, location: str) -> rules.SourceFacts:
    return rules.SourceFacts(
        resource_id=source.get("description", "the image build"),
        location=sim.normalize_location(source.get("location") or location),
        os_type=rules.check_enum(source.get("osType") or "Linux", rules.OS_TYPES, "osType")
        or "Linux",
        os_state=source.get("osState") or "Generalized",
        hyper_v_generation=source.get("hyperVGeneration") or "V1",
        architecture=source.get("architecture") or "x64",
        security_type=source.get("securityType") or "Standard",
        size_gb=int(source.get("sizeGB") or 30),
    )


# The managed image a build distributes to; compute_images holds it with the REST path's rules.
create_managed_image_from_build = compute_images.create_image_from_build


def next_gallery_image_version(sim: Sim, image_definition_id: str, scheme: str) -> str:
    """The version name a build publishes under.

    `Latest`: the highest existing Major.Minor.Patch with Patch + 1, or 0.0.1 when there is
    none (soft-deleted versions count: their names cannot be reused). `Latest:<major>`: the
    same among versions of that major (`-1` means any), `<major>.0.1` when there is none.
    `Source:<platform version>`: the platform image version the build started from, e.g.
    `Source:22.04.202409170` gives 22.04.202409170.
    """
    kind, _, argument = scheme.partition(":")
    platform_version = argument.strip()
    if kind.lower() == "source":
        if not platform_version:
            raise ArmError(
                400,
                "InvalidParameter",
                "The Source versioning scheme needs the platform image version.",
                target="versioning",
            )
        return rules.version_from_platform_version(platform_version)
    if kind.lower() != "latest":
        raise ArmError(
            400,
            "InvalidParameter",
            f"The versioning scheme '{scheme}' is not supported: use Latest or Source.",
            target="versioning",
        )
    sim.store.get_or_404(image_definition_id)  # the definition must exist
    names = [
        ids.parse(body["id"]).name for body in sim.store.children(image_definition_id, VERSION)
    ]
    gallery = sim.store.get(ids.parse(image_definition_id).parent) or {}
    definition_name = ids.parse(image_definition_id).name.lower()
    names += [
        ids.parse(record["version"]["id"]).name
        for record in live_soft_deleted(sim, gallery)
        if record["image"].lower() == definition_name
    ]
    major = int(argument) if argument.strip().lstrip("-").isdigit() else -1
    return rules.next_patch_version(names, None if major < 0 else major)


def resolve_platform_image(
    sim: Sim, location: str, publisher: str, offer: str, sku: str, version: str
) -> dict:
    """A platform image version as the service returns it, `latest` resolved to the highest.

    Raises `ArmError` (404 ImageNotFound, or 400 for an unknown region) when unknown.
    """
    return compute_machines.platform_image(sim, location, publisher, offer, sku, version)


__all__ = [
    "create_gallery_image_version_from_build",
    "create_managed_image_from_build",
    "next_gallery_image_version",
    "resolve_platform_image",
]
