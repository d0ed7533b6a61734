# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Only a 404 about the resource means absent; everything else is one clear error."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("azure.core", reason="azure-core is not installed")

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceRequestError,
)
from azure.mgmt.core.exceptions import ARMErrorFormat

from ansible_collections.goldenimage.azure.plugins.module_utils._errors import (
    AzureAuthenticationError,
    AzureOperationError,
    get_or_none,
    is_not_found,
    translate,
)
from ansible_collections.goldenimage.azure.tests.unit.azure_fakes import _response as fake_response
from ansible_collections.goldenimage.azure.tests.unit.azure_fakes import arm_error


def sdk_error(
    cls: type[HttpResponseError], status: int, code: str, message: str
) -> HttpResponseError:
    """An exception as a generated client raises it for an ARM error response."""
    from azure.core.rest import HttpRequest

    response = fake_response(
        HttpRequest("GET", "https://management.azure.com/x"),
        arm_error(status, code, message, "rid-7"),
    )
    response.read()
    return cls(response=response, error_format=ARMErrorFormat)


def raising(exc: BaseException) -> Any:
    def read() -> Any:
        raise exc

    return read


@pytest.mark.parametrize(
    "code", ["ResourceNotFound", "ResourceGroupNotFound", "ParentResourceNotFound", "NotFound"]
)
def test_404_about_the_resource_is_absent(code: str) -> None:
    assert (
        get_or_none(
            raising(sdk_error(ResourceNotFoundError, 404, code, "gone")), resource="gallery g"
        )
        is None
    )


@pytest.mark.parametrize("code", ["SubscriptionNotFound", "InvalidResourceType"])
def test_404_about_something_else_is_an_error(code: str) -> None:
    exc = sdk_error(ResourceNotFoundError, 404, code, "not this")
    assert not is_not_found(exc)
    with pytest.raises(AzureOperationError, match=code):
        get_or_none(raising(exc), resource="gallery g")


@pytest.mark.parametrize(
    ("cls", "status", "code"),
    [
        (HttpResponseError, 403, "AuthorizationFailed"),
        (ResourceExistsError, 409, "Conflict"),
        (HttpResponseError, 400, "InvalidParameter"),
        (HttpResponseError, 500, "InternalServerError"),
        (ClientAuthenticationError, 401, "InvalidAuthenticationToken"),
    ],
)
def test_other_statuses_become_one_operation_error(
    cls: type[HttpResponseError], status: int, code: str
) -> None:
    error = translate(
        sdk_error(cls, status, code, "Details here."), verb="create", resource="gallery g1"
    )
    assert isinstance(error, AzureOperationError)
    assert (error.status, error.code, error.request_id, error.resource) == (
        status,
        code,
        "rid-7",
        "gallery g1",
    )
    assert (
        str(error)
        == f"Azure refused to create gallery g1: {code}: Details here. (HTTP {status}, request id rid-7)"
    )


def test_token_refusal_names_principal_and_authority_not_the_secret() -> None:
    exc = ClientAuthenticationError(message="AADSTS7000215: Invalid client secret provided.")
    error = translate(
        exc, verb="read", resource="x", principal="app-123", authority="https://login.example/"
    )
    assert isinstance(error, AzureAuthenticationError)
    assert str(error) == (
        "Azure authentication failed for client id app-123 at https://login.example/: "
        "AADSTS7000215: Invalid client secret provided."
    )


def test_arm_refusing_a_token_names_whose_token_it_was() -> None:
    exc = sdk_error(
        ClientAuthenticationError, 401, "ExpiredAuthenticationToken", "The token has expired."
    )
    error = translate(exc, verb="read", resource="image template t", principal="app-123")
    assert isinstance(error, AzureOperationError)
    assert str(error) == (
        "Azure refused to read image template t: ExpiredAuthenticationToken: The token has "
        "expired. (HTTP 401, request id rid-7); the token was issued to client id app-123"
    )
    # Translated without the identity (deep in a service), named later by the module.
    unnamed = translate(exc, verb="read", resource="image template t")
    assert isinstance(unnamed, AzureOperationError) and "client id" not in str(unnamed)
    assert "client id app-123" in str(unnamed.naming("app-123"))


def test_only_a_401_names_the_principal() -> None:
    exc = sdk_error(HttpResponseError, 403, "AuthorizationFailed", "No access.")
    error = translate(exc, verb="read", resource="gallery g", principal="app-123")
    assert isinstance(error, AzureOperationError)
    assert "app-123" not in str(error)


def test_storage_refusing_an_account_key_is_a_named_refusal_not_a_failed_login() -> None:
    """Azure Storage answers in XML with its code in x-ms-error-code."""
    from azure.core.rest import HttpRequest

    from ansible_collections.goldenimage.azure.tests.unit.azure_fakes import Reply

    response = fake_response(
        HttpRequest("PUT", "https://acct.blob.core.windows.net/c/b"),
        Reply(403, None, {"x-ms-error-code": "AuthenticationFailed", "x-ms-request-id": "r1"}),
    )
    response.read()
    exc = ClientAuthenticationError(message="Server failed to authenticate.", response=response)
    error = translate(exc, verb="upload to", resource="container c", principal="app-123")
    assert isinstance(error, AzureOperationError)
    assert error.code == "AuthenticationFailed" and error.status == 403
    assert str(error).startswith("Azure refused to upload to container c: AuthenticationFailed")
    assert "app-123" not in str(error)


def test_a_storage_error_code_enum_is_shown_by_its_value() -> None:
    from enum import Enum

    class StorageCode(str, Enum):  # noqa: UP042 - the shape the blob SDK uses
        AUTHORIZATION_FAILURE = "AuthorizationFailure"

    exc = HttpResponseError(message="Server failed to authenticate the request.")
    exc.error_code = StorageCode.AUTHORIZATION_FAILURE  # type: ignore[attr-defined]
    error = translate(exc, verb="upload to", resource="container c")
    assert isinstance(error, AzureOperationError) and error.code == "AuthorizationFailure"
    assert "StorageCode" not in str(error)


def test_network_error_has_a_code() -> None:
    error = translate(ServiceRequestError("Connection refused"), verb="read", resource="gallery g")
    assert isinstance(error, AzureOperationError)
    assert error.code == "NetworkError" and error.status is None
    assert str(error) == "Azure refused to read gallery g: NetworkError: Connection refused"


def test_non_azure_exceptions_pass_through_get_or_none() -> None:
    with pytest.raises(KeyError):
        get_or_none(raising(KeyError("bug")))
