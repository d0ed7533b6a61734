"""Parsing ARM resource ids: type, parent, scope."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ParsedId:
    subscription_id: str | None
    resource_group: str | None
    namespace: str | None
    type: str  # full type, e.g. "Microsoft.Compute/galleries/images"
    name: str
    parent: str  # id of the parent ("" for tenant-level)


def _segments(resource_id: str) -> list[str]:
    return [s for s in resource_id.strip("/").split("/") if s]


def _last_providers_index(segs: list[str]) -> int | None:
    for i in range(len(segs) - 4, -1, -1):
        if segs[i].lower() == "providers" and (len(segs) - i) % 2 == 0:
            return i
    return None


def parse(resource_id: str) -> ParsedId:
    segs = _segments(resource_id)
    lower = [s.lower() for s in segs]
    subscription = segs[1] if len(segs) > 1 and lower[0] == "subscriptions" else None
    group = segs[3] if len(segs) > 3 and subscription and lower[2] == "resourcegroups" else None
    name = segs[-1] if segs else ""
    p = _last_providers_index(segs)
    if p is None:
        if group is not None and len(segs) == 4:
            kind = "Microsoft.Resources/resourceGroups"
        elif subscription is not None and len(segs) == 2:
            kind = "Microsoft.Resources/subscriptions"
        else:
            kind = "/".join(segs[-2:-1])
        parent = "/" + "/".join(segs[:-2]) if len(segs) > 2 else ""
        return ParsedId(subscription, group, None, kind, name, parent)
    namespace = segs[p + 1]
    type_segments = segs[p + 2 :: 2]
    kind = "/".join([namespace, *type_segments])
    if len(type_segments) > 1:
        parent = "/" + "/".join(segs[:-2])
    else:
        parent = "/" + "/".join(segs[:p]) if p else ""
    return ParsedId(subscription, group, namespace, kind, name, parent)


def type_with_names(resource_id: str) -> str:
    """ "Microsoft.Compute/galleries/g/images/i" as ARM's not-found messages name it."""
    segs = _segments(resource_id)
    p = _last_providers_index(segs)
    if p is None:
        return "/".join(segs[-2:])
    return "/".join(segs[p + 1 :])


def namespace_of(resource_id: str) -> str:
    return parse(resource_id).namespace or "Microsoft.Resources"


def is_under(resource_id: str, scope: str) -> bool:
    """True when `resource_id` equals `scope` or lies below it (case-insensitive)."""
    rid = resource_id.rstrip("/").lower()
    sc = scope.rstrip("/").lower()
    return sc == "" or rid == sc or rid.startswith(sc + "/")
