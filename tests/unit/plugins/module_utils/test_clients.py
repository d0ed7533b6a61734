# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pipeline settings every request shares, and lazy imports that name the missing package."""

from __future__ import annotations

import pytest

from ansible_collections.goldenimage.azure.plugins.module_utils._clients import (
    MissingSdkError,
    connection_verify,
    import_attribute,
    pipeline_kwargs,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._cloud import CloudEnvironment
from ansible_collections.goldenimage.azure.plugins.module_utils._version import COLLECTION_VERSION

STACK = CloudEnvironment(
    "stack",
    "https://arm.stack.example/",
    "https://login.stack.example/",
    "https://arm-aud.example/",
)


def test_tls_verification_is_on_unless_explicitly_off() -> None:
    assert connection_verify(None, True, {}) is True
    assert connection_verify(None, True, {"REQUESTS_CA_BUNDLE": "/env-ca.pem"}) == "/env-ca.pem"
    assert (
        connection_verify("/opt-ca.pem", True, {"REQUESTS_CA_BUNDLE": "/env-ca.pem"})
        == "/opt-ca.pem"
    )
    assert connection_verify("/opt-ca.pem", False, {}) is False


def test_pipeline_settings_carry_the_clouds_endpoint_scope_and_user_agent() -> None:
    kwargs = pipeline_kwargs(STACK, "/ca.pem")
    assert kwargs["base_url"] == "https://arm.stack.example/"
    assert kwargs["credential_scopes"] == ["https://arm-aud.example/.default"]
    assert kwargs["user_agent"] == f"goldenimage.azure/{COLLECTION_VERSION}"
    assert kwargs["connection_verify"] == "/ca.pem"


def test_a_missing_package_is_named() -> None:
    with pytest.raises(MissingSdkError) as raised:
        import_attribute("azure.mgmt.ghost", "GhostClient", "azure-mgmt-ghost")
    assert raised.value.package == "azure-mgmt-ghost"
    assert str(raised.value).startswith("azure-mgmt-ghost is required")
