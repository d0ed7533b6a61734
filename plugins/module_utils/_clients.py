# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pipeline settings shared by every Azure request, and lazy imports that name their package.

Every request of one module process shares one credential (so one token request per process),
the cloud's ARM endpoint and token scope, the collection's user agent, the CA bundle, and
azure-core's retry policy (which honours ``Retry-After`` on throttling). Long-running
operations are polled by azure-core's ARM pollers; nothing here loops by hand.

The modules send their ARM requests through ``_arm.ArmClient`` rather than a generated
management SDK: each one imports hundreds of models the collection does not use, and pins the
user's environment to its major version.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import Any

from ansible_collections.goldenimage.azure.plugins.module_utils._cloud import CloudEnvironment
from ansible_collections.goldenimage.azure.plugins.module_utils._version import COLLECTION_VERSION

USER_AGENT = f"goldenimage.azure/{COLLECTION_VERSION}"

# azure-core's defaults (10 retries, up to 120 s apart) outlast a task; these keep a
# throttled or failing call bounded while still honouring Retry-After.
RETRY_SETTINGS: dict[str, Any] = {
    "retry_total": 4,
    "retry_connect": 2,
    "retry_read": 2,
    "retry_status": 4,
    "retry_backoff_factor": 0.8,
    "retry_backoff_max": 30,
}

# Used only when a response carries no Retry-After (azure-mgmt's default is 30 s).
POLLING_INTERVAL_SECONDS = 5


class MissingSdkError(Exception):
    """A Python package the module needs is not installed."""

    def __init__(self, package: str, error: ImportError) -> None:
        self.package = package
        self.error = error
        super().__init__(f"{package} is required: {error}")


def import_attribute(module: str, attribute: str, package: str) -> Any:
    """Import ``module.attribute``; a missing package raises :class:`MissingSdkError` naming it."""
    try:
        return getattr(importlib.import_module(module), attribute)
    except ImportError as exc:
        raise MissingSdkError(package, exc) from exc


def connection_verify(
    ca_bundle: str | None, validate_certs: bool = True, env: Mapping[str, str] | None = None
) -> bool | str:
    """The azure-core ``connection_verify`` value: a CA bundle path, True, or (only if asked) False."""
    if not validate_certs:
        return False
    environ = os.environ if env is None else env
    return ca_bundle or environ.get("REQUESTS_CA_BUNDLE") or True


def pipeline_kwargs(cloud: CloudEnvironment, verify: bool | str) -> dict[str, Any]:
    """Keyword arguments shared by every SDK client and the raw ARM pipeline."""
    return {
        "base_url": cloud.arm_url,
        "credential_scopes": [cloud.scope],
        "user_agent": USER_AGENT,
        "connection_verify": verify,
        "polling_interval": POLLING_INTERVAL_SECONDS,
        **RETRY_SETTINGS,
    }
