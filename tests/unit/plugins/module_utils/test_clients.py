# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SDK client factory: endpoint, scope, user agent, TLS settings, one credential.

No module registers a client kind (they all go through ``_arm.ArmClient``); the factory is
tested with generated clients registered by the test, from the SDKs the test tools install.
"""

from __future__ import annotations

import pytest

from ansible_collections.goldenimage.azure.plugins.module_utils._clients import (
    CLIENT_KINDS,
    ClientFactory,
    ClientKind,
    MissingSdkError,
    connection_verify,
    register_client_kind,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._cloud import CloudEnvironment
from ansible_collections.goldenimage.azure.plugins.module_utils._version import COLLECTION_VERSION
from ansible_collections.goldenimage.azure.tests.unit.azure_fakes import (
    FakeCredential,
    FakeTransport,
    Reply,
)

COMPUTE = ClientKind("azure.mgmt.compute", "ComputeManagementClient", "azure-mgmt-compute")
IMAGEBUILDER = ClientKind(
    "azure.mgmt.imagebuilder", "ImageBuilderClient", "azure-mgmt-imagebuilder"
)
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


def test_no_generated_sdk_is_registered() -> None:
    # Each one would pin users to its major version and load its models into every process.
    assert CLIENT_KINDS == {}


def test_a_registered_client_talks_to_the_clouds_arm_with_scope_and_user_agent() -> None:
    pytest.importorskip("azure.mgmt.compute", reason="azure-mgmt-compute is not installed")
    transport = FakeTransport().add(
        "GET", "/galleries/g1", Reply(200, {"name": "g1", "location": "eastus"})
    )
    credentials: list[FakeCredential] = []

    def credential() -> FakeCredential:
        credentials.append(FakeCredential())
        return credentials[-1]

    factory = ClientFactory(
        credential,
        STACK,
        lambda: "sub-1",
        "/ca.pem",
        kinds={"compute": COMPUTE},
        transport=transport,
    )
    gallery = factory.client("compute").galleries.get("rg1", "g1")
    assert gallery.name == "g1"
    request = transport.requests[0]
    assert request.url.startswith(
        "https://arm.stack.example/subscriptions/sub-1/resourceGroups/rg1/"
    )
    assert f"goldenimage.azure/{COLLECTION_VERSION}" in request.headers["User-Agent"]
    assert credentials[0].requests == [("https://arm-aud.example/.default",)]
    assert factory.kwargs()["connection_verify"] == "/ca.pem"


def test_clients_share_one_credential_and_are_created_once() -> None:
    pytest.importorskip("azure.mgmt.compute", reason="azure-mgmt-compute is not installed")
    pytest.importorskip(
        "azure.mgmt.imagebuilder", reason="azure-mgmt-imagebuilder is not installed"
    )
    shared = FakeCredential()
    seen: list[object] = []

    def credential() -> FakeCredential:
        seen.append(shared)
        return shared

    kinds = {"compute": COMPUTE, "imagebuilder": IMAGEBUILDER}
    factory = ClientFactory(credential, STACK, lambda: "sub-1", True, kinds=kinds)
    compute = factory.client("compute")
    assert factory.client("compute") is compute
    factory.client("imagebuilder")
    assert len(seen) == 2 and all(item is shared for item in seen)


def test_unknown_and_missing_client_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    factory = ClientFactory(FakeCredential, STACK, lambda: "sub-1", True)
    with pytest.raises(ValueError, match="Unknown client kind 'nope'"):
        factory.client("nope")
    monkeypatch.setitem(
        CLIENT_KINDS, "ghost", ClientKind("azure.mgmt.ghost", "GhostClient", "azure-mgmt-ghost")
    )
    with pytest.raises(MissingSdkError) as raised:
        factory.client("ghost")
    assert raised.value.package == "azure-mgmt-ghost"


def test_register_client_kind_refuses_a_conflicting_definition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        "ansible_collections.goldenimage.azure.plugins.module_utils._clients.CLIENT_KINDS",
        dict(CLIENT_KINDS),
    )
    kind = ClientKind("azure.mgmt.msi", "ManagedServiceIdentityClient", "azure-mgmt-msi")
    register_client_kind("msi", kind)
    register_client_kind("msi", kind)  # the same definition twice is fine
    with pytest.raises(ValueError, match="already registered"):
        register_client_kind("msi", ClientKind("other", "Other", "other"))
