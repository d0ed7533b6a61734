"""Microsoft.VirtualMachineImages: image templates, builds, run outputs and triggers.

Validation lives in `imagebuilder_rules`, the build's phases in `builds`; this module
owns the routes, the stored state and the side effects of a build: the staging
resource group, permission checks with the template's identity, the artifacts
handed to the compute provider and the customization log.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from azsim.core import (
    ArmError,
    Request,
    Response,
    Sim,
    event,
    ids,
    iso,
    on_delete,
    resource_group_not_found,
    route,
)
from azsim.core.paging import list_routes
from azsim.core.routing import EventHandler, admin_records
from azsim.providers import builds
from azsim.providers import imagebuilder_rules as rules

log = logging.getLogger("azsim.imagebuilder")

API = rules.API_VERSIONS
TRIGGER_API = tuple(v for v in API if v >= "2022-07-01")  # triggers came with 2022-07-01
NAMESPACE = "Microsoft.VirtualMachineImages"
GROUP = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
TEMPLATES = GROUP + "/providers/Microsoft.VirtualMachineImages/imageTemplates"
TEMPLATE = TEMPLATES + "/{imageTemplateName}"
ACTION = "Microsoft.VirtualMachineImages/imageTemplates"
FAILURE_RULE_TYPE = "Microsoft.VirtualMachineImages/simFailureRules"
FAILURE_RULES = "/providers/Microsoft.VirtualMachineImages/simFailureRules"

CREATE_SECONDS = 30
UPDATE_SECONDS = 20
DELETE_SECONDS = 90
TRIGGER_SECONDS = 15
TRIGGER_POLL_SECONDS = 300
TRIGGER_FAILURES_BEFORE_DISABLE = 3
LOG_CONTAINER = "packerlogs"
# Azurite's well-known development account: what a blob endpoint without credentials means.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
BLOB_API_VERSION = "2021-12-02"


# ---------------------------------------------------------------------------
# Small helpers


def template_id_of(params: dict[str, str]) -> str:
    return (
        f"/subscriptions/{params['subscriptionId']}/resourceGroups/{params['resourceGroupName']}"
        f"/providers/{NAMESPACE}/imageTemplates/{params['imageTemplateName']}"
    )


def group_id_of(params: dict[str, str]) -> str:
    return f"/subscriptions/{params['subscriptionId']}/resourceGroups/{params['resourceGroupName']}"


def violation_response(req: Request, violation: rules.RuleViolation) -> Response:
    """Up to 2020-02-14 the service answered errors without the `error` envelope."""
    if rules.enveloped_errors(req.api_version or API[-1]):
        raise ArmError(violation.status, violation.code, violation.message)
    return Response(violation.status, {"code": violation.code, "message": violation.message})


def require_group(sim: Sim, params: dict[str, str]) -> dict[str, Any]:
    group = sim.store.get(group_id_of(params))
    if group is None:
        raise resource_group_not_found(params["resourceGroupName"])
    return group


def template_children(req: Request, child_type: str) -> Response:
    """A page of one type of a template's children (run outputs, triggers)."""
    template_id = template_id_of(req.params)
    req.sim.store.get_or_404(template_id)
    return req.sim.page(req, req.sim.store.children(template_id, child_type))


def run_state(template: dict[str, Any]) -> str | None:
    status = template["properties"].get("lastRunStatus") or {}
    return status.get("runState")


def is_building(template: dict[str, Any]) -> bool:
    return run_state(template) in ("Running", "Canceling")


def accepted_delete(
    req: Request,
    resource_id: str,
    body: dict[str, Any],
    seconds: float,
    on_done: EventHandler,
    location: str | None = None,
    **done_args: str,
) -> Response:
    """Image Builder's deletes are polled through `Location` as well (final state via
    location); a trigger has no region of its own and passes its template's."""
    return req.sim.lro_delete(
        req,
        resource_id=resource_id,
        body=body,
        duration=seconds,
        on_done=on_done,
        on_done_args=done_args,
        final="location",
        location=location or body["location"],
    )


def conflict(message: str) -> ArmError:
    return ArmError(409, "Conflict", message)


def identity_principal(sim: Sim, template: dict[str, Any]) -> str:
    """The object id of the template's user-assigned identity ('' when it is gone)."""
    assigned = (template.get("identity") or {}).get("userAssignedIdentities") or {}
    for identity_id in assigned:
        identity = sim.store.get(identity_id)
        if identity is not None:
            return str(identity.get("properties", {}).get("principalId", ""))
    return ""


def resolve_identity(req: Request, identity: dict[str, Any], template_id: str) -> dict[str, Any]:
    """The identity block as stored: each identity must exist and be assignable by the caller."""
    resolved: dict[str, Any] = {}
    for identity_id in identity["userAssignedIdentities"]:
        record = assignable_identity(req, identity_id, template_id)
        props = record.get("properties", {})
        resolved[record.get("id", identity_id)] = {
            "principalId": props.get("principalId"),
            "clientId": props.get("clientId"),
        }
    return {"type": "UserAssigned", "userAssignedIdentities": resolved}


def assignable_identity(req: Request, identity_id: str, template_id: str) -> dict[str, Any]:
    record = req.sim.store.get(identity_id)
    if record is None:
        raise ArmError(
            400,
            "InvalidIdentity",
            f"The user-assigned identity '{identity_id}' given to the image template was not found.",
        )
    if req.principal is not None:
        req.sim.authz.check(
            req.principal.object_id,
            "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action",
            record.get("id", identity_id),
            linked=True,
            primary_action=f"{ACTION}/write",
            primary_scope=template_id,
        )
    return record


def check_build_vm_identities(req: Request, properties: dict[str, Any], template_id: str) -> None:
    """Identities for the build VM (vmProfile) must exist and be assignable, like the template's."""
    for identity_id in (properties.get("vmProfile") or {}).get("userAssignedIdentities") or []:
        assignable_identity(req, identity_id, template_id)


def tags_of(body: dict[str, Any]) -> dict[str, str]:
    return dict(body.get("tags") or {})


# ---------------------------------------------------------------------------
# Image templates


@route("PUT", TEMPLATE, api_versions=API, action=f"{ACTION}/write")
def put_template(req: Request) -> Response:
    sim = req.sim
    template_id = template_id_of(req.params)
    api_version = req.api_version or API[-1]
    group = require_group(sim, req.params)
    if sim.store.get(template_id) is not None:
        raise conflict(
            "Update/Upgrade of image templates is currently not supported. Delete the existing "
            "image template or submit the template under a new name."
        )
    try:
        rules.validate_template_name(req.params["imageTemplateName"])
        rules.validate_template(req.json, api_version)
    except rules.RuleViolation as violation:
        return violation_response(req, violation)
    body: dict[str, Any] = req.json
    if not body.get("location"):
        raise ArmError(
            400, "LocationRequired", "The location property is required for this definition."
        )
    location = sim.normalize_location(body["location"], rules.RESOURCE_TYPE)
    identity = resolve_identity(req, body["identity"], template_id)
    properties = rules.normalize_properties(body["properties"], api_version)
    check_build_vm_identities(req, properties, template_id)
    staging_id = staging_group_id(sim, req.params, properties, group)
    template = {
        "id": template_id,
        "name": req.params["imageTemplateName"],
        "type": rules.RESOURCE_TYPE,
        "location": location,
        "tags": tags_of(body),
        "identity": identity,
        "properties": {
            **properties,
            "provisioningState": "Creating",
            "exactStagingResourceGroup": staging_id,
        },
        "systemData": system_data(req),
    }
    sim.store.put(template_id, template)
    return sim.lro(
        req,
        resource_id=template_id,
        status=201,
        body=template,
        duration=CREATE_SECONDS,
        on_done=template_created,
        on_done_args={"template_id": template_id},
        location=location,
    )


def system_data(req: Request) -> dict[str, Any]:
    now = iso(req.sim.now())
    who = req.principal.client_id if req.principal else ""
    return {
        "createdBy": who,
        "createdByType": "Application",
        "createdAt": now,
        "lastModifiedBy": who,
        "lastModifiedByType": "Application",
        "lastModifiedAt": now,
    }


def staging_group_id(
    sim: Sim, params: dict[str, str], properties: dict[str, Any], group: dict[str, Any]
) -> str:
    given = properties.get("stagingResourceGroup")
    if given:
        return str(given)
    name = rules.staging_resource_group_name(
        group.get("name", params["resourceGroupName"]),
        params["imageTemplateName"],
        str(uuid.uuid4()),
    )
    return f"/subscriptions/{params['subscriptionId']}/resourceGroups/{name}"


@event("imagebuilder.template_created")
def template_created(sim: Sim, *, template_id: str) -> None:
    template = sim.store.get(template_id)
    if template is None:
        return
    properties = template["properties"]
    problem = (
        rules.provisioning_error(properties, sim.store.get)
        or platform_source_problem(sim, template)
        or staging_group_problem(sim, template)
    )
    if problem is not None:
        fail_provisioning(sim, template, *problem)
    prepare_staging(sim, template)
    properties["provisioningState"] = "Succeeded"
    sim.store.put(template_id, template)
    if (properties.get("autoRun") or {}).get("state") == "Enabled":
        start_build(sim, template_id, operation_id=None)


def platform_image_of(
    sim: Sim, template: dict[str, Any], version: str | None = None
) -> dict[str, Any]:
    """The platform image a template's source names in the template's region (its own version
    unless `version` is given); `ArmError` when there is none."""
    from azsim.providers import compute

    source = template["properties"]["source"]
    return compute.resolve_platform_image(
        sim,
        template["location"],
        source["publisher"],
        source["offer"],
        source["sku"],
        version or source["version"],
    )


def platform_source_problem(sim: Sim, template: dict[str, Any]) -> tuple[str, str] | None:
    """A platform image source must exist in the template's region (`latest` needs any version)."""
    if template["properties"]["source"]["type"] != "PlatformImage":
        return None
    try:
        platform_image_of(sim, template)
    except ArmError as error:
        return ("BadPIRSource", f"The platform image source is not available: {error.message}")
    return None


def fail_provisioning(sim: Sim, template: dict[str, Any], code: str, message: str) -> None:
    """Leave the template Failed with provisioningError, as Azure does, and fail the operation."""
    template["properties"]["provisioningState"] = "Failed"
    template["properties"]["provisioningError"] = {
        "provisioningErrorCode": code,
        "message": message,
    }
    sim.store.put(template["id"], template)
    raise ArmError(400, code, message)


def staging_group_problem(sim: Sim, template: dict[str, Any]) -> tuple[str, str] | None:
    """A given staging group must be in the template's subscription, empty and in its region."""
    given = template["properties"].get("stagingResourceGroup")
    if not given:
        return None
    reason = staging_group_reason(sim, template, given)
    if reason is None:
        return None
    return ("BadStagingResourceGroup", f"The staging resource group '{given}' {reason}.")


def staging_group_reason(sim: Sim, template: dict[str, Any], given: str) -> str | None:
    wanted, home = ids.parse(given), ids.parse(template["id"])
    if (wanted.subscription_id or "").lower() != (home.subscription_id or "").lower():
        return "must be in the subscription of the image template"
    if (wanted.resource_group or "").lower() == (home.resource_group or "").lower():
        return "cannot be the resource group of the image template"
    group = sim.store.get(given)
    if group is None:
        return None
    if any(rid.lower() != given.lower() and ids.is_under(rid, given) for rid in sim.store.ids()):
        return "already exists and is not empty; an existing staging resource group must be empty"
    if str(group.get("location", "")).lower() != template["location"]:
        return "already exists in a region other than the image template's"
    return None


def prepare_staging(sim: Sim, template: dict[str, Any]) -> None:
    """The staging group exists while the template does; Image Builder keeps its storage there."""
    staging_id = template["properties"]["exactStagingResourceGroup"]
    created_group = sim.store.get(staging_id) is None
    if created_group:
        name = staging_id.rstrip("/").rsplit("/", 1)[-1]
        tags = {
            **dict(template["properties"].get("managedResourceTags") or {}),
            "createdBy": "AzureVMImageBuilder",
            "imageTemplateName": template["name"],
            "imageTemplateResourceGroupName": ids.parse(template["id"]).resource_group or "",
        }
        sim.store.put(
            staging_id,
            {
                "id": staging_id,
                "name": name,
                "type": "Microsoft.Resources/resourceGroups",
                "location": template["location"],
                "tags": tags,
                "managedBy": template["id"],
                "properties": {"provisioningState": "Succeeded"},
            },
        )
    account = staging_account_name(template)
    account_id = f"{staging_id}/providers/Microsoft.Storage/storageAccounts/{account}"
    sim.store.put(
        account_id,
        {
            "id": account_id,
            "name": account,
            "type": "Microsoft.Storage/storageAccounts",
            "location": template["location"],
            "kind": "StorageV2",
            "sku": {"name": "Standard_LRS", "tier": "Standard"},
            "tags": dict(template["properties"].get("managedResourceTags") or {}),
            "properties": {
                "provisioningState": "Succeeded",
                "primaryLocation": template["location"],
                "statusOfPrimary": "available",
                "allowBlobPublicAccess": False,
                "minimumTlsVersion": "TLS1_2",
                "primaryEndpoints": {"blob": staging_blob_endpoint(sim, account)},
            },
        },
    )
    template["__staging"] = {"createdGroup": created_group, "accountId": account_id}


def staging_blob_endpoint(sim: Sim, account: str) -> str:
    configured = sim.config("blob_endpoint")
    if configured:
        return str(configured).replace("{account}", account).rstrip("/") + "/"
    return f"https://{account}.blob.core.windows.net/"


def staging_account_name(template: dict[str, Any]) -> str:
    """A stable 24-character storage account name derived from the template id."""
    digest = uuid.uuid5(uuid.NAMESPACE_URL, template["id"].lower()).hex
    return digest[:24]


@route("GET", TEMPLATE, api_versions=API, action=f"{ACTION}/read")
def get_template(req: Request) -> Response:
    return Response.ok(req.sim.store.get_or_404(template_id_of(req.params)))


list_routes(rules.RESOURCE_TYPE, api_versions=API, action=f"{ACTION}/read")


@route("PATCH", TEMPLATE, api_versions=API, action=f"{ACTION}/write")
def patch_template(req: Request) -> Response:
    sim = req.sim
    template_id = template_id_of(req.params)
    try:
        rules.validate_update(req.json, req.api_version or API[-1])
    except rules.RuleViolation as violation:
        return violation_response(req, violation)
    template = sim.store.get_or_404(template_id)
    if is_building(template):
        raise conflict(
            f"The image template '{template['name']}' cannot be updated while a build is running."
        )
    update: dict[str, Any] = req.json
    updated = rules.apply_update(template, update)
    if update.get("identity") is not None:
        updated["identity"] = resolve_identity(req, update["identity"], template_id)
    check_build_vm_identities(req, updated["properties"], template_id)
    updated["properties"]["provisioningState"] = "Updating"
    updated["systemData"] = {**template.get("systemData", {}), **_modified(req)}
    sim.store.put(template_id, updated)
    return sim.lro(
        req,
        resource_id=template_id,
        status=202,
        duration=UPDATE_SECONDS,
        on_done=template_updated,
        on_done_args={"template_id": template_id},
        location=template["location"],
    )


def _modified(req: Request) -> dict[str, Any]:
    return {
        "lastModifiedBy": req.principal.client_id if req.principal else "",
        "lastModifiedByType": "Application",
        "lastModifiedAt": iso(req.sim.now()),
    }


@event("imagebuilder.template_updated")
def template_updated(sim: Sim, *, template_id: str) -> None:
    template = sim.store.get(template_id)
    if template is None:
        return
    problem = rules.provisioning_error(template["properties"], sim.store.get)
    if problem is not None:
        fail_provisioning(sim, template, *problem)
    template["properties"]["provisioningState"] = "Succeeded"
    template["properties"].pop("provisioningError", None)
    sim.store.put(template_id, template)
    if (template["properties"].get("autoRun") or {}).get("state") == "Enabled":
        start_build(sim, template_id, operation_id=None)


@route("DELETE", TEMPLATE, api_versions=API, action=f"{ACTION}/delete")
def delete_template(req: Request) -> Response:
    sim = req.sim
    template_id = template_id_of(req.params)
    template = sim.store.get(template_id)
    if template is None:
        return Response.no_content()
    if is_building(template):
        raise conflict(
            f"The image template '{template['name']}' cannot be deleted while a build is running. "
            "Cancel the build first, or wait for it to finish."
        )
    return accepted_delete(
        req, template_id, template, DELETE_SECONDS, template_deleted, template_id=template_id
    )


@event("imagebuilder.template_deleted")
def template_deleted(sim: Sim, *, template_id: str) -> None:
    template = sim.store.get(template_id)
    if template is None:
        return
    remove_staging(sim, template)
    sim.store.delete_under(template_id)


@on_delete(rules.RESOURCE_TYPE)
def remove_staging(sim: Sim, template: dict[str, Any]) -> None:
    """Image Builder's staging group (or, in a group the user gave, its storage account) goes
    with the template, also when the template goes with its resource group."""
    staging = template.get("__staging") or {}
    staging_id = template["properties"].get("exactStagingResourceGroup")
    if staging_id and staging.get("createdGroup"):
        sim.store.delete_under(staging_id)
    elif staging.get("accountId"):
        sim.store.delete_under(staging["accountId"])


# ---------------------------------------------------------------------------
# Builds


@route("POST", TEMPLATE + "/run", api_versions=API, action=f"{ACTION}/run/action")
def run_template(req: Request) -> Response:
    sim = req.sim
    template_id = template_id_of(req.params)
    template = sim.store.get_or_404(template_id)
    if template["properties"].get("provisioningState") != "Succeeded":
        raise conflict(
            f"The image template '{template['name']}' is in provisioning state "
            f"'{template['properties'].get('provisioningState')}'; only a template that "
            "provisioned successfully can be run."
        )
    if is_building(template):
        raise conflict(f"A build of the image template '{template['name']}' is already running.")
    run = builds.new_run(template["properties"], str(uuid.uuid4()), sim.now())
    response = sim.lro(
        req,
        resource_id=template_id,
        status=202,
        # settled by the build's end; the deadline is only a backstop past the build timeout
        duration=builds.timeout_seconds(template["properties"]) + builds.CANCEL_SECONDS + 3600,
        on_done=run_operation_done,
        on_done_args={"template_id": template_id, "run_id": run["runId"]},
        final=None,
        location=template["location"],
    )
    start_build(sim, template_id, operation_id=response.operation_id, run=run)
    return response


def start_build(
    sim: Sim,
    template_id: str,
    *,
    operation_id: str | None,
    run: dict[str, Any] | None = None,
    triggered_by: str | None = None,
) -> dict[str, Any]:
    """Start a build now: store the run, report Running/Queued, schedule the first phase end."""
    template = sim.store.get_or_404(template_id)
    now = sim.now()
    run = run or builds.new_run(template["properties"], str(uuid.uuid4()), now)
    run = {**run, "operationId": operation_id, "triggeredBy": triggered_by}
    for output in sim.store.children(template_id, rules.RUN_OUTPUT_TYPE):
        sim.store.delete(output["id"])
    template["__run"] = run
    template["properties"]["lastRunStatus"] = builds.running_status(run, now)
    sim.store.put(template_id, template)
    schedule_phase_end(sim, template_id, run)
    return run


def current_run(sim: Sim, template_id: str, run_id: str) -> dict[str, Any] | None:
    """The template, if `run_id` is its running build; stale events find None."""
    template = sim.store.get(template_id)
    if template is None or (template.get("__run") or {}).get("runId") != run_id:
        return None
    return template


@event("imagebuilder.phase_ended")
def phase_ended(sim: Sim, *, template_id: str, run_id: str, index: int) -> None:
    template = current_run(sim, template_id, run_id)
    if template is None or run_state(template) != "Running":
        return
    run = template["__run"]
    if run["index"] != index:
        return
    sub_state = builds.current_sub_state(run)
    injected = take_failure(sim, template, sub_state)
    if injected is not None:
        fail_in_sub_state(sim, template, sub_state, injected)
        return
    if builds.is_last_phase(run) and run.get("timedOut"):
        end_build(sim, template, "Failed", builds.TIMEOUT_MESSAGE)
        return
    if sub_state == "Building":
        problem = check_source(sim, template)
        if problem is not None:
            end_build(sim, template, "Failed", problem)
            return
    if sub_state == "Distributing":
        distribute(sim, template)
        return
    if builds.is_last_phase(run):
        end_build(sim, template, "Succeeded", "")
        return
    enter_next_phase(sim, template)


def enter_next_phase(sim: Sim, template: dict[str, Any]) -> None:
    run = builds.advance(template["__run"])
    template["__run"] = run
    template["properties"]["lastRunStatus"]["runSubState"] = builds.current_sub_state(run)
    sim.store.put(template["id"], template)
    schedule_phase_end(sim, template["id"], run)


def schedule_phase_end(sim: Sim, template_id: str, run: dict[str, Any]) -> None:
    """Phases end at fixed offsets from the start, however late their events ran."""
    started = datetime.fromtimestamp(run["startTime"], UTC)
    delay = (builds.phase_end_time(started, run) - sim.now()).total_seconds()
    sim.schedule(
        max(0.0, delay),
        phase_ended,
        template_id=template_id,
        run_id=run["runId"],
        index=run["index"],
    )


def end_build(sim: Sim, template: dict[str, Any], state: str, message: str) -> None:
    """Report the run's end and settle the `run` operation that is waiting for it."""
    previous = template["properties"]["lastRunStatus"]
    run = template["__run"]
    template["properties"]["lastRunStatus"] = builds.final_status(
        previous, state, end_time(sim, run, state), message
    )
    sim.store.put(template["id"], template)
    note_trigger_outcome(sim, template, state)
    operation_id = run.get("operationId")
    if operation_id:
        sim.finish_operation(operation_id)


def end_time(sim: Sim, run: dict[str, Any], state: str) -> datetime:
    """When the run ended in simulated time, even if its event ran late (after a restart)."""
    if state == "Canceled" and run.get("cancelDue"):
        moment = datetime.fromtimestamp(run["cancelDue"], UTC)
    else:
        moment = builds.phase_end_time(datetime.fromtimestamp(run["startTime"], UTC), run)
    return min(moment, sim.now())


@event("imagebuilder.run_operation_done")
def run_operation_done(sim: Sim, *, template_id: str, run_id: str) -> None:
    """The `run` operation fails when the build did, with the run's message."""
    template = sim.store.get(template_id)
    if template is None:
        raise ArmError(404, "ResourceNotFound", "The image template was deleted during the build.")
    status = template["properties"].get("lastRunStatus") or {}
    state = status.get("runState")
    if (template.get("__run") or {}).get("runId") != run_id or state == "Succeeded":
        return
    if state in ("Running", "Canceling"):
        raise ArmError(500, "InternalOperationError", "Internal error occurred.")
    raise ArmError(
        400,
        "ImageTemplateBuildFailed" if state != "Canceled" else "ImageTemplateBuildCanceled",
        f"Deployment failed. Correlation ID: {run_id}. {status.get('message', '')}".strip(),
    )


def fail_in_sub_state(
    sim: Sim, template: dict[str, Any], sub_state: str, injected: dict[str, Any]
) -> None:
    detail = str(injected.get("message") or "")
    run = template["__run"]
    if sub_state == "Customizing":
        url = write_customization_log(sim, template, detail)
        message = builds.customization_failure_message(url, run["runId"], detail)
        message += abort_note(template, "onCustomizerError")
        end_build(sim, template, "Failed", message)
        return
    if sub_state == "Validating":
        url = log_url(sim, template, "validation.log")
        message = builds.validation_failure_message(url, run["runId"], detail)
        message += abort_note(template, "onValidationError")
        if (template["properties"].get("validate") or {}).get("continueDistributeOnFailure"):
            run["failedValidation"] = message
            if not builds.is_last_phase(run):
                enter_next_phase(sim, template)
                return
        end_build(sim, template, "Failed", message)
        return
    end_build(sim, template, "Failed", detail or builds.default_failure_message(sub_state))


def abort_note(template: dict[str, Any], setting: str) -> str:
    if (template["properties"].get("errorHandling") or {}).get(setting) == "abort":
        return (
            f" errorHandling.{setting} is 'abort': the build VM and its resources were kept in the "
            "staging resource group for troubleshooting."
        )
    return ""


# ---------------------------------------------------------------------------
# Failure injection (admin API)


@route("POST", "/_sim/imagebuilder/failures", admin=True)
def add_failure(req: Request) -> Response:
    body = req.json if isinstance(req.json, dict) else {}
    template = body.get("template")
    sub_state = body.get("sub_state")
    count = body.get("count", 1)
    if not isinstance(template, str) or not template:
        raise ArmError(400, "InvalidRequestContent", "'template' (a name or an id) is required.")
    if sub_state not in builds.SUB_STATES:
        raise ArmError(
            400,
            "InvalidRequestContent",
            f"'sub_state' must be one of {', '.join(builds.SUB_STATES)}.",
        )
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ArmError(400, "InvalidRequestContent", "'count' must be a positive integer.")
    rule_id = f"{FAILURE_RULES}/{uuid.uuid4()}"
    req.sim.store.put(
        rule_id,
        {
            "id": rule_id,
            "template": template,
            "sub_state": sub_state,
            "message": str(body.get("message") or ""),
            "count": count,
        },
    )
    return Response.created({"id": rule_id})


admin_records("/_sim/imagebuilder/failures", FAILURE_RULE_TYPE)


def rule_matches(rule: dict[str, Any], template: dict[str, Any]) -> bool:
    wanted = str(rule["template"]).rstrip("/").lower()
    if "/" in wanted:
        return wanted == template["id"].lower()
    return wanted == template["name"].lower()


def take_failure(sim: Sim, template: dict[str, Any], sub_state: str) -> dict[str, Any] | None:
    """Consume one use of the first failure rule for this template and sub-state."""
    return sim.store.take(
        FAILURE_RULE_TYPE,
        lambda rule: rule["sub_state"] == sub_state and rule_matches(rule, template),
    )


# ---------------------------------------------------------------------------
# The source


def check_source(sim: Sim, template: dict[str, Any]) -> str | None:
    """Resolve the source as the build VM is deployed; a message when that fails."""
    source = template["properties"]["source"]
    principal = identity_principal(sim, template)
    if source["type"] == "PlatformImage":
        return resolve_platform_source(sim, template, source)
    if source["type"] == "ManagedImage":
        image_id = source["imageId"]
        if sim.store.get(image_id) is None:
            return f"Build (Managed Image) step failed: Error getting Managed Image '{image_id}': not found."
        if not sim.authz.allowed(principal, "Microsoft.Compute/images/read", image_id):
            return builds.not_authorized_message(image_id)
        return None
    version_id = resolve_gallery_source(sim, source["imageVersionId"])
    if version_id is None:
        return (
            f"Build (Shared Image Version) step failed for Image Version '{source['imageVersionId']}': "
            "the image version was not found."
        )
    if not sim.authz.allowed(
        principal, "Microsoft.Compute/galleries/images/versions/read", version_id
    ):
        return builds.not_authorized_message(version_id)
    source["exactVersion"] = version_id
    sim.store.put(template["id"], template)
    return None


def resolve_platform_source(
    sim: Sim, template: dict[str, Any], source: dict[str, Any]
) -> str | None:
    try:
        image = platform_image_of(sim, template)
    except ArmError as error:
        return f"Build (Platform Image) step failed: {error.message}"
    source["exactVersion"] = image.get("name") or source["version"]
    template["__sourceFacts"] = platform_facts(image)
    sim.store.put(template["id"], template)
    return None


def platform_facts(image: dict[str, Any]) -> dict[str, Any]:
    props = image.get("properties") or {}
    return {
        "osType": ((props.get("osDiskImage") or {}).get("operatingSystem")),
        "hyperVGeneration": props.get("hyperVGeneration"),
        "architecture": props.get("architecture"),
    }


def resolve_gallery_source(sim: Sim, version_id: str) -> str | None:
    """The id of the source version, `latest` resolved to the newest not excluded from it."""
    if not rules.is_latest_version_id(version_id):
        record = sim.store.get(version_id)
        return record.get("id", version_id) if record else None
    definition_id = version_id.rstrip("/").rsplit("/versions/", 1)[0]
    candidates = [
        v
        for v in sim.store.children(definition_id, "Microsoft.Compute/galleries/images/versions")
        if not ((v.get("properties") or {}).get("publishingProfile") or {}).get("excludeFromLatest")
    ]
    if not candidates:
        return None
    newest = max(candidates, key=lambda v: version_key(v["name"]))
    return str(newest["id"])


def version_key(name: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in name.split("."))
    except ValueError:
        return (-1,)


def source_facts(sim: Sim, template: dict[str, Any]) -> dict[str, Any]:
    """OS type and generation of the image the build produces, from its source."""
    source = template["properties"]["source"]
    facts: dict[str, Any] = dict(template.get("__sourceFacts") or {})
    if source["type"] == "ManagedImage":
        props = (sim.store.get(source["imageId"]) or {}).get("properties") or {}
        facts["osType"] = ((props.get("storageProfile") or {}).get("osDisk") or {}).get("osType")
        facts["hyperVGeneration"] = props.get("hyperVGeneration")
    elif source["type"] == "SharedImageVersion":
        definition_id = source["imageVersionId"].rstrip("/").rsplit("/versions/", 1)[0]
        props = (sim.store.get(definition_id) or {}).get("properties") or {}
        facts["osType"] = props.get("osType")
        facts["hyperVGeneration"] = props.get("hyperVGeneration")
    if not facts.get("osType"):
        facts["osType"] = "Windows" if builds.is_windows_source(source) else "Linux"
    facts["hyperVGeneration"] = facts.get("hyperVGeneration") or "V1"
    return {k: v for k, v in facts.items() if v}


# ---------------------------------------------------------------------------
# Distribution


def distribute(sim: Sim, template: dict[str, Any]) -> None:
    """Publish to every target; the run ends Succeeded, PartiallySucceeded or Failed."""
    run = template["__run"]
    errors: list[str] = []
    for index, target in enumerate(template["properties"]["distribute"]):
        try:
            artifact = distribute_one(sim, template, target)
        except ArmError as error:
            errors.append(f"[Error {len(errors)}] [Distribute {index}] {error.message}")
            save_run_output(sim, template, target["runOutputName"], {}, "Failed")
            continue
        except Exception:  # a fault of the stand-in must still end the build, as ServerError
            log.exception("distributing %s failed", target.get("runOutputName"))
            errors.append(f"[Error {len(errors)}] [Distribute {index}] Internal error occurred.")
            save_run_output(sim, template, target["runOutputName"], {}, "Failed")
            continue
        save_run_output(sim, template, target["runOutputName"], artifact, "Succeeded")
    total = len(template["properties"]["distribute"])
    if run.get("failedValidation"):
        end_build(sim, template, "Failed", run["failedValidation"])
    elif not errors:
        end_build(sim, template, "Succeeded", "")
    else:
        state = "Failed" if len(errors) == total else "PartiallySucceeded"
        summary = f"Failed in distributing {len(errors)} images out of total {total}: "
        end_build(sim, template, state, summary + "{" + "; ".join(errors) + "}")


def require_right(sim: Sim, template: dict[str, Any], action: str, scope: str) -> None:
    if not sim.authz.allowed(identity_principal(sim, template), action, scope):
        raise ArmError(403, "AuthorizationFailed", builds.not_authorized_message(scope))


def distribute_one(sim: Sim, template: dict[str, Any], target: dict[str, Any]) -> dict[str, str]:
    if target["type"] == "ManagedImage":
        return distribute_managed_image(sim, template, target)
    if target["type"] == "SharedImage":
        return distribute_gallery_version(sim, template, target)
    return distribute_vhd(sim, template, target)


def distribute_managed_image(
    sim: Sim, template: dict[str, Any], target: dict[str, Any]
) -> dict[str, str]:
    from azsim.providers import compute

    image_id = target["imageId"]
    require_right(sim, template, "Microsoft.Compute/images/write", image_id)
    replace_existing_image(sim, template, image_id, target["location"])
    facts = source_facts(sim, template)
    image = compute.create_managed_image_from_build(
        sim,
        image_id,
        location=sim.normalize_location(target["location"]),
        os_type=facts["osType"],
        hyper_v_generation=facts["hyperVGeneration"],
        tags=dict(target.get("artifactTags") or {}),
    )
    return {"artifactId": str(image.get("id", image_id))}


def replace_existing_image(
    sim: Sim, template: dict[str, Any], image_id: str, location: str
) -> None:
    """A rebuild overwrites the managed image it distributes to, which must be in `location`."""
    existing = sim.store.get(image_id)
    if existing is None:
        return
    if str(existing.get("location", "")).lower() != sim.normalize_location(location):
        raise ArmError(
            400,
            "BadDistributeType",
            f"The managed image '{image_id}' exists in '{existing.get('location')}', not in "
            f"the distribution location '{location}'.",
        )
    require_right(sim, template, "Microsoft.Compute/images/delete", image_id)
    sim.store.delete(image_id)


def distribute_gallery_version(
    sim: Sim, template: dict[str, Any], target: dict[str, Any]
) -> dict[str, str]:
    from azsim.providers import compute

    gallery_image_id = target["galleryImageId"]
    definition_id = rules.GALLERY_IMAGE_ID_PATTERN.match(gallery_image_id)
    version_name = definition_id.group("version") if definition_id else None
    image_definition_id = (
        gallery_image_id.split("/versions/")[0] if version_name else gallery_image_id
    )
    require_right(
        sim, template, "Microsoft.Compute/galleries/images/versions/write", image_definition_id
    )
    if sim.store.get(image_definition_id) is None:
        raise ArmError(404, "NotFound", f"The gallery image '{image_definition_id}' was not found.")
    version_name = version_name or gallery_version_name(sim, template, target, image_definition_id)
    version_id = f"{image_definition_id}/versions/{version_name}"
    facts = source_facts(sim, template)
    version = compute.create_gallery_image_version_from_build(
        sim,
        version_id,
        location=template["location"],
        target_regions=target_regions_of(sim, template, target),
        exclude_from_latest=bool(target.get("excludeFromLatest")),
        replication_mode=target.get("replicationMode"),
        storage_account_type=target.get("storageAccountType"),
        tags=dict(target.get("artifactTags") or {}),
        source={**facts, "location": template["location"], "description": template["id"]},
    )
    return {"artifactId": str(version.get("id", version_id))}


def gallery_version_name(
    sim: Sim, template: dict[str, Any], target: dict[str, Any], definition_id: str
) -> str:
    """The version a build publishes under, from the target's versioning scheme."""
    from azsim.providers import compute

    versioning = target.get("versioning") or {"scheme": "Latest"}
    source = template["properties"]["source"]
    if versioning["scheme"] == "Source":
        if source["type"] == "SharedImageVersion":
            return str(source.get("exactVersion") or source["imageVersionId"]).rsplit("/", 1)[-1]
        if source["type"] == "PlatformImage":
            platform_version = source.get("exactVersion") or source["version"]
            return compute.next_gallery_image_version(
                sim, definition_id, f"Source:{platform_version}"
            )
        raise ArmError(
            400,
            "BadSharedImageDistribute",
            "The Source versioning scheme needs a platform image or gallery image version source.",
        )
    major = versioning.get("major", -1)
    if major is None or major < 0:
        return compute.next_gallery_image_version(sim, definition_id, "Latest")
    return next_version_in_major(sim, definition_id, int(major))


def next_version_in_major(sim: Sim, definition_id: str, major: int) -> str:
    names = [
        v["name"]
        for v in sim.store.children(definition_id, "Microsoft.Compute/galleries/images/versions")
    ]
    in_major = [version_key(n) for n in names if version_key(n)[0] == major]
    if not in_major:
        return f"{major}.0.0"
    _, minor, patch = max(in_major)
    return f"{major}.{minor}.{patch + 1}"


def target_regions_of(
    sim: Sim, template: dict[str, Any], target: dict[str, Any]
) -> list[dict[str, Any]]:
    """targetRegions (or the older replicationRegions) in the gallery API's shape."""
    if target.get("targetRegions"):
        return [
            {
                "name": sim.normalize_location(region["name"]),
                "regionalReplicaCount": region.get("replicaCount", 1),
                "storageAccountType": region.get("storageAccountType", "Standard_LRS"),
            }
            for region in target["targetRegions"]
        ]
    names = target.get("replicationRegions") or [template["location"]]
    return [{"name": sim.normalize_location(name), "regionalReplicaCount": 1} for name in names]


def distribute_vhd(sim: Sim, template: dict[str, Any], target: dict[str, Any]) -> dict[str, str]:
    if target.get("uri"):
        return {"artifactUri": str(target["uri"])}
    run_id = template["__run"]["runId"]
    account = staging_account_name(template)
    return {
        "artifactUri": f"https://{account}.blob.core.windows.net/vhds/{target['runOutputName']}-{run_id}.vhd"
    }


def save_run_output(
    sim: Sim, template: dict[str, Any], name: str, artifact: dict[str, str], state: str
) -> None:
    output_id = f"{template['id']}/runOutputs/{name}"
    sim.store.put(
        output_id,
        {
            "id": output_id,
            "name": name,
            "type": rules.RUN_OUTPUT_TYPE,
            "properties": {**artifact, "provisioningState": state},
        },
    )


@route("GET", TEMPLATE + "/runOutputs", api_versions=API, action=f"{ACTION}/runOutputs/read")
def list_run_outputs(req: Request) -> Response:
    return template_children(req, rules.RUN_OUTPUT_TYPE)


@route(
    "GET",
    TEMPLATE + "/runOutputs/{runOutputName}",
    api_versions=API,
    action=f"{ACTION}/runOutputs/read",
)
def get_run_output(req: Request) -> Response:
    template_id = template_id_of(req.params)
    req.sim.store.get_or_404(template_id)
    return Response.ok(
        req.sim.store.get_or_404(f"{template_id}/runOutputs/{req.params['runOutputName']}")
    )


# ---------------------------------------------------------------------------
# Cancel


@route("POST", TEMPLATE + "/cancel", api_versions=API, action=f"{ACTION}/cancel/action")
def cancel_build(req: Request) -> Response:
    sim = req.sim
    template_id = template_id_of(req.params)
    template = sim.store.get_or_404(template_id)
    if run_state(template) != "Running":
        raise conflict(
            f"No build of the image template '{template['name']}' is running; there is nothing to cancel."
        )
    template["properties"]["lastRunStatus"] = builds.canceling_status(
        template["properties"]["lastRunStatus"]
    )
    run_id = template["__run"]["runId"]
    template["__run"]["cancelDue"] = sim.now().timestamp() + builds.CANCEL_SECONDS
    sim.store.put(template_id, template)
    sim.schedule(builds.CANCEL_SECONDS, build_canceled, template_id=template_id, run_id=run_id)
    return sim.lro(
        req,
        resource_id=template_id,
        status=202,
        duration=builds.CANCEL_SECONDS + 1,
        final=None,
        location=template["location"],
    )


@event("imagebuilder.build_canceled")
def build_canceled(sim: Sim, *, template_id: str, run_id: str) -> None:
    template = current_run(sim, template_id, run_id)
    if template is None or run_state(template) != "Canceling":
        return
    end_build(sim, template, "Canceled", "The build was canceled at the user's request.")


# ---------------------------------------------------------------------------
# Customization log


def log_url(sim: Sim, template: dict[str, Any], file_name: str) -> str:
    run_id = template["__run"]["runId"]
    endpoint = blob_endpoint(sim)
    if endpoint:
        return f"{endpoint}/{LOG_CONTAINER}/{run_id}/{file_name}"
    account = staging_account_name(template)
    return f"https://{account}.blob.core.windows.net/{LOG_CONTAINER}/{run_id}/{file_name}"


def blob_endpoint(sim: Sim) -> str | None:
    """The blob service the stand-in was started with (Azurite), for the account logs go to.

    `--blob-endpoint` may name the account with `{account}`, end with it as Azurite's paths
    do, or stop at the host (the account is then added as the path).
    """
    endpoint = sim.config("blob_endpoint")
    if not endpoint:
        return None
    endpoint = str(endpoint).replace("{account}", blob_account(sim)).rstrip("/")
    if urlparse(endpoint).path.strip("/") == "" and ".blob." not in urlparse(endpoint).netloc:
        endpoint = f"{endpoint}/{blob_account(sim)}"
    return endpoint


def blob_account(sim: Sim) -> str:
    return str(sim.config("blob_account") or AZURITE_ACCOUNT)


def write_customization_log(sim: Sim, template: dict[str, Any], detail: str) -> str:
    """Write customization.log where Image Builder writes it; return its URL."""
    url = log_url(sim, template, "customization.log")
    endpoint = blob_endpoint(sim)
    if not endpoint:
        return url
    text = builds.customization_log(
        template["name"], template["__run"], failed_step(template), detail
    )
    try:
        upload_blob(sim, endpoint, f"{template['__run']['runId']}/customization.log", text)
    except Exception:  # the build's outcome must not depend on the log store being up
        log.exception("could not write customization.log to %s", endpoint)
    return url


def failed_step(template: dict[str, Any]) -> str:
    steps = template["properties"].get("customize") or []
    if not steps:
        return "shell"
    return {
        "Shell": "shell",
        "PowerShell": "powershell",
        "File": "file",
        "WindowsRestart": "windows-restart",
        "WindowsUpdate": "windows-update",
    }[steps[-1]["type"]]


def upload_blob(sim: Sim, endpoint: str, blob_name: str, text: str) -> None:
    from azure.storage.blob import BlobServiceClient

    account_url = endpoint
    key = str(sim.config("blob_key") or AZURITE_KEY)
    credential = {"account_name": blob_account(sim), "account_key": key}
    service = BlobServiceClient(
        account_url=account_url,
        credential=credential,
        api_version=str(sim.config("blob_api_version") or BLOB_API_VERSION),
        connection_verify=sim.config("blob_ca_file") or True,
    )
    container = service.get_container_client(LOG_CONTAINER)
    if not container.exists():
        container.create_container()
    container.upload_blob(blob_name, text.encode(), overwrite=True)


# ---------------------------------------------------------------------------
# Triggers


TRIGGER = TEMPLATE + "/triggers/{triggerName}"


def trigger_id_of(params: dict[str, str]) -> str:
    return f"{template_id_of(params)}/triggers/{params['triggerName']}"


@route("PUT", TRIGGER, api_versions=TRIGGER_API, action=f"{ACTION}/triggers/write")
def put_trigger(req: Request) -> Response:
    sim = req.sim
    template_id = template_id_of(req.params)
    trigger_id = trigger_id_of(req.params)
    if not rules.NAME_PATTERN.match(req.params["triggerName"]):
        raise rules_error(rules.bad_value("Trigger", "name", req.params["triggerName"]))
    body = req.json if isinstance(req.json, dict) else {}
    props = body.get("properties")
    if not isinstance(props, dict) or "kind" not in props:
        raise rules_error(rules.missing_field("Trigger.properties", "kind"))
    if props["kind"] != "SourceImage":
        raise rules_error(rules.bad_value("Trigger.properties", "kind", props["kind"]))
    template = sim.store.get_or_404(template_id)
    existing = sim.store.get(trigger_id)
    if existing is not None and existing["properties"]["kind"] != props["kind"]:
        raise rules_error(
            rules.validation_failed("Trigger.properties", "The kind of a trigger cannot be changed")
        )
    problem = trigger_problem(sim, template, trigger_id)
    if problem is not None:
        raise rules_error(rules.validation_failed("Trigger", problem))
    now = iso(sim.now())
    trigger = {
        "id": trigger_id,
        "name": req.params["triggerName"],
        "type": rules.TRIGGER_TYPE,
        "properties": {
            "kind": "SourceImage",
            "status": {"code": "Healthy", "message": "Trigger is active.", "time": now},
            "provisioningState": "Creating" if existing is None else "Updating",
        },
        "__lastSeenSource": latest_source_marker(sim, template),
        "__failures": 0,
    }
    sim.store.put(trigger_id, trigger)
    return sim.lro(
        req,
        resource_id=trigger_id,
        status=201 if existing is None else 200,
        body=trigger,
        duration=TRIGGER_SECONDS,
        on_done=trigger_created,
        on_done_args={"trigger_id": trigger_id},
        location=template["location"],
    )


def rules_error(violation: rules.RuleViolation) -> ArmError:
    return ArmError(violation.status, violation.code, violation.message)


def trigger_problem(sim: Sim, template: dict[str, Any], trigger_id: str) -> str | None:
    """Why this template cannot have a SourceImage trigger, per the documented requirements."""
    properties = template["properties"]
    if properties.get("provisioningState") != "Succeeded":
        return "The image template must have provisioningState 'Succeeded' to have a trigger"
    source = properties["source"]
    if not follows_latest(source):
        return (
            "A SourceImage trigger needs a SharedImageVersion source whose imageVersionId ends in "
            "'/versions/latest', or a PlatformImage source with version 'latest'"
        )
    source_definition = (
        str(source.get("imageVersionId", "")).rstrip("/").rsplit("/versions/", 1)[0].lower()
    )
    for target in properties["distribute"]:
        if target["type"] != "SharedImage":
            continue
        if "/versions/" in target["galleryImageId"].lower():
            return (
                "A template with a trigger cannot distribute to an explicit gallery image version"
            )
        if target["galleryImageId"].rstrip("/").lower() == source_definition:
            return "The source and the distribution gallery image definitions must differ"
    for other in sim.store.children(template["id"], rules.TRIGGER_TYPE):
        if (
            other["id"].lower() != trigger_id.lower()
            and other["properties"]["kind"] == "SourceImage"
        ):
            return "Only one SourceImage trigger is allowed per image template"
    return None


def follows_latest(source: dict[str, Any]) -> bool:
    if source["type"] == "SharedImageVersion":
        return rules.is_latest_version_id(source["imageVersionId"])
    return source["type"] == "PlatformImage" and str(source.get("version")).lower() == "latest"


def latest_source_marker(sim: Sim, template: dict[str, Any]) -> str | None:
    """What `latest` of the source currently is; a change starts a triggered build."""
    source = template["properties"]["source"]
    if source["type"] == "SharedImageVersion":
        return resolve_gallery_source(sim, source["imageVersionId"])
    try:
        image = platform_image_of(sim, template, "latest")
    except ArmError:
        return None
    return str(image.get("name") or "")


@event("imagebuilder.trigger_created")
def trigger_created(sim: Sim, *, trigger_id: str) -> None:
    if sim.set_provisioning_state(trigger_id, "Succeeded") is None:
        return
    sim.schedule(TRIGGER_POLL_SECONDS, trigger_poll, trigger_id=trigger_id)


@event("imagebuilder.trigger_poll")
def trigger_poll(sim: Sim, *, trigger_id: str) -> None:
    """Start a build when a newer source image version has appeared."""
    trigger = sim.store.get(trigger_id)
    if trigger is None or trigger["properties"]["status"]["code"] != "Healthy":
        return
    template_id = ids.parse(trigger_id).parent
    template = sim.store.get(template_id)
    if template is None:
        return
    sim.schedule(TRIGGER_POLL_SECONDS, trigger_poll, trigger_id=trigger_id)
    latest = latest_source_marker(sim, template)
    if latest is None or latest == trigger.get("__lastSeenSource") or is_building(template):
        return
    if template["properties"].get("provisioningState") != "Succeeded":
        return  # being updated or deleted: the next poll looks again
    trigger["__lastSeenSource"] = latest
    sim.store.put(trigger_id, trigger)
    start_build(sim, template_id, operation_id=None, triggered_by=trigger_id)


def note_trigger_outcome(sim: Sim, template: dict[str, Any], state: str) -> None:
    """The service disables a trigger whose builds keep failing."""
    trigger_id = template["__run"].get("triggeredBy")
    trigger = sim.store.get(trigger_id) if trigger_id else None
    if trigger is None or state == "Canceled":
        return
    trigger["__failures"] = 0 if state == "Succeeded" else trigger.get("__failures", 0) + 1
    if trigger["__failures"] >= TRIGGER_FAILURES_BEFORE_DISABLE:
        disable_trigger(
            sim,
            trigger,
            f"Trigger was disabled after {trigger['__failures']} consecutive failed builds.",
        )
    sim.store.put(trigger["id"], trigger)


def disable_trigger(sim: Sim, trigger: dict[str, Any], message: str) -> None:
    trigger["properties"]["status"] = {
        "code": "Disabled",
        "message": message,
        "time": iso(sim.now()),
    }


@route("POST", "/_sim/imagebuilder/triggers/deactivate", admin=True)
def deactivate_trigger(req: Request) -> Response:
    """Make the service deactivate a trigger, as it does after repeated failed builds."""
    body = req.json if isinstance(req.json, dict) else {}
    trigger_id = str(body.get("trigger") or "")
    trigger = req.sim.store.get(trigger_id) if trigger_id else None
    if trigger is None:
        raise ArmError(404, "NotFound", f"No trigger '{trigger_id}'.")
    message = str(body.get("message") or "Trigger was disabled after repeated failed builds.")
    disable_trigger(req.sim, trigger, message)
    req.sim.store.put(trigger["id"], trigger)
    return Response.ok(trigger)


@route("GET", TRIGGER, api_versions=TRIGGER_API, action=f"{ACTION}/triggers/read")
def get_trigger(req: Request) -> Response:
    req.sim.store.get_or_404(template_id_of(req.params))
    return Response.ok(req.sim.store.get_or_404(trigger_id_of(req.params)))


@route("GET", TEMPLATE + "/triggers", api_versions=TRIGGER_API, action=f"{ACTION}/triggers/read")
def list_triggers(req: Request) -> Response:
    return template_children(req, rules.TRIGGER_TYPE)


@route("DELETE", TRIGGER, api_versions=TRIGGER_API, action=f"{ACTION}/triggers/delete")
def delete_trigger(req: Request) -> Response:
    sim = req.sim
    template = sim.store.get_or_404(template_id_of(req.params))
    trigger_id = trigger_id_of(req.params)
    trigger = sim.store.get(trigger_id)
    if trigger is None:
        return Response.no_content()
    return accepted_delete(
        req,
        trigger_id,
        trigger,
        TRIGGER_SECONDS,
        trigger_deleted,
        template["location"],
        trigger_id=trigger_id,
    )


@event("imagebuilder.trigger_deleted")
def trigger_deleted(sim: Sim, *, trigger_id: str) -> None:
    sim.store.delete(trigger_id)


# ---------------------------------------------------------------------------
# Operations list


@route("GET", "/providers/Microsoft.VirtualMachineImages/operations", api_versions=API)
def list_operations(req: Request) -> Response:
    names = [
        ("imageTemplates/read", "Get Image Template", "read"),
        ("imageTemplates/write", "Create or Update Image Template", "write"),
        ("imageTemplates/delete", "Delete Image Template", "delete"),
        ("imageTemplates/run/action", "Run Image Template", "action"),
        ("imageTemplates/cancel/action", "Cancel Image Template", "action"),
        ("imageTemplates/runOutputs/read", "Get Run Output", "read"),
        ("imageTemplates/triggers/read", "Get Trigger", "read"),
        ("imageTemplates/triggers/write", "Create or Update Trigger", "write"),
        ("imageTemplates/triggers/delete", "Delete Trigger", "delete"),
    ]
    items = [
        {
            "name": f"{NAMESPACE}/{name}",
            "isDataAction": False,
            "display": {
                "provider": "Azure Image Builder",
                "resource": name.split("/")[0],
                "operation": title,
                "description": title,
            },
            "origin": "user,system",
            "properties": {"kind": kind},
        }
        for name, title, kind in names
    ]
    return req.sim.page(req, items)
