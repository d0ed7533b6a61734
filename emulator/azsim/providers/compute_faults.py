"""Replication failures on demand (admin API), so clients can test a region that fails.

`POST /_sim/compute/replication-failures {"region", "version", "message", "count"}` makes the
next `count` replications of a gallery image version to `region` fail. `version` (a version
name or a full id; omitted for any version) narrows the rule. A failed region reads `Failed`
in the version's replication status; when the failed region is the version's home region,
the version itself ends `Failed`.
"""

from __future__ import annotations

import uuid
from typing import Any

from azsim.core import ArmError, Request, Response, Sim, route
from azsim.core.locations import normalize_location
from azsim.core.routing import admin_records

RULE_TYPE = "Microsoft.Compute/simReplicationFailures"
RULES = "/providers/Microsoft.Compute/simReplicationFailures"
DEFAULT_MESSAGE = "Replication to the region failed."


@route("POST", "/_sim/compute/replication-failures", admin=True)
def add_replication_failure(req: Request) -> Response:
    body = req.json if isinstance(req.json, dict) else {}
    region = body.get("region")
    if not isinstance(region, str) or not region:
        raise ArmError(400, "InvalidRequestContent", "'region' is required.")
    count = body.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ArmError(400, "InvalidRequestContent", "'count' must be a positive integer.")
    version = body.get("version")
    if version is not None and not isinstance(version, str):
        raise ArmError(400, "InvalidRequestContent", "'version' must be a name or an id.")
    rule_id = f"{RULES}/{uuid.uuid4()}"
    rule = {
        "id": rule_id,
        "region": normalize_location(region),
        "version": version or None,
        "message": str(body.get("message") or DEFAULT_MESSAGE),
        "count": count,
    }
    req.sim.store.put(rule_id, rule)
    return Response.created({"id": rule_id})


admin_records("/_sim/compute/replication-failures", RULE_TYPE)


def apply_replication_failures(
    sim: Sim, version_id: str, plan: dict[str, dict[str, Any]], previous: dict[str, Any] | None
) -> None:
    """Mark the regions this write starts replicating that a rule makes fail; regions whose
    replica is kept from before the write are not replicated again, so no rule touches them."""
    for region, entry in plan.items():
        kept = (previous or {}).get(region)
        if kept and entry.get("start") == kept.get("start"):
            continue
        rule = take_rule(sim, version_id, region)
        if rule is not None:
            entry.update(failed=True, details=rule["message"])


def take_rule(sim: Sim, version_id: str, region: str) -> dict[str, Any] | None:
    """Consume one use of the first rule for this version and region."""
    return sim.store.take(
        RULE_TYPE,
        lambda rule: rule["region"] == region and version_matches(rule.get("version"), version_id),
    )


def version_matches(wanted: str | None, version_id: str) -> bool:
    if not wanted:
        return True
    wanted = wanted.rstrip("/").lower()
    if "/" in wanted:
        return wanted == version_id.lower()
    return wanted == version_id.rstrip("/").rsplit("/", 1)[-1].lower()
