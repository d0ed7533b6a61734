"""Shared pieces of the Microsoft.Compute provider: ids, request bodies, the answers to writes
and deletes, resource bodies and source facts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from azsim.core import ids
from azsim.core.errors import ArmError, resource_group_not_found
from azsim.core.http import Request, Response, strip_internal
from azsim.core.routing import EventHandler
from azsim.providers.compute_rules import SourceFacts, definition_security_type

if TYPE_CHECKING:
    from azsim.core.sim import Sim

PROVIDER = "Microsoft.Compute"
GALLERY = "Microsoft.Compute/galleries"
DEFINITION = "Microsoft.Compute/galleries/images"
VERSION = "Microsoft.Compute/galleries/images/versions"
MANAGED_IMAGE = "Microsoft.Compute/images"
VIRTUAL_MACHINE = "Microsoft.Compute/virtualMachines"
DISK = "Microsoft.Compute/disks"
SNAPSHOT = "Microsoft.Compute/snapshots"
STORAGE_ACCOUNT = "Microsoft.Storage/storageAccounts"


def group_id(subscription_id: str, resource_group: str) -> str:
    return f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"


def compute_id(subscription_id: str, resource_group: str, *path: str) -> str:
    """`/subscriptions/../resourceGroups/../providers/Microsoft.Compute/<path...>`."""
    return f"{group_id(subscription_id, resource_group)}/providers/{PROVIDER}/" + "/".join(path)


def require_resource_group(sim: Sim, subscription_id: str, resource_group: str) -> dict:
    group = sim.store.get(group_id(subscription_id, resource_group))
    if group is None:
        raise resource_group_not_found(resource_group)
    return group


def require_parent(sim: Sim, parent_id: str) -> dict:
    parent = sim.store.get(parent_id)
    if parent is None:
        raise ArmError(
            404,
            "ParentResourceNotFound",
            "Can not perform requested operation on nested resource. Parent resource "
            f"'{ids.type_with_names(parent_id).split('/', 1)[1]}' not found.",
        )
    return parent


def check_same_location(sim: Sim, existing: dict | None, payload: dict) -> None:
    """ARM refuses to re-create an existing resource in another region."""
    requested = payload.get("location")
    if existing is None or not requested:
        return
    location = sim.normalize_location(str(requested))
    if location != existing.get("location"):
        parsed = ids.parse(existing["id"])
        raise ArmError(
            409,
            "InvalidResourceLocation",
            f"The resource '{parsed.name}' already exists in location '{existing.get('location')}' "
            f"in resource group '{parsed.resource_group}'. A resource with the same name cannot "
            f"be created in location '{location}'. Please select a new resource name.",
        )


def payload_of(req: Request) -> dict:
    if not isinstance(req.json, dict):
        raise ArmError(400, "InvalidRequestContent", "The request content was invalid.")
    return req.json


def require_location(sim: Sim, payload: dict, resource_type: str) -> str:
    location = payload.get("location")
    if not location:
        raise ArmError(
            400, "LocationRequired", "The location property is required for this definition."
        )
    return sim.normalize_location(str(location), resource_type)


def write_response(
    req: Request,
    resource_id: str,
    body: dict,
    created: bool,
    seconds: float,
    *,
    status: int | None = None,
    view: dict | None = None,
    on_done: str | EventHandler = "compute.provisioned",
) -> Response:
    """A create or update accepted as a long-running operation (201 or 200 unless `status`
    says otherwise), answering with `view` (the public body unless given); `on_done` is the
    event that settles the resource's provisioning state when the operation ends."""
    return req.sim.lro(
        req,
        resource_id=resource_id,
        status=status or (201 if created else 200),
        body=public(body) if view is None else view,
        duration=seconds,
        on_done=on_done,
        on_done_args={"resource_id": resource_id},
        location=body.get("location"),
    )


def update_response(
    req: Request, resource_id: str, body: dict, seconds: float, *, status: int | None = None
) -> Response:
    """An update accepted as a long-running operation: the resource reads `Updating` (stored
    now) until the operation ends."""
    body.setdefault("properties", {})["provisioningState"] = "Updating"
    req.sim.store.put(resource_id, body)
    return write_response(req, resource_id, body, False, seconds, status=status)


def write_target(req: Request, resource_id: str) -> tuple[dict, dict | None]:
    """The body of a PUT and the resource it would replace, after ARM's first checks: the
    resource group exists, the body is an object, an existing resource keeps its region."""
    sim, p = req.sim, req.params
    require_resource_group(sim, p["subscriptionId"], p["resourceGroupName"])
    payload = payload_of(req)
    existing = sim.store.get(resource_id)
    check_same_location(sim, existing, payload)
    return payload, existing


def delete_response(
    req: Request, resource_id: str, seconds: float, on_done: str | EventHandler, **done_args: Any
) -> Response:
    """204 for a resource that is not there; otherwise a 202 long-running delete that ends
    with the `on_done` event (given `resource_id` and `done_args`)."""
    body = req.sim.store.get(resource_id)
    if body is None:
        return Response.no_content()
    return req.sim.lro_delete(
        req,
        resource_id=resource_id,
        body=body,
        duration=seconds,
        on_done=on_done,
        on_done_args={"resource_id": resource_id, **done_args},
        location=body.get("location"),
    )


def sorted_page(req: Request, bodies: list[dict]) -> Response:
    ordered = sorted(bodies, key=lambda body: body["id"].lower())
    return req.sim.page(req, [public(body) for body in ordered])


def resource_body(
    resource_id: str, resource_type: str, location: str, tags: dict, properties: dict
) -> dict:
    return {
        "id": resource_id,
        "name": ids.parse(resource_id).name,
        "type": resource_type,
        "location": location,
        "tags": tags,
        "properties": properties,
    }


def source_not_found(resource_id: str, what: str = "source") -> ArmError:
    return ArmError(
        404,
        "NotFound",
        f"The {what} '{resource_id}' specified in the request does not exist in this Azure "
        "location or cannot be accessed.",
    )


def kind_of(resource_id: str) -> str:
    return ids.parse(resource_id).type.lower()


def require_authorized_read(sim: Sim, principal_object_id: str | None, resource_id: str) -> None:
    """Reading a source in another scope needs the caller's read permission on it."""
    if principal_object_id is None:
        return
    action = f"{ids.parse(resource_id).type}/read"
    sim.authz.check(principal_object_id, action, resource_id)


# ---------------------------------------------------------------- facts of a source


def facts_of(sim: Sim, resource_id: str, definition: dict | None = None) -> SourceFacts:
    """What `resource_id` is as a source of an image (404 NotFound when it does not exist)."""
    body = sim.store.get(resource_id)
    if body is None:
        raise source_not_found(resource_id)
    kind = kind_of(resource_id)
    readers = {
        MANAGED_IMAGE.lower(): _managed_image_facts,
        VIRTUAL_MACHINE.lower(): _virtual_machine_facts,
        VERSION.lower(): _gallery_version_facts,
        DISK.lower(): _disk_facts,
        SNAPSHOT.lower(): _disk_facts,
    }
    reader = readers.get(kind)
    if reader is None:
        raise ArmError(
            400,
            "InvalidParameter",
            f"The resource '{resource_id}' of type '{ids.parse(resource_id).type}' cannot be used "
            "as an image source.",
            target="storageProfile.source.id",
        )
    facts = reader(sim, body)
    if definition is not None and facts.os_state == "":
        # Disks and snapshots carry no OS state: the definition's is taken on trust, as Azure does.
        facts.os_state = definition["osState"]
    return facts


def _managed_image_facts(sim: Sim, body: dict) -> SourceFacts:
    props = body.get("properties") or {}
    os_disk = (props.get("storageProfile") or {}).get("osDisk") or {}
    return SourceFacts(
        resource_id=body["id"],
        location=body["location"],
        os_type=os_disk.get("osType", "Linux"),
        os_state=os_disk.get("osState", "Generalized"),
        hyper_v_generation=props.get("hyperVGeneration", "V1"),
        architecture="x64",
        security_type="Standard",
        size_gb=os_disk.get("diskSizeGB") or 30,
        data_disks=data_disk_images((props.get("storageProfile") or {}).get("dataDisks")),
    )


def data_disk_images(disks: list[dict] | None) -> list[dict]:
    """A source's data disks as a gallery image version lists them."""
    return [
        {
            "lun": disk.get("lun", index),
            "hostCaching": disk.get("caching") or "None",
            "sizeInGB": disk.get("diskSizeGB") or 32,
        }
        for index, disk in enumerate(disks or [])
    ]


def _virtual_machine_facts(sim: Sim, body: dict) -> SourceFacts:
    props = body.get("properties") or {}
    os_disk = (props.get("storageProfile") or {}).get("osDisk") or {}
    security = (props.get("securityProfile") or {}).get("securityType") or "Standard"
    return SourceFacts(
        resource_id=body["id"],
        location=body["location"],
        os_type=os_disk.get("osType", "Linux"),
        os_state="Generalized" if body.get("__generalized") else "Specialized",
        hyper_v_generation=body.get("__hyperVGeneration", "V1"),
        architecture=body.get("__architecture", "x64"),
        security_type=security,
        size_gb=os_disk.get("diskSizeGB") or 30,
        data_disks=data_disk_images((props.get("storageProfile") or {}).get("dataDisks")),
    )


def _gallery_version_facts(sim: Sim, body: dict) -> SourceFacts:
    definition = sim.store.get(ids.parse(body["id"]).parent) or {"properties": {}}
    props = definition["properties"]
    security = definition_security_type(props)
    return SourceFacts(
        resource_id=body["id"],
        location=body["location"],
        os_type=props.get("osType", "Linux"),
        os_state=props.get("osState", "Generalized"),
        hyper_v_generation=props.get("hyperVGeneration", "V1"),
        architecture=props.get("architecture", "x64"),
        security_type="Standard" if security.endswith("Supported") else security,
        size_gb=body.get("__sizeGB", 30),
        data_disks=list(
            ((body.get("properties") or {}).get("storageProfile") or {}).get("dataDiskImages") or []
        ),
    )


def _disk_facts(sim: Sim, body: dict) -> SourceFacts:
    props = body.get("properties") or {}
    return SourceFacts(
        resource_id=body["id"],
        location=body["location"],
        os_type=props.get("osType") or "",
        os_state="",
        hyper_v_generation=props.get("hyperVGeneration") or "V1",
        architecture=(props.get("supportedCapabilities") or {}).get("architecture") or "x64",
        security_type=((props.get("securityProfile") or {}).get("securityType") or "Standard"),
        size_gb=props.get("diskSizeGB") or 30,
    )


def vhd_facts(sim: Sim, uri: str, storage_account_id: str | None, definition: dict) -> SourceFacts:
    """A VHD blob: only its storage account's region is known; the rest is the definition's."""
    if not storage_account_id:
        raise ArmError(
            400,
            "InvalidParameter",
            "Required parameter 'storageAccountId' is missing (null).",
            target="storageProfile.osDiskImage.source.storageAccountId",
        )
    account = sim.store.get(storage_account_id)
    if account is None:
        raise source_not_found(storage_account_id, "storage account")
    if not uri.lower().startswith("https://"):
        raise ArmError(
            400,
            "InvalidParameter",
            f"The VHD uri '{uri}' is not a valid https blob uri.",
            target="storageProfile.osDiskImage.source.uri",
        )
    return SourceFacts(
        resource_id=uri,
        location=account.get("location", ""),
        os_type=definition["osType"],
        os_state=definition["osState"],
        hyper_v_generation=definition.get("hyperVGeneration", "V1"),
        architecture=definition.get("architecture", "x64"),
        security_type="Standard",
    )


# A stored body without its internal (`__`) keys, as the server sends it.
public = strip_internal
