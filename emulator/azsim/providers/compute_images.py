"""Microsoft.Compute managed images (`Microsoft.Compute/images`): captured from a generalized
VM or made from managed disks, snapshots and VHD blobs; and the one a build distributes to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from azsim.core import ids
from azsim.core.errors import ArmError
from azsim.core.http import Request, Response
from azsim.core.paging import list_routes
from azsim.core.routing import route
from azsim.providers import compute_rules as rules
from azsim.providers.compute_machines import API, GROUP, item_id, machine_removed
from azsim.providers.compute_sources import (
    MANAGED_IMAGE,
    check_same_location,
    delete_response,
    facts_of,
    payload_of,
    public,
    require_location,
    require_resource_group,
    resource_body,
    source_not_found,
    update_response,
    write_response,
)

if TYPE_CHECKING:
    from azsim.core.sim import Sim

IMAGE_SECONDS = 120.0
IMAGE_DELETE_SECONDS = 30.0


# ================================================================= managed images

IMAGE_COLLECTION = GROUP + "/providers/Microsoft.Compute/images"
IMAGE_ITEM = IMAGE_COLLECTION + "/{imageName}"


def image_resource_id(req: Request) -> str:
    return item_id(req, "images", "imageName")


def image_from_vm(sim: Sim, vm_ref: dict, location: str) -> tuple[dict, str]:
    """Storage profile and Hyper-V generation of an image captured from a generalized VM."""
    vm_key = rules.require(vm_ref.get("id"), "sourceVirtualMachine.id")
    vm = sim.store.get(vm_key)
    if vm is None or vm["location"] != location:
        raise ArmError(
            404,
            "NotFound",
            f"Source Virtual Machine '{ids.parse(vm_key).name}' specified in the request does not "
            "exist in this Azure location.",
        )
    if not vm.get("__generalized"):
        raise ArmError(
            409,
            "OperationNotAllowed",
            "Capture operation cannot be completed because the VM is not generalized.",
        )
    os_disk = ((vm.get("properties") or {}).get("storageProfile") or {}).get("osDisk") or {}
    managed = os_disk.get("managedDisk") or {}
    storage = {
        "osDisk": {
            "osType": os_disk.get("osType", "Linux"),
            "osState": "Generalized",
            "managedDisk": {"id": managed.get("id")},
            "caching": os_disk.get("caching", "ReadWrite"),
            "storageAccountType": managed.get("storageAccountType"),
            "diskSizeGB": os_disk.get("diskSizeGB"),
        },
        "dataDisks": [],
    }
    return storage, vm.get("__hyperVGeneration", "V1")


def image_from_disks(sim: Sim, storage: dict, location: str) -> tuple[dict, str | None]:
    """Storage profile of an image made from managed disks, snapshots or VHD blobs."""
    os_disk = dict(rules.require(storage.get("osDisk"), "storageProfile.osDisk"))
    os_disk["osType"] = rules.check_enum(
        rules.require(os_disk.get("osType"), "storageProfile.osDisk.osType"),
        rules.OS_TYPES,
        "storageProfile.osDisk.osType",
    )
    os_disk["osState"] = rules.check_enum(
        rules.require(os_disk.get("osState"), "storageProfile.osDisk.osState"),
        rules.OS_STATES,
        "storageProfile.osDisk.osState",
    )
    generation = None
    source = disk_source_of(os_disk, "storageProfile.osDisk")
    if source:
        facts = facts_of(sim, source)
        generation = facts.hyper_v_generation
        os_disk.setdefault("diskSizeGB", facts.size_gb)
    luns: set[int] = set()
    data_disks = []
    for index, disk in enumerate(storage.get("dataDisks") or []):
        lun = disk.get("lun")
        if not isinstance(lun, int) or lun in luns:
            raise ArmError(
                400,
                "InvalidParameter",
                f"dataDisks[{index}].lun must be a unique integer.",
                target=f"storageProfile.dataDisks[{index}].lun",
            )
        luns.add(lun)
        data_source = disk_source_of(disk, f"storageProfile.dataDisks[{index}]")
        if data_source and sim.store.get(data_source) is None:
            raise source_not_found(data_source)
        data_disks.append(disk)
    os_disk.setdefault("caching", "ReadWrite")
    return {
        "osDisk": os_disk,
        "dataDisks": data_disks,
        "zoneResilient": bool(storage.get("zoneResilient", False)),
    }, generation


def disk_source_of(disk: dict, where: str) -> str | None:
    managed = (disk.get("managedDisk") or {}).get("id")
    snapshot = (disk.get("snapshot") or {}).get("id")
    blob = disk.get("blobUri")
    given = [value for value in (managed, snapshot, blob) if value]
    if len(given) != 1:
        raise ArmError(
            400,
            "InvalidParameter",
            f"{where} needs exactly one of managedDisk, snapshot or blobUri.",
            target=where,
        )
    return managed or snapshot


@route("PUT", IMAGE_ITEM, api_versions=API, action="Microsoft.Compute/images/write")
def put_image(req: Request) -> Response:
    sim, resource_id = req.sim, image_resource_id(req)
    require_resource_group(sim, req.params["subscriptionId"], req.params["resourceGroupName"])
    payload = payload_of(req)
    location = require_location(sim, payload, MANAGED_IMAGE)
    props = payload.get("properties") or {}
    existing = sim.store.get(resource_id)
    check_same_location(sim, existing, payload)
    stored = image_properties(sim, props, location)
    if existing:
        check_image_update(existing["properties"], stored)
    stored["provisioningState"] = "Updating" if existing else "Creating"
    body = resource_body(
        resource_id, MANAGED_IMAGE, location, rules.check_tags(payload.get("tags")), stored
    )
    sim.store.put(resource_id, body)
    return write_response(req, resource_id, body, existing is None, IMAGE_SECONDS)


def image_properties(sim: Sim, props: dict, location: str) -> dict:
    requested = rules.check_enum(
        props.get("hyperVGeneration"), rules.HYPER_V_GENERATIONS, "hyperVGeneration"
    )
    generation: str | None
    if props.get("sourceVirtualMachine"):
        storage, generation = image_from_vm(sim, props["sourceVirtualMachine"], location)
        storage["zoneResilient"] = bool(
            (props.get("storageProfile") or {}).get("zoneResilient", False)
        )
    else:
        storage, generation = image_from_disks(
            sim, rules.require(props.get("storageProfile"), "storageProfile"), location
        )
    if requested and generation and requested != generation:
        raise ArmError(
            400,
            "InvalidParameter",
            f"The Hyper-V generation '{requested}' does not match the source's generation "
            f"'{generation}'.",
            target="hyperVGeneration",
        )
    stored: dict[str, Any] = {
        "storageProfile": storage,
        "hyperVGeneration": requested or generation or "V1",
    }
    if props.get("sourceVirtualMachine"):
        stored["sourceVirtualMachine"] = {"id": props["sourceVirtualMachine"]["id"]}
    return stored


def check_image_update(old: dict, new: dict) -> None:
    old_vm = (old.get("sourceVirtualMachine") or {}).get("id", "").lower()
    new_vm = (new.get("sourceVirtualMachine") or {}).get("id", "").lower()
    if old_vm != new_vm:
        raise rules.property_change_not_allowed("sourceVirtualMachine")
    if old.get("hyperVGeneration") != new.get("hyperVGeneration"):
        raise rules.property_change_not_allowed("hyperVGeneration")
    old_os, new_os = old["storageProfile"]["osDisk"], new["storageProfile"]["osDisk"]
    for field in ("osType", "osState"):
        if old_os.get(field) != new_os.get(field):
            raise rules.property_change_not_allowed(f"storageProfile.osDisk.{field}")


@route("PATCH", IMAGE_ITEM, api_versions=API, action="Microsoft.Compute/images/write")
def patch_image(req: Request) -> Response:
    sim, resource_id = req.sim, image_resource_id(req)
    body = sim.store.get_or_404(resource_id)
    payload = payload_of(req)
    props = payload.get("properties") or {}
    generation = props.get("hyperVGeneration")
    if generation and generation != body["properties"].get("hyperVGeneration", "V1"):
        raise rules.property_change_not_allowed("hyperVGeneration")
    for fixed in ("sourceVirtualMachine", "storageProfile"):
        if props.get(fixed) is not None:
            raise rules.property_change_not_allowed(fixed)
    if "tags" in payload:
        body["tags"] = rules.check_tags(payload["tags"])
    return update_response(req, resource_id, body, 10.0)


@route("GET", IMAGE_ITEM, api_versions=API, action="Microsoft.Compute/images/read")
def get_image(req: Request) -> Response:
    return Response.ok(public(req.sim.store.get_or_404(image_resource_id(req))))


list_routes(MANAGED_IMAGE, api_versions=API, action="Microsoft.Compute/images/read", view=public)


@route("DELETE", IMAGE_ITEM, api_versions=API, action="Microsoft.Compute/images/delete")
def delete_image(req: Request) -> Response:
    return delete_response(req, image_resource_id(req), IMAGE_DELETE_SECONDS, machine_removed)


def create_image_from_build(
    sim: Sim,
    image_id: str,
    *,
    location: str,
    os_type: str,
    hyper_v_generation: str,
    tags: dict,
) -> dict:
    """Create the managed image a build distributes to, with the REST path's rules
    (`compute.create_managed_image_from_build` for the Image Builder provider).

    Raises `ArmError` (missing resource group, unknown region, bad OS type or generation).
    Returns the image as a client would read it; it reads `Creating` for the time Azure takes.
    """
    parsed = ids.parse(image_id)
    if parsed.type.lower() != MANAGED_IMAGE.lower() or not parsed.resource_group:
        raise ArmError(
            400, "InvalidParameter", f"'{image_id}' is not a managed image id.", target="imageId"
        )
    require_resource_group(sim, parsed.subscription_id or "", parsed.resource_group)
    if sim.store.get(image_id) is not None:
        raise ArmError(
            409,
            "Conflict",
            f"The managed image '{image_id}' already exists; a build does not overwrite it.",
        )
    region = sim.normalize_location(location, MANAGED_IMAGE)
    stored = {
        "storageProfile": {
            "osDisk": {
                "osType": rules.check_enum(
                    rules.require(os_type, "osType"), rules.OS_TYPES, "osType"
                ),
                "osState": "Generalized",
                "caching": "ReadWrite",
                "storageAccountType": "Standard_LRS",
                "diskSizeGB": 30,
            },
            "dataDisks": [],
            "zoneResilient": False,
        },
        "hyperVGeneration": rules.check_enum(
            hyper_v_generation or "V1", rules.HYPER_V_GENERATIONS, "hyperVGeneration"
        ),
        "provisioningState": "Creating",
    }
    body = resource_body(image_id, MANAGED_IMAGE, region, rules.check_tags(tags), stored)
    sim.store.put(image_id, body)
    sim.schedule(IMAGE_SECONDS, "compute.provisioned", resource_id=image_id)
    view: dict = public(body)
    return view
