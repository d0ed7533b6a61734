"""The framework provider modules are written against (see docs/architecture.md)."""

from azsim.core import ids  # noqa: F401
from azsim.core import lro as _lro  # noqa: F401  (registers the operation-status routes)
from azsim.core.clock import iso
from azsim.core.errors import ArmError, not_found, resource_group_not_found
from azsim.core.http import Principal, Request, Response
from azsim.core.routing import event, on_delete, route
from azsim.core.sim import Sim

__all__ = [
    "ArmError",
    "Principal",
    "Request",
    "Response",
    "Sim",
    "event",
    "iso",
    "not_found",
    "on_delete",
    "resource_group_not_found",
    "route",
]
