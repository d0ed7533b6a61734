"""Entra ID and ARM authentication through azure-identity: secrets, certificates, federated
and managed identities, failures in Entra's and ARM's shapes, and the metadata document."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import (
    CertificateCredential,
    ClientAssertionCredential,
    ClientSecretCredential,
    ManagedIdentityCredential,
    WorkloadIdentityCredential,
)
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.resource.resources import ResourceManagementClient
from cryptography.hazmat.primitives import serialization

from azsim.client import AdminClient
from azsim.identity import sign_jwt, unb64url

SCOPE = "https://management.core.windows.net/.default"


def _get(
    azsim: dict[str, Any], path: str, headers: dict[str, str] | None = None
) -> tuple[int, Any, dict[str, str]]:
    context = AdminClient.from_info(azsim)._context
    request = urllib.request.Request(f"{azsim['url']}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null"), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), dict(error.headers)


def _claims(token: str) -> dict[str, Any]:
    return json.loads(unb64url(token.split(".")[1]))


def _can_list_groups(make_client: Any, credential: Any) -> bool:
    client = make_client(ResourceManagementClient, credential_override=credential)
    return isinstance(list(client.resource_groups.list()), list)


def test_client_secret_token_is_a_jwt_with_the_claims(
    credential: Any, azsim: dict[str, Any]
) -> None:
    claims = _claims(credential.get_token(SCOPE).token)
    assert claims["appid"] == azsim["client_id"]
    assert claims["oid"] == azsim["object_id"]
    assert claims["tid"] == azsim["tenant_id"]
    assert claims["aud"] == "https://management.core.windows.net/"
    assert claims["exp"] > time.time() + 3000
    assert {"iss", "iat", "nbf"} <= set(claims)


def test_certificate_login(make_client: Any, azsim: dict[str, Any]) -> None:
    credential = CertificateCredential(
        azsim["tenant_id"],
        azsim["client_id"],
        azsim["client_certificate_file"],
        authority=azsim["url"],
        disable_instance_discovery=True,
        connection_verify=azsim["ca_file"],
    )
    assert _can_list_groups(make_client, credential)


def test_certificate_login_with_an_unregistered_certificate(
    azsim: dict[str, Any], tmp_path: Path
) -> None:
    from azsim.tls import ClientCertificate

    other = tmp_path / "other.pem"
    ClientCertificate.load_or_create(other, "someone-else")
    credential = CertificateCredential(
        azsim["tenant_id"],
        azsim["client_id"],
        str(other),
        authority=azsim["url"],
        disable_instance_discovery=True,
        connection_verify=azsim["ca_file"],
    )
    with pytest.raises(ClientAuthenticationError) as raised:
        credential.get_token(SCOPE)
    assert "AADSTS700027" in str(raised.value)


def test_federated_assertion_login(make_client: Any, azsim: dict[str, Any]) -> None:
    token_file = Path(azsim["federated_token_file"])
    credential = ClientAssertionCredential(
        azsim["tenant_id"],
        azsim["client_id"],
        lambda: token_file.read_text(),
        authority=azsim["url"],
        disable_instance_discovery=True,
        connection_verify=azsim["ca_file"],
    )
    assert _can_list_groups(make_client, credential)


def test_workload_identity_credential_reads_the_token_file(
    make_client: Any, azsim: dict[str, Any]
) -> None:
    credential = WorkloadIdentityCredential(
        tenant_id=azsim["tenant_id"],
        client_id=azsim["client_id"],
        token_file_path=azsim["federated_token_file"],
        authority=azsim["url"],
        disable_instance_discovery=True,
        connection_verify=azsim["ca_file"],
    )
    assert _can_list_groups(make_client, credential)


def test_federated_assertion_from_another_issuer_is_refused(
    azsim: dict[str, Any], azsim_dir: Path
) -> None:
    key = serialization.load_pem_private_key((azsim_dir / "token-key.pem").read_bytes(), None)
    now = int(time.time())
    forged = sign_jwt(
        {
            "iss": "https://elsewhere.example",
            "sub": "x",
            "aud": "api://AzureADTokenExchange",
            "iat": now,
            "exp": now + 600,
        },
        key,
        {},
    )  # type: ignore[arg-type]
    credential = ClientAssertionCredential(
        azsim["tenant_id"],
        azsim["client_id"],
        lambda: forged,
        authority=azsim["url"],
        disable_instance_discovery=True,
        connection_verify=azsim["ca_file"],
    )
    with pytest.raises(ClientAuthenticationError) as raised:
        credential.get_token(SCOPE)
    assert "AADSTS70021" in str(raised.value)


def test_wrong_secret_fails_fast_in_entra_shape(azsim: dict[str, Any]) -> None:
    credential = ClientSecretCredential(
        azsim["tenant_id"],
        azsim["client_id"],
        "not-the-secret",
        authority=azsim["url"],
        disable_instance_discovery=True,
        connection_verify=azsim["ca_file"],
    )
    started = time.monotonic()
    with pytest.raises(ClientAuthenticationError) as raised:
        credential.get_token(SCOPE)
    assert time.monotonic() - started < 3
    assert "AADSTS7000215" in str(raised.value)
    # the raw answer, as Entra gives it
    form = (
        f"grant_type=client_credentials&client_id={azsim['client_id']}"
        f"&client_secret=wrong&scope={SCOPE}"
    ).encode()
    request = urllib.request.Request(
        f"{azsim['url']}/{azsim['tenant_id']}/oauth2/v2.0/token",
        data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    context = AdminClient.from_info(azsim)._context
    with pytest.raises(urllib.error.HTTPError) as http_error:
        urllib.request.urlopen(request, context=context, timeout=10)
    assert http_error.value.code == 401
    body = json.loads(http_error.value.read())
    assert body["error"] == "invalid_client"
    assert body["error_description"].startswith("AADSTS7000215:")
    assert body["error_codes"] == [7000215]
    assert uuid.UUID(body["trace_id"]) and uuid.UUID(body["correlation_id"])


def test_arm_rejects_missing_invalid_and_expired_tokens(
    azsim: dict[str, Any], azsim_dir: Path
) -> None:
    path = f"/subscriptions/{azsim['subscription_id']}/resourcegroups?api-version=2021-04-01"
    status, body, headers = _get(azsim, path)
    assert status == 401 and body["error"]["code"] == "AuthenticationFailed"
    assert "WWW-Authenticate" in headers
    status, body, _ = _get(azsim, path, {"Authorization": "Bearer not.a.token"})
    assert status == 401 and body["error"]["code"] == "InvalidAuthenticationToken"
    key = serialization.load_pem_private_key((azsim_dir / "token-key.pem").read_bytes(), None)
    past = int(time.time()) - 7200
    expired = sign_jwt(
        {
            "aud": "https://management.azure.com/",
            "iss": f"https://sts.windows.net/{azsim['tenant_id']}/",
            "iat": past,
            "nbf": past,
            "exp": past + 3600,
            "oid": azsim["object_id"],
            "appid": azsim["client_id"],
            "tid": azsim["tenant_id"],
        },
        key,
        {"kid": "azsim-token-key"},
    )  # type: ignore[arg-type]
    status, body, headers = _get(azsim, path, {"Authorization": f"Bearer {expired}"})
    assert status == 401
    assert body["error"]["code"] == "ExpiredAuthenticationToken"
    assert 'error="invalid_token"' in headers["WWW-Authenticate"]


def test_token_for_another_audience_is_refused(credential: Any, azsim: dict[str, Any]) -> None:
    token = credential.get_token("https://vault.azure.net/.default").token
    status, body, _ = _get(
        azsim,
        f"/subscriptions/{azsim['subscription_id']}?api-version=2022-12-01",
        {"Authorization": f"Bearer {token}"},
    )
    assert status == 401 and body["error"]["code"] == "InvalidAuthenticationTokenAudience"


def test_management_azure_com_audience_is_accepted(credential: Any, azsim: dict[str, Any]) -> None:
    token = credential.get_token("https://management.azure.com/.default").token
    status, body, _ = _get(
        azsim,
        f"/subscriptions/{azsim['subscription_id']}?api-version=2022-12-01",
        {"Authorization": f"Bearer {token}"},
    )
    assert status == 200 and body["subscriptionId"] == azsim["subscription_id"]


def test_managed_identity_token(
    make_client: Any,
    resource_group: str,
    azsim: dict[str, Any],
    azsim_msi_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    msi = make_client(ManagedServiceIdentityClient)
    identity = msi.user_assigned_identities.create_or_update(
        resource_group, "runner", {"location": "eastus"}
    )
    for name in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "REQUESTS_CA_BUNDLE"):
        monkeypatch.setenv(name, azsim_msi_env[name])
    credential = ManagedIdentityCredential(
        client_id=identity.client_id, connection_verify=azsim["ca_file"]
    )
    token = credential.get_token(SCOPE).token
    claims = _claims(token)
    assert claims["oid"] == identity.principal_id
    assert claims["appid"] == identity.client_id
    # it holds no role yet
    status, body, _ = _get(
        azsim,
        f"/subscriptions/{azsim['subscription_id']}/resourcegroups/"
        f"{resource_group}?api-version=2021-04-01",
        {"Authorization": f"Bearer {token}"},
    )
    assert status == 403 and body["error"]["code"] == "AuthorizationFailed"
    stranger = ManagedIdentityCredential(
        client_id=str(uuid.uuid4()), connection_verify=azsim["ca_file"]
    )
    with pytest.raises(ClientAuthenticationError):
        stranger.get_token(SCOPE)


def test_openid_configuration_adfs_and_instance_discovery(azsim: dict[str, Any]) -> None:
    for path in (
        f"/{azsim['tenant_id']}/v2.0/.well-known/openid-configuration",
        f"/{azsim['tenant_id']}/.well-known/openid-configuration",
        "/adfs/.well-known/openid-configuration",
    ):
        status, body, _ = _get(azsim, path)
        assert status == 200
        assert body["token_endpoint"].startswith(azsim["url"])
        assert "authorization_endpoint" in body
    status, body, _ = _get(azsim, "/adfs/.well-known/openid-configuration")
    assert body["token_endpoint"] == f"{azsim['url']}/adfs/oauth2/token"
    status, body, _ = _get(
        azsim,
        "/common/discovery/instance?api-version=1.1"
        f"&authorization_endpoint={azsim['url']}/common/oauth2/authorize",
    )
    assert status == 200 and body["tenant_discovery_endpoint"].startswith(azsim["url"])


def test_adfs_token_endpoint(azsim: dict[str, Any]) -> None:
    form = (
        f"grant_type=client_credentials&client_id={azsim['client_id']}"
        f"&client_secret={azsim['client_secret']}"
        "&resource=https://management.core.windows.net/"
    ).encode()
    request = urllib.request.Request(
        f"{azsim['url']}/adfs/oauth2/token",
        data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    context = AdminClient.from_info(azsim)._context
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        body = json.loads(response.read())
    assert body["token_type"] == "Bearer" and body["access_token"].count(".") == 2


def test_adfs_authority_with_azure_identity(make_client: Any, azsim: dict[str, Any]) -> None:
    credential = ClientSecretCredential(
        "adfs",
        azsim["client_id"],
        azsim["client_secret"],
        authority=azsim["url"],
        disable_instance_discovery=True,
        connection_verify=azsim["ca_file"],
    )
    assert _can_list_groups(make_client, credential)


def test_metadata_in_both_shapes(azsim: dict[str, Any]) -> None:
    status, stack, _ = _get(azsim, "/metadata/endpoints?api-version=2015-01-01")
    assert status == 200
    assert {"galleryEndpoint", "graphEndpoint", "portalEndpoint"} <= set(stack)
    assert stack["authentication"]["loginEndpoint"].startswith(azsim["url"])
    assert "https://management.core.windows.net/" in stack["authentication"]["audiences"]
    status, clouds, _ = _get(azsim, "/metadata/endpoints?api-version=2022-09-01")
    assert status == 200 and isinstance(clouds, list)
    cloud = clouds[0]
    assert cloud["resourceManager"] == f"{azsim['url']}/"
    assert cloud["authentication"]["identityProvider"] == "AAD"
    assert cloud["authentication"]["tenant"] == "common"
    assert cloud["suffixes"]["storage"] == "core.windows.net"
