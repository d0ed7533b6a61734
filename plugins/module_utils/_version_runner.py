# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state machines of ``gallery_image_version`` and ``gallery_image_version_info``.

Validate every option, read the version once, refuse what Azure would refuse (with zero
writes), then predict (check mode) or write, wait for provisioning and replication, and exit
with the version, ``changed`` and the diff. The definition is read only for a new version: a
no-op costs one read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NoReturn

from ansible_collections.goldenimage.azure.plugins.module_utils._diff import DiffTracker
from ansible_collections.goldenimage.azure.plugins.module_utils._gallery_service import (
    GalleryService,
    image_label,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule
from ansible_collections.goldenimage.azure.plugins.module_utils._prune import deletion_block
from ansible_collections.goldenimage.azure.plugins.module_utils._regions import check_regions
from ansible_collections.goldenimage.azure.plugins.module_utils._tags import desired_tags
from ansible_collections.goldenimage.azure.plugins.module_utils._version_api import (
    BUMP_POLICIES,
    REPLICATION_MODES,
    UTC,
    WAIT_FOR_REPLICATION,
    DesiredVersion,
    UpdatePlan,
    check_replication_mode,
    classify_update,
    create_body,
    current_regions,
    find_version_from_source,
    latest_by_region,
    next_version_name,
    parse_datetime,
    replication_failure_message,
    replication_timeout_message,
    resolve_latest,
    sort_versions,
    summarize_replication,
    update_body,
    version_result,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._version_service import (
    VersionService,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._version_source import (
    GALLERY_IMAGE_VERSION,
    HOST_CACHING,
    MANAGED_IMAGE,
    STORAGE_ACCOUNT,
    VIRTUAL_MACHINE,
    ImageFacts,
    VersionSource,
    check_source_fits_definition,
    check_source_region,
    facts_of_definition,
    facts_of_disk,
    facts_of_gallery_image_version,
    facts_of_managed_image,
    facts_of_storage_account,
    facts_of_virtual_machine,
    parse_version_source,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._version_spec import (
    STORAGE_ACCOUNT_TYPES,
    OptionError,
    TargetRegion,
    normalize_region,
    parse_target_regions,
    parse_version_name,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._waiter import (
    Waiter,
    WaitTimeoutError,
)

AUTO = "auto"
RESULT_KEY = "gallery_image_version"

_DISK_OPTIONS: dict[str, dict[str, Any]] = {
    "disk": {"type": "raw"},
    "snapshot": {"type": "raw"},
    "vhd_uri": {"type": "str"},
    "storage_account": {"type": "raw"},
    "host_caching": {"type": "str", "choices": list(HOST_CACHING)},
}

VERSION_SPEC: dict[str, dict[str, Any]] = {
    "name": {"type": "str", "required": True},
    "gallery_name": {"type": "str", "required": True},
    "gallery_image_name": {"type": "str", "required": True},
    "resource_group": {"type": "str", "required": True},
    "version_bump": {"type": "str", "default": "patch", "choices": list(BUMP_POLICIES)},
    "managed_image": {"type": "raw"},
    "virtual_machine": {"type": "raw"},
    "source_image_version": {"type": "raw"},
    "os_disk": {"type": "dict", "options": _DISK_OPTIONS},
    "data_disks": {
        "type": "list",
        "elements": "dict",
        "options": {"lun": {"type": "int", "required": True}, **_DISK_OPTIONS},
    },
    "target_regions": {"type": "list", "elements": "raw"},
    "replica_count": {"type": "int"},
    "storage_account_type": {"type": "str", "choices": list(STORAGE_ACCOUNT_TYPES)},
    "replication_mode": {"type": "str", "choices": list(REPLICATION_MODES)},
    "exclude_from_latest": {"type": "bool"},
    "end_of_life_date": {"type": "str"},
    "allow_deletion_of_replicated_locations": {"type": "bool"},
    "block_deletion_before_end_of_life": {"type": "bool"},
    "wait_for_replication": {
        "type": "str",
        "default": "all",
        "choices": list(WAIT_FOR_REPLICATION),
    },
    "force": {"type": "bool", "default": False},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
}

VERSION_INFO_SPEC: dict[str, dict[str, Any]] = {
    "name": {"type": "str"},
    "gallery_name": {"type": "str", "required": True},
    "gallery_image_name": {"type": "str", "required": True},
    "resource_group": {"type": "str", "required": True},
    "region": {"type": "str"},
    "replication_status": {"type": "bool", "default": False},
}


# --- input --------------------------------------------------------------------------------


def desired_version(params: dict[str, Any], source: VersionSource | None) -> DesiredVersion:
    """The options as a :class:`DesiredVersion`; raises :class:`OptionError` on bad input."""
    end_of_life = params.get("end_of_life_date")
    if end_of_life is not None:
        parse_datetime(end_of_life, "end_of_life_date")
    replica_count = params.get("replica_count")
    if replica_count is not None and not 1 <= replica_count <= 100:
        raise OptionError("replica_count", f"must be between 1 and 100, got {replica_count}")
    regions = params.get("target_regions")
    return DesiredVersion(
        source=source,
        target_regions=None if regions is None else parse_target_regions(regions),
        replica_count=replica_count,
        storage_account_type=params.get("storage_account_type"),
        replication_mode=params.get("replication_mode"),
        exclude_from_latest=params.get("exclude_from_latest"),
        end_of_life_date=end_of_life,
        allow_deletion_of_replicated_locations=params.get("allow_deletion_of_replicated_locations"),
        block_deletion_before_end_of_life=params.get("block_deletion_before_end_of_life"),
    )


def parse_source(module: AzureModule) -> VersionSource | None:
    params = module.params
    return parse_version_source(
        params, subscription_id=module.subscription_id, resource_group=params["resource_group"]
    )


def service_of(module: AzureModule) -> VersionService:
    params = module.params
    return VersionService(
        module, params["resource_group"], params["gallery_name"], params["gallery_image_name"]
    )


def require_definition(module: AzureModule) -> dict[str, Any]:
    params = module.params
    resource_group, gallery, image = (
        params["resource_group"],
        params["gallery_name"],
        params["gallery_image_name"],
    )
    definition = GalleryService(module).get_image(resource_group, gallery, image)
    if definition is None:
        raise OptionError(
            "gallery_image_name",
            f"{image_label(resource_group, gallery, image)} does not exist; create it first",
        )
    return definition


# --- source facts ---------------------------------------------------------------------------


def read_source_facts(service: VersionService, source: VersionSource) -> ImageFacts:
    """Read the source (in any subscription) and what it says about itself."""
    kind = source.primary_kind
    expand = "instanceView" if kind is VIRTUAL_MACHINE else None
    body = service.get_source(source.primary_id, kind, expand=expand)
    if body is None:
        what = f"{source.option}.storage_account" if kind is STORAGE_ACCOUNT else source.option
        raise OptionError(what, f"the {kind.label} '{source.primary_id}' does not exist")
    if kind is MANAGED_IMAGE:
        return facts_of_managed_image(body)
    if kind is VIRTUAL_MACHINE:
        return facts_of_virtual_machine(body)
    if kind is STORAGE_ACCOUNT:
        return facts_of_storage_account(body)
    if kind is GALLERY_IMAGE_VERSION:
        definition = service.get_source(_definition_of(source.primary_id), kind) or {}
        return facts_of_gallery_image_version(body, definition)
    return facts_of_disk(body)


def _definition_of(version_id: str) -> str:
    return "/".join(version_id.rstrip("/").split("/")[:-2])


def check_rules(
    source: VersionSource,
    facts: ImageFacts,
    definition: dict[str, Any],
    regions: list[TargetRegion],
    desired: DesiredVersion,
) -> None:
    """Everything Azure would refuse about the source, before any write."""
    check_source_fits_definition(source, facts, facts_of_definition(definition))
    check_source_region(source, facts, regions)
    check_replication_mode(desired, facts.location)


def default_regions(location: str, facts: ImageFacts) -> list[TargetRegion]:
    """The gallery's region, and the source's when it differs (Azure replicates from there)."""
    names = [normalize_region(location)]
    if facts.location and facts.location not in names:
        names.append(facts.location)
    return [TargetRegion(name=name) for name in names]


# --- gallery_image_version ----------------------------------------------------------------


def run_version(module: AzureModule) -> NoReturn:
    params = module.params
    label = image_label(
        params["resource_group"], params["gallery_name"], params["gallery_image_name"]
    )
    try:
        source = parse_source(module)
        desired = desired_version(params, source)
        name = params["name"]
        if name != AUTO:
            parse_version_name(name, "name")
        elif params["state"] == "absent":
            raise OptionError("name", "state=absent needs an explicit version name")
        elif source is None:
            raise OptionError("name", "name=auto needs an OS source to number the new version")
        service = service_of(module)
        if params["state"] == "absent":
            delete_version(module, service, name)
        ensure_version(module, service, desired, name)
    except OptionError as exc:
        module.fail(f"Invalid {exc}", option=exc.option)
    except Exception as exc:
        module.fail_from(exc, resource=f"versions of {label}")


def ensure_version(
    module: AzureModule, service: VersionService, desired: DesiredVersion, name: str
) -> NoReturn:
    if name == AUTO:
        name, current = resolve_auto_name(service, desired, module.params["version_bump"])
    else:
        current = service.get(name)
    if current is None:
        # Only a new version needs the definition (its region and what it admits); a missing
        # definition also means a missing version, so this read names it.
        create_version(module, service, require_definition(module), desired, name)
    update_version(module, service, desired, name, current)


def resolve_auto_name(
    service: VersionService, desired: DesiredVersion, policy: str
) -> tuple[str, dict[str, Any] | None]:
    """The version already built from this source, or the next free name."""
    if desired.source is None:
        raise OptionError("name", "name=auto needs an OS source to number the new version")
    # A missing definition holds no versions; create_version then names it.
    versions = service.list_all(missing_ok=True)
    found = find_version_from_source(versions, desired.source)
    if found is not None:
        return str(found["name"]), service.get(str(found["name"]))
    return next_version_name(
        [str(v.get("name")) for v in versions], policy, datetime.now(UTC).date()
    ), None


def create_version(
    module: AzureModule,
    service: VersionService,
    definition: dict[str, Any],
    desired: DesiredVersion,
    name: str,
) -> NoReturn:
    if desired.source is None:
        raise OptionError(
            "managed_image",
            f"version {name} does not exist; give one OS source (managed_image, virtual_machine, "
            "source_image_version or os_disk) to create it",
        )
    location = str(definition.get("location"))
    facts = read_source_facts(service, desired.source)
    if desired.target_regions is None:
        desired.target_regions = default_regions(location, facts)
    else:
        check_regions(module, [("target_regions", r.name) for r in desired.target_regions])
    check_rules(desired.source, facts, definition, desired.target_regions, desired)
    tag_change = desired_tags(None, module.params.get("tags"), True)
    body = create_body(desired, location=location, tags=tag_change.tags if tag_change else None)
    predicted = predicted_version(service, name, body, "Creating")
    diff = {"before": {}, "after": version_result(predicted)}
    if module.check_mode:
        module.exit(changed=True, resource=version_result(predicted), diff=diff, version_name=name)
    result = write_and_wait(module, service, name, body, facts.location) or predicted
    module.exit(changed=True, resource=version_result(result), diff=diff, version_name=name)


def update_version(
    module: AzureModule,
    service: VersionService,
    desired: DesiredVersion,
    name: str,
    current: dict[str, Any],
) -> NoReturn:
    plan = classify_update(current, desired)
    if plan.forbidden:
        fail_forbidden(module, name, plan)
    tag_change = desired_tags(
        current.get("tags"), module.params.get("tags"), module.params["purge_tags"]
    )
    diff = diff_of(plan, current, tag_change.tags if tag_change and tag_change.changed else None)
    if not diff.changed:
        result = wait_for_existing(module, service, name, current)
        module.exit(changed=False, resource=version_result(result), diff=diff, version_name=name)
    body = update_body(current, desired, tag_change.tags if tag_change else None)
    source_region = None
    if desired.target_regions is not None:
        check_regions(
            module,
            [("target_regions", region.name) for region in desired.target_regions],
            existing=current_regions(current),
        )
        source_region = check_update_rules(service, current, desired)
    if module.check_mode:
        predicted = predicted_version(service, name, body, "Updating")
        module.exit(changed=True, resource=version_result(predicted), diff=diff, version_name=name)
    result = (
        write_and_wait(module, service, name, body, source_region or current.get("location"))
        or current
    )
    module.exit(changed=True, resource=version_result(result), diff=diff, version_name=name)


def check_update_rules(
    service: VersionService, current: dict[str, Any], desired: DesiredVersion
) -> str | None:
    """The source must stay among the target regions; returns the source's region when known."""
    storage = (current.get("properties") or {}).get("storageProfile") or {}
    source = source_of_existing(storage)
    if source is None:
        return None
    try:
        facts = read_source_facts(service, source)
    except OptionError:
        return None  # the source is gone; Azure keeps the version and so do we
    check_source_region(source, facts, desired.target_regions or [])
    return facts.location


def source_of_existing(storage: dict[str, Any]) -> VersionSource | None:
    """A :class:`VersionSource` for the source an existing version records, where it is a resource."""
    source = storage.get("source") or {}
    if source.get("virtualMachineId"):
        return VersionSource("virtual_machine", resource_id=str(source["virtualMachineId"]))
    if source.get("id"):
        resource_id = str(source["id"])
        option = "source_image_version" if "/galleries/" in resource_id.lower() else "managed_image"
        if "/virtualmachines/" in resource_id.lower():
            option = "virtual_machine"
        return VersionSource(option, resource_id=resource_id)
    return None


def fail_forbidden(module: AzureModule, name: str, plan: UpdatePlan) -> NoReturn:
    module.fail(
        plan.error_message(name),
        conflicts=[
            {"field": change.field, "current": change.current, "requested": change.requested}
            for change in plan.forbidden
        ],
    )


def diff_of(
    plan: UpdatePlan, current: dict[str, Any], new_tags: dict[str, str] | None
) -> DiffTracker:
    tracker = DiffTracker()
    for change in plan.changes:
        tracker.add(change.field, change.current, change.requested)
    if new_tags is not None:
        tracker.add("tags", dict(current.get("tags") or {}), new_tags)
    return tracker


def predicted_version(
    service: VersionService, name: str, body: dict[str, Any], state: str
) -> dict[str, Any]:
    """What Azure will return after the write, as far as it can be known before it."""
    properties = dict(body.get("properties") or {})
    properties["provisioningState"] = state
    return {
        "id": service.version_id(name),
        "name": name,
        "type": "Microsoft.Compute/galleries/images/versions",
        "location": body.get("location"),
        "tags": body.get("tags") or {},
        "properties": properties,
    }


# --- waiting ------------------------------------------------------------------------------


def write_and_wait(
    module: AzureModule,
    service: VersionService,
    name: str,
    body: dict[str, Any],
    source_region: Any,
) -> dict[str, Any] | None:
    """PUT the version, wait for provisioning, then for replication as asked."""
    waiter = module.waiter()
    poller = service.start_put(name, body)
    service.wait(poller, waiter, verb="create or update", name=name)
    if not waiter.enabled:
        return None
    return wait_for_replication(module, service, name, waiter, source_region)


def wait_for_existing(
    module: AzureModule, service: VersionService, name: str, current: dict[str, Any]
) -> dict[str, Any]:
    """A no-op still honours ``wait``: replication started earlier may still be running."""
    waiter = module.waiter()
    scope = module.params["wait_for_replication"]
    if not waiter.enabled or summarize_replication(current).is_complete(
        scope, current.get("location")
    ):
        return current
    return wait_for_replication(module, service, name, waiter, current.get("location"))


def wait_for_replication(
    module: AzureModule, service: VersionService, name: str, waiter: Waiter, source_region: Any
) -> dict[str, Any]:
    scope = module.params["wait_for_replication"]
    region = str(source_region) if source_region else None

    def settled(version: dict[str, Any]) -> bool:
        if not version:
            return False  # not readable yet (or gone): keep polling until the deadline
        summary = summarize_replication(version)
        return bool(summary.failed(scope, region)) or summary.is_complete(scope, region)

    try:
        version = waiter.poll_until(
            lambda: service.get(name) or {},
            settled,
            f"replication of {service.label(name)}",
            interval=2.0,
            max_interval=15.0,
        )
    except WaitTimeoutError as exc:
        partial = exc.partial or {}
        summary = summarize_replication(partial)
        module.fail(
            replication_timeout_message(name, summary, scope, waiter.timeout),
            **{RESULT_KEY: version_result(partial, with_replication=True) if partial else None},
            timed_out=True,
        )
    summary = summarize_replication(version)
    if summary.failed(scope, region):
        module.fail(
            replication_failure_message(name, summary),
            **{RESULT_KEY: version_result(version, with_replication=True)},
        )
    return version


# --- state=absent ---------------------------------------------------------------------------


def delete_version(module: AzureModule, service: VersionService, name: str) -> NoReturn:
    current = service.get(name)
    if current is None:
        module.exit(changed=False, resource=None, version_name=name)
    block = deletion_block(current, datetime.now(UTC))
    if block and not module.params["force"]:
        module.fail(
            f"image version {name} was not deleted: {block}. Set force to unblock and delete it."
        )
    diff = {"before": version_result(current), "after": {}}
    if not module.check_mode:
        waiter = module.waiter()
        between = waiter if waiter.enabled else Waiter(module.params["wait_timeout"])
        if block:
            service.wait(
                service.start_unblock(name), between, verb="unblock deletion of", name=name
            )
        service.wait(service.start_delete(name), waiter, verb="delete", name=name)
    module.exit(changed=True, resource=None, diff=diff, version_name=name)


# --- gallery_image_version_info -----------------------------------------------------------


def run_version_info(module: AzureModule) -> NoReturn:
    params = module.params
    service = service_of(module)
    try:
        name = params.get("name")
        if name and name != "latest":
            parse_version_name(name, "name")
        region = normalize_region(params["region"], "region") if params.get("region") else None
        every: list[dict[str, Any]] | None = None
        if name and name != "latest":
            found = service.get(name)
            versions = [found] if found else []
        else:
            every = sort_versions(service.list_all(missing_ok=True))
            versions = every
            if name == "latest":
                latest = resolve_latest(every, region)
                versions = [latest] if latest else []
            if params["replication_status"]:
                versions = [service.get(str(v["name"])) or v for v in versions]
    except OptionError as exc:
        module.fail(f"Invalid {exc}", option=exc.option)
    except Exception as exc:
        module.fail_from(exc, verb="read", resource=f"versions of {service.label('*')}")
    latest_global = resolve_latest(every) if every is not None else None
    module.exit(
        changed=False,
        resource=[
            version_result(v, with_replication=bool(params["replication_status"])) for v in versions
        ],
        latest=latest_global.get("name") if latest_global else None,
        latest_by_region=latest_by_region(every) if every is not None else None,
    )
