"""Microsoft.Compute sources of images: virtual machines, disks, snapshots,
and the platform image catalog."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from azsim.core import ids
from azsim.core.errors import ArmError
from azsim.core.http import Request, Response
from azsim.core.paging import list_routes
from azsim.core.routing import event, route
from azsim.providers import compute_catalog as catalog
from azsim.providers import compute_rules as rules
from azsim.providers.compute_sources import (
    DISK,
    SNAPSHOT,
    VERSION,
    VIRTUAL_MACHINE,
    compute_id,
    delete_response,
    facts_of,
    payload_of,
    public,
    require_location,
    resource_body,
    sorted_page,
    source_not_found,
    update_response,
    write_response,
    write_target,
)

if TYPE_CHECKING:
    from azsim.core.sim import Sim

GROUP = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
SUBSCRIPTION = "/subscriptions/{subscriptionId}"
API = rules.COMPUTE_API_VERSIONS
DISK_API = rules.DISK_API_VERSIONS

# Simulated seconds, roughly what Azure takes.
VM_CREATE_SECONDS = 90.0
VM_UPDATE_SECONDS = 30.0
VM_DELETE_SECONDS = 60.0
POWER_SECONDS = {"deallocate": 90.0, "powerOff": 30.0, "start": 40.0, "restart": 60.0}
DISK_SECONDS = 5.0
SNAPSHOT_SECONDS = 20.0


# ================================================================= shared


def item_id(req: Request, collection: str, name_param: str) -> str:
    p = req.params
    return compute_id(p["subscriptionId"], p["resourceGroupName"], collection, p[name_param])


@event("compute.machine_removed")
def machine_removed(sim: Sim, *, resource_id: str) -> None:
    """The end of a delete. A VM's OS disk goes with it when its deleteOption is Delete and
    otherwise stays, detached (Azure's default, Detach)."""
    body = sim.store.get(resource_id)
    if body is None:
        return
    if ids.parse(resource_id).type.lower() == VIRTUAL_MACHINE.lower():
        release_os_disk(sim, body)
    sim.store.delete(resource_id)


def release_os_disk(sim: Sim, vm: dict) -> None:
    os_disk = ((vm.get("properties") or {}).get("storageProfile") or {}).get("osDisk") or {}
    disk_id = str((os_disk.get("managedDisk") or {}).get("id") or "")
    disk = sim.store.get(disk_id) if disk_id else None
    if disk is None:
        return
    if os_disk.get("deleteOption") == "Delete":
        sim.store.delete(disk_id)
        return
    disk.pop("managedBy", None)
    disk.setdefault("properties", {})["diskState"] = "Unattached"
    sim.store.put(disk_id, disk)


def now_iso(sim: Sim) -> str:
    return rules.iso(sim.now())


# ================================================================= platform images

IMAGE_BASE = SUBSCRIPTION + "/providers/Microsoft.Compute/locations/{location}/publishers"
OFFERS = IMAGE_BASE + "/{publisherName}/artifacttypes/vmimage/offers"
SKUS = OFFERS + "/{offer}/skus"
VERSIONS = SKUS + "/{skus}/versions"


def platform_image(
    sim: Sim, location: str, publisher: str, offer: str, sku: str, version: str
) -> dict:
    region = sim.normalize_location(location)
    entry = catalog.find_sku(publisher, offer, sku)
    if entry is None:
        raise catalog.image_not_found(region, publisher, offer, sku, version)
    exact = catalog.resolve_version(entry, version, region)
    return catalog.image_body(entry, exact, region, sim.subscription_id)


@route("GET", VERSIONS + "/{version}", api_versions=API, action="Microsoft.Compute/images/read")
def get_platform_image(req: Request) -> Response:
    p = req.params
    if p["version"].lower() == "latest":
        raise ArmError(
            400,
            "InvalidParameter",
            "The value 'latest' is not valid for the version of a platform image in this call.",
            target="version",
        )
    return Response.ok(
        platform_image(
            req.sim, p["location"], p["publisherName"], p["offer"], p["skus"], p["version"]
        )
    )


@route("GET", VERSIONS, api_versions=API, action="Microsoft.Compute/images/read")
def list_platform_versions(req: Request) -> Response:
    p = req.params
    region = req.sim.normalize_location(p["location"])
    entry = catalog.find_sku(p["publisherName"], p["offer"], p["skus"])
    if entry is None:
        raise catalog.image_not_found(region, p["publisherName"], p["offer"], p["skus"], "*")
    versions = sorted(entry.versions, key=catalog.version_sort_key)
    if "desc" in (req.query.get("$orderby") or "").lower():
        versions.reverse()
    top = req.query.get("$top")
    if top and top.isdigit():
        versions = versions[: int(top)]
    return Response.ok(
        [
            {
                "location": region,
                "name": version,
                "id": catalog.image_id(entry, version, region, req.sim.subscription_id),
            }
            for version in versions
        ]
    )


def name_list(req: Request, names: list[str], suffix: str) -> Response:
    base = req.path.rstrip("/")
    region = req.sim.normalize_location(req.params["location"])
    return Response.ok(
        [{"location": region, "name": n, "id": f"{base}/{n}{suffix}"} for n in names]
    )


@route("GET", SKUS, api_versions=API, action="Microsoft.Compute/images/read")
def list_platform_skus(req: Request) -> Response:
    return name_list(req, catalog.skus(req.params["publisherName"], req.params["offer"]), "")


@route("GET", OFFERS, api_versions=API, action="Microsoft.Compute/images/read")
def list_platform_offers(req: Request) -> Response:
    return name_list(req, catalog.offers(req.params["publisherName"]), "")


@route("GET", IMAGE_BASE, api_versions=API, action="Microsoft.Compute/images/read")
def list_platform_publishers(req: Request) -> Response:
    return name_list(req, catalog.publishers(), "")


# ================================================================= image references


def image_reference_facts(sim: Sim, reference: dict, location: str) -> tuple[dict, dict]:
    """(facts, stored imageReference) of a VM's or disk's image reference."""
    if reference.get("id") and "/publishers/" in reference["id"].lower():
        return platform_reference_facts(sim, platform_parts(reference["id"]), location)
    if reference.get("id"):
        return stored_reference_facts(sim, reference["id"])
    if reference.get("publisher"):
        return platform_reference_facts(sim, reference, location)
    raise ArmError(
        400,
        "InvalidParameter",
        "The image reference needs an id or publisher, offer, sku and version.",
        target="imageReference",
    )


def platform_parts(image_id: str) -> dict:
    segments = image_id.strip("/").split("/")
    lower = [segment.lower() for segment in segments]

    def after(word: str) -> str:
        return segments[lower.index(word) + 1] if word in lower else ""

    return {
        "publisher": after("publishers"),
        "offer": after("offers"),
        "sku": after("skus"),
        "version": after("versions") or "latest",
    }


def platform_reference_facts(sim: Sim, reference: dict, location: str) -> tuple[dict, dict]:
    image = platform_image(
        sim,
        location,
        reference.get("publisher", ""),
        reference.get("offer", ""),
        reference.get("sku", ""),
        reference.get("version") or "latest",
    )
    props = image["properties"]
    facts = {
        "osType": props["osDiskImage"]["operatingSystem"],
        "hyperVGeneration": props["hyperVGeneration"],
        "architecture": props["architecture"],
        "sizeGB": props["osDiskImage"]["sizeInGb"],
    }
    stored = {
        "publisher": reference["publisher"],
        "offer": reference["offer"],
        "sku": reference["sku"],
        "version": reference.get("version") or "latest",
        "exactVersion": image["name"],
    }
    return facts, stored


def stored_reference_facts(sim: Sim, reference_id: str) -> tuple[dict, dict]:
    kind = ids.parse(reference_id).type.lower()
    if kind == "microsoft.compute/galleries/images":
        reference_id = latest_version_id(sim, reference_id)
    facts = facts_of(sim, reference_id)
    return (
        {
            "osType": facts.os_type,
            "hyperVGeneration": facts.hyper_v_generation,
            "architecture": facts.architecture,
            "sizeGB": facts.size_gb,
        },
        {"id": reference_id},
    )


def latest_version_id(sim: Sim, definition_id: str) -> str:
    """The version a VM gets from a definition: the highest one not excluded from latest."""
    if sim.store.get(definition_id) is None:
        raise source_not_found(definition_id, "gallery image")
    candidates = [
        body
        for body in sim.store.children(definition_id, VERSION)
        if not ((body.get("properties") or {}).get("publishingProfile") or {}).get(
            "excludeFromLatest"
        )
    ]
    if not candidates:
        raise ArmError(
            404,
            "NotFound",
            f"The gallery image '{definition_id}' has no version that can be used as latest.",
        )
    best = max(candidates, key=lambda body: rules.parse_version_name(ids.parse(body["id"]).name))
    return str(best["id"])


# ================================================================= virtual machines

VM_COLLECTION = GROUP + "/providers/Microsoft.Compute/virtualMachines"
VM_ITEM = VM_COLLECTION + "/{vmName}"


def vm_id(req: Request) -> str:
    return item_id(req, "virtualMachines", "vmName")


@route("PUT", VM_ITEM, api_versions=API, action="Microsoft.Compute/virtualMachines/write")
def put_vm(req: Request) -> Response:
    sim, resource_id = req.sim, vm_id(req)
    payload, existing = write_target(req, resource_id)
    if existing:
        return update_vm(req, resource_id, existing, payload)
    location = require_location(sim, payload, VIRTUAL_MACHINE)
    props = payload.get("properties") or {}
    vm_size = rules.require(
        (props.get("hardwareProfile") or {}).get("vmSize"), "hardwareProfile.vmSize"
    )
    storage = props.get("storageProfile") or {}
    os_disk_request = storage.get("osDisk") or {}
    facts, reference = vm_image_facts(sim, storage, location)
    security = props.get("securityProfile") or {}
    security_type = security.get("securityType") or "Standard"
    if security_type != "Standard" and facts["hyperVGeneration"] != "V2":
        raise ArmError(
            400,
            "InvalidParameter",
            f"The security type '{security_type}' needs an image of Hyper-V generation V2.",
            target="securityProfile.securityType",
        )
    facts["securityType"] = security_type
    disk_id, disk_size = attach_os_disk(
        req, resource_id, location, os_disk_request, facts, reference
    )
    stored_storage = {
        "osDisk": {
            "osType": facts["osType"],
            "name": ids.parse(disk_id).name,
            "createOption": os_disk_request.get("createOption") or "FromImage",
            "caching": os_disk_request.get("caching") or "ReadWrite",
            "managedDisk": {
                "id": disk_id,
                "storageAccountType": (os_disk_request.get("managedDisk") or {}).get(
                    "storageAccountType"
                )
                or "Premium_LRS",
            },
            "deleteOption": os_disk_request.get("deleteOption") or "Detach",
            "diskSizeGB": disk_size,
        },
        "dataDisks": storage.get("dataDisks") or [],
    }
    if reference:
        stored_storage["imageReference"] = reference
    os_profile = {k: v for k, v in (props.get("osProfile") or {}).items() if k != "adminPassword"}
    stored = {
        "vmId": str(uuid.uuid4()),
        "hardwareProfile": {"vmSize": vm_size},
        "storageProfile": stored_storage,
        "osProfile": os_profile,
        "networkProfile": props.get("networkProfile") or {},
        "provisioningState": "Creating",
        "timeCreated": now_iso(sim),
    }
    if props.get("securityProfile"):
        stored["securityProfile"] = props["securityProfile"]
    body = resource_body(
        resource_id, VIRTUAL_MACHINE, location, rules.check_tags(payload.get("tags")), stored
    )
    body["__power"] = "running"
    body["__generalized"] = False
    body["__hyperVGeneration"] = facts["hyperVGeneration"]
    body["__architecture"] = facts["architecture"]
    sim.store.put(resource_id, body)
    return write_response(req, resource_id, body, True, VM_CREATE_SECONDS)


def vm_image_facts(sim: Sim, storage: dict, location: str) -> tuple[dict, dict | None]:
    os_disk = storage.get("osDisk") or {}
    if (os_disk.get("createOption") or "").lower() == "attach":
        managed = os_disk.get("managedDisk") or {}
        disk_id = str(rules.require(managed.get("id"), "storageProfile.osDisk.managedDisk.id"))
        facts = facts_of(sim, disk_id)
        return (
            {
                "osType": facts.os_type or os_disk.get("osType") or "Linux",
                "hyperVGeneration": facts.hyper_v_generation,
                "architecture": facts.architecture,
                "sizeGB": facts.size_gb,
            },
            None,
        )
    reference = rules.require(storage.get("imageReference"), "storageProfile.imageReference")
    return image_reference_facts(sim, reference, location)


def attach_os_disk(
    req: Request,
    vm_resource_id: str,
    location: str,
    request: dict,
    facts: dict,
    reference: dict | None,
) -> tuple[str, int]:
    """The VM's OS disk: created with the VM from its image, or an existing one attached."""
    sim = req.sim
    if (request.get("createOption") or "").lower() == "attach":
        disk_id = request["managedDisk"]["id"]
        disk = sim.store.get(disk_id) or {}
        if disk.get("managedBy"):
            raise ArmError(
                409,
                "OperationNotAllowed",
                f"Disk '{ids.parse(disk_id).name}' is attached to VM '{disk['managedBy']}'.",
            )
        disk["managedBy"] = vm_resource_id
        disk["properties"]["diskState"] = "Attached"
        sim.store.put(disk_id, disk)
        return disk_id, disk["properties"].get("diskSizeGB", facts["sizeGB"])
    p = req.params
    name = request.get("name") or f"{p['vmName']}_OsDisk_1_{uuid.uuid4().hex}"
    disk_id = compute_id(p["subscriptionId"], p["resourceGroupName"], "disks", name)
    size = max(int(request.get("diskSizeGB") or 0), int(facts["sizeGB"]))
    sku = (request.get("managedDisk") or {}).get("storageAccountType") or "Premium_LRS"
    creation = {
        "createOption": "FromImage",
        "imageReference": image_reference_id(sim, reference, location),
    }
    disk = disk_body(
        sim, disk_id, location, {}, sku, facts["osType"], facts["hyperVGeneration"], size, creation
    )
    disk["properties"].update(disk_capabilities(facts))
    disk["managedBy"] = vm_resource_id
    disk["properties"]["diskState"] = "Attached"
    disk["properties"]["provisioningState"] = "Succeeded"
    sim.store.put(disk_id, disk)
    return disk_id, size


def image_reference_id(sim: Sim, reference: dict | None, location: str) -> dict:
    if not reference:
        return {}
    if reference.get("id"):
        return {"id": reference["id"]}
    entry = catalog.find_sku(reference["publisher"], reference["offer"], reference["sku"])
    assert entry is not None  # resolved before
    return {"id": catalog.image_id(entry, reference["exactVersion"], location, sim.subscription_id)}


def update_vm(req: Request, resource_id: str, body: dict, payload: dict) -> Response:
    refuse_when_generalized(body, "update")
    props = payload.get("properties") or {}
    new_reference = (props.get("storageProfile") or {}).get("imageReference")
    old_reference = (body["properties"].get("storageProfile") or {}).get("imageReference") or {}
    if new_reference and not same_reference(old_reference, new_reference):
        raise rules.property_change_not_allowed("imageReference")
    size = (props.get("hardwareProfile") or {}).get("vmSize")
    if size:
        body["properties"].setdefault("hardwareProfile", {})["vmSize"] = size
    if "tags" in payload:
        body["tags"] = rules.check_tags(payload["tags"])
    return update_response(req, resource_id, body, VM_UPDATE_SECONDS)


def same_reference(old: dict, new: dict) -> bool:
    keys = ("id", "publisher", "offer", "sku")
    return all(str(old.get(k) or "").lower() == str(new.get(k) or "").lower() for k in keys)


@route("PATCH", VM_ITEM, api_versions=API, action="Microsoft.Compute/virtualMachines/write")
def patch_vm(req: Request) -> Response:
    resource_id = vm_id(req)
    body = req.sim.store.get_or_404(resource_id)
    return update_vm(req, resource_id, body, payload_of(req))


def refuse_when_generalized(body: dict, operation: str) -> None:
    if body.get("__generalized"):
        raise ArmError(
            409,
            "OperationNotAllowed",
            f"Operation '{operation}' is not allowed on VM '{body['name']}' since the VM is "
            "generalized.",
        )


@route("GET", VM_ITEM, api_versions=API, action="Microsoft.Compute/virtualMachines/read")
def get_vm(req: Request) -> Response:
    body = req.sim.store.get_or_404(vm_id(req))
    view = public(body)
    if (req.query.get("$expand") or "").lower() == "instanceview":
        view["properties"]["instanceView"] = instance_view(body)
    return Response.ok(view)


@route(
    "GET",
    VM_ITEM + "/instanceView",
    api_versions=API,
    action="Microsoft.Compute/virtualMachines/instanceView/read",
)
def get_vm_instance_view(req: Request) -> Response:
    return Response.ok(instance_view(req.sim.store.get_or_404(vm_id(req))))


POWER_DISPLAY = {
    "running": "VM running",
    "starting": "VM starting",
    "stopping": "VM stopping",
    "stopped": "VM stopped",
    "deallocating": "VM deallocating",
    "deallocated": "VM deallocated",
}


def instance_view(body: dict) -> dict:
    props = body.get("properties") or {}
    state = props.get("provisioningState") or "Succeeded"
    statuses = [
        {
            "code": f"ProvisioningState/{state.lower()}",
            "level": "Info" if state != "Failed" else "Error",
            "displayStatus": f"Provisioning {state.lower()}",
        }
    ]
    if body.get("__generalized"):
        statuses.append(
            {"code": "OSState/generalized", "level": "Info", "displayStatus": "VM generalized"}
        )
    power = body.get("__power", "running")
    statuses.append(
        {"code": f"PowerState/{power}", "level": "Info", "displayStatus": POWER_DISPLAY[power]}
    )
    os_disk = (props.get("storageProfile") or {}).get("osDisk") or {}
    return {
        "computerName": (props.get("osProfile") or {}).get("computerName"),
        "osName": os_disk.get("osType"),
        "hyperVGeneration": body.get("__hyperVGeneration", "V1"),
        "disks": [{"name": os_disk.get("name"), "statuses": statuses[:1]}],
        "statuses": statuses,
    }


list_routes(
    VIRTUAL_MACHINE, api_versions=API, action="Microsoft.Compute/virtualMachines/read", view=public
)


@route(
    "GET",
    SUBSCRIPTION + "/providers/Microsoft.Compute/locations/{location}/virtualMachines",
    api_versions=API,
    action="Microsoft.Compute/virtualMachines/read",
)
def list_vms_by_location(req: Request) -> Response:
    region = req.sim.normalize_location(req.params["location"])
    scope = f"/subscriptions/{req.params['subscriptionId']}"
    bodies = [b for b in req.sim.store.by_type(VIRTUAL_MACHINE, scope) if b["location"] == region]
    return sorted_page(req, bodies)


@route("DELETE", VM_ITEM, api_versions=API, action="Microsoft.Compute/virtualMachines/delete")
def delete_vm(req: Request) -> Response:
    return delete_response(req, vm_id(req), VM_DELETE_SECONDS, machine_removed)


POWER_TRANSITIONS = {
    # operation: (state while it runs, state after)
    "deallocate": ("deallocating", "deallocated"),
    "powerOff": ("stopping", "stopped"),
    "start": ("starting", "running"),
    "restart": ("starting", "running"),
}


def power_operation(req: Request, operation: str) -> Response:
    sim, resource_id = req.sim, vm_id(req)
    body = sim.store.get_or_404(resource_id)
    if operation in ("start", "restart"):
        refuse_when_generalized(body, operation)
    if operation == "restart" and body.get("__power") != "running":
        raise ArmError(
            409,
            "OperationNotAllowed",
            f"Operation 'restart' is not allowed on VM '{body['name']}' since the VM is not "
            "running.",
        )
    during, after = POWER_TRANSITIONS[operation]
    body["__power"] = during
    sim.store.put(resource_id, body)
    return sim.lro(
        req,
        resource_id=resource_id,
        status=202,
        duration=POWER_SECONDS[operation],
        on_done=power_changed,
        on_done_args={"resource_id": resource_id, "power": after},
        final=None,
        location=body["location"],
    )


@event("compute.power_changed")
def power_changed(sim: Sim, *, resource_id: str, power: str) -> None:
    body = sim.store.get(resource_id)
    if body is not None:
        body["__power"] = power
        sim.store.put(resource_id, body)


def power_route(operation: str) -> None:
    @route(
        "POST",
        VM_ITEM + f"/{operation}",
        api_versions=API,
        action=f"Microsoft.Compute/virtualMachines/{operation.lower()}/action",
    )
    def handler(req: Request) -> Response:
        return power_operation(req, operation)

    handler.__name__ = f"post_vm_{operation}"


for _operation in POWER_TRANSITIONS:
    power_route(_operation)


@route(
    "POST",
    VM_ITEM + "/generalize",
    api_versions=API,
    action="Microsoft.Compute/virtualMachines/generalize/action",
)
def generalize_vm(req: Request) -> Response:
    """Synchronous in Azure too (200, no polling): marks a stopped VM generalized."""
    sim, resource_id = req.sim, vm_id(req)
    body = sim.store.get_or_404(resource_id)
    power = body.get("__power", "running")
    if power not in ("stopped", "deallocated"):
        state = "running" if power in ("running", "starting") else f"in state '{power}'"
        raise ArmError(
            409,
            "OperationNotAllowed",
            f"Operation 'generalize' is not allowed on VM '{body['name']}' since the VM is "
            f"{state}. Please power off the VM (stop or deallocate it) and try again.",
        )
    body["__generalized"] = True
    sim.store.put(resource_id, body)
    return Response.ok(None)


# ================================================================= disks and snapshots

DISK_SKUS = ("Standard_LRS", "Premium_LRS", "StandardSSD_LRS", "UltraSSD_LRS", "Premium_ZRS",
             "StandardSSD_ZRS", "PremiumV2_LRS")  # fmt: skip
SNAPSHOT_SKUS = ("Standard_LRS", "Premium_LRS", "Standard_ZRS")


def disk_body(
    sim: Sim,
    resource_id: str,
    location: str,
    tags: dict,
    sku: str,
    os_type: str | None,
    hyper_v_generation: str | None,
    size_gb: int,
    creation: dict,
) -> dict:
    kind = ids.parse(resource_id).type
    props: dict[str, Any] = {
        "creationData": creation,
        "diskSizeGB": size_gb,
        "diskSizeBytes": size_gb * 1024**3,
        "uniqueId": str(uuid.uuid4()),
        "timeCreated": now_iso(sim),
        "provisioningState": "Creating",
        "diskState": "Unattached",
    }
    if os_type:
        props["osType"] = os_type
    if hyper_v_generation:
        props["hyperVGeneration"] = hyper_v_generation
    return {
        "id": resource_id,
        "name": ids.parse(resource_id).name,
        "type": kind,
        "location": location,
        "tags": tags,
        "sku": {"name": sku, "tier": sku.split("_")[0].replace("SSD", "")},
        "properties": props,
    }


def disk_capabilities(facts: dict) -> dict:
    """What a disk records of its image: architecture, and a security type other than Standard."""
    extra: dict[str, Any] = {}
    if facts.get("architecture"):
        extra["supportedCapabilities"] = {"architecture": facts["architecture"]}
    if facts.get("securityType") not in (None, "Standard"):
        extra["securityProfile"] = {"securityType": facts["securityType"]}
    return extra


def creation_facts(sim: Sim, creation: dict, location: str, snapshot: bool) -> dict:
    """Size, OS type and generation a new disk or snapshot inherits from its source."""
    option = rules.require(creation.get("createOption"), "creationData.createOption")
    options = ("Copy", "Import") if snapshot else ("Empty", "Copy", "FromImage", "Import")
    option = rules.check_enum(option, options, "creationData.createOption")
    if option == "Empty":
        return {}
    if option == "Copy":
        source_id = rules.require(creation.get("sourceResourceId"), "creationData.sourceResourceId")
        source = sim.store.get(source_id)
        if source is None or ids.parse(source_id).type.lower() not in (
            DISK.lower(),
            SNAPSHOT.lower(),
        ):
            raise source_not_found(source_id)
        props = source["properties"]
        return {
            "sizeGB": props.get("diskSizeGB"),
            "osType": props.get("osType"),
            "hyperVGeneration": props.get("hyperVGeneration"),
            "architecture": (props.get("supportedCapabilities") or {}).get("architecture"),
            "securityType": (props.get("securityProfile") or {}).get("securityType"),
        }
    if option == "Import":
        rules.require(creation.get("sourceUri"), "creationData.sourceUri")
        account = rules.require(creation.get("storageAccountId"), "creationData.storageAccountId")
        if sim.store.get(account) is None:
            raise source_not_found(account, "storage account")
        return {}
    reference = creation.get("imageReference") or creation.get("galleryImageReference") or {}
    rules.require(reference.get("id"), "creationData.imageReference.id")
    facts, _ = image_reference_facts(sim, reference, location)
    return facts


def put_disk_like(req: Request, collection: str, name_param: str, snapshot: bool) -> Response:
    sim = req.sim
    resource_id = item_id(req, collection, name_param)
    payload, existing = write_target(req, resource_id)
    if existing:
        return update_disk_like(req, resource_id, existing, payload)
    resource_type = SNAPSHOT if snapshot else DISK
    location = require_location(sim, payload, resource_type)
    props = payload.get("properties") or {}
    creation = rules.require(props.get("creationData"), "creationData")
    inherited = creation_facts(sim, creation, location, snapshot)
    size = props.get("diskSizeGB") or inherited.get("sizeGB")
    size = int(rules.require(size, "diskSizeGB"))
    if inherited.get("sizeGB") and size < int(inherited["sizeGB"]):
        raise ArmError(
            400,
            "InvalidParameter",
            f"The disk size {size} GB is smaller than the source's {inherited['sizeGB']} GB.",
            target="diskSizeGB",
        )
    skus = SNAPSHOT_SKUS if snapshot else DISK_SKUS
    sku = (
        rules.check_enum((payload.get("sku") or {}).get("name") or "Standard_LRS", skus, "sku.name")
        or "Standard_LRS"
    )
    os_type = rules.check_enum(
        props.get("osType") or inherited.get("osType"), rules.OS_TYPES, "osType"
    )
    generation = rules.check_enum(
        props.get("hyperVGeneration") or inherited.get("hyperVGeneration"),
        rules.HYPER_V_GENERATIONS,
        "hyperVGeneration",
    )
    body = disk_body(
        sim,
        resource_id,
        location,
        rules.check_tags(payload.get("tags")),
        sku,
        os_type,
        generation,
        size,
        creation,
    )
    body["properties"].update(disk_capabilities(inherited))
    if props.get("securityProfile"):
        body["properties"]["securityProfile"] = props["securityProfile"]
    if snapshot:
        body["properties"].pop("diskState")
        body["properties"]["incremental"] = bool(props.get("incremental", False))
    sim.store.put(resource_id, body)
    seconds = SNAPSHOT_SECONDS if snapshot else DISK_SECONDS
    # The disk service accepts writes with 202, never 201.
    return write_response(req, resource_id, body, True, seconds, status=202)


def update_disk_like(req: Request, resource_id: str, body: dict, payload: dict) -> Response:
    props = payload.get("properties") or {}
    size = props.get("diskSizeGB")
    if size is not None:
        if int(size) < int(body["properties"].get("diskSizeGB") or 0):
            raise ArmError(
                409,
                "OperationNotAllowed",
                "Disk size cannot be decreased: the new size must be greater than or equal to "
                f"{body['properties']['diskSizeGB']} GB.",
                target="diskSizeGB",
            )
        body["properties"]["diskSizeGB"] = int(size)
        body["properties"]["diskSizeBytes"] = int(size) * 1024**3
    if "tags" in payload:
        body["tags"] = rules.check_tags(payload["tags"])
    return update_response(req, resource_id, body, DISK_SECONDS, status=202)


def delete_disk_like(req: Request, resource_id: str) -> Response:
    body = req.sim.store.get(resource_id)
    if body and body.get("managedBy"):
        raise ArmError(
            409,
            "OperationNotAllowed",
            f"Disk {body['name']} is attached to VM {body['managedBy']}.",
        )
    return delete_response(req, resource_id, DISK_SECONDS, machine_removed)


def disk_like_routes(collection: str, name_param: str, snapshot: bool) -> None:
    """The item routes and lists of disks or snapshots, which differ only in their checks."""
    resource_type = SNAPSHOT if snapshot else DISK
    item = f"{GROUP}/providers/{resource_type}/{{{name_param}}}"

    def resource_id(req: Request) -> str:
        return item_id(req, collection, name_param)

    @route("PUT", item, api_versions=DISK_API, action=f"{resource_type}/write")
    def put(req: Request) -> Response:
        return put_disk_like(req, collection, name_param, snapshot=snapshot)

    @route("PATCH", item, api_versions=DISK_API, action=f"{resource_type}/write")
    def patch(req: Request) -> Response:
        body = req.sim.store.get_or_404(resource_id(req))
        return update_disk_like(req, resource_id(req), body, payload_of(req))

    @route("GET", item, api_versions=DISK_API, action=f"{resource_type}/read")
    def get(req: Request) -> Response:
        return Response.ok(public(req.sim.store.get_or_404(resource_id(req))))

    @route("DELETE", item, api_versions=DISK_API, action=f"{resource_type}/delete")
    def delete(req: Request) -> Response:
        if snapshot:  # only a disk is refused while a VM holds it
            return delete_response(req, resource_id(req), DISK_SECONDS, machine_removed)
        return delete_disk_like(req, resource_id(req))

    list_routes(resource_type, api_versions=DISK_API, action=f"{resource_type}/read", view=public)
    kind = "snapshot" if snapshot else "disk"
    for handler in (put, patch, get, delete):
        handler.__name__ = f"{handler.__name__}_{kind}"


disk_like_routes("disks", "diskName", snapshot=False)
disk_like_routes("snapshots", "snapshotName", snapshot=True)
