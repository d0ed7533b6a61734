# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Translate Azure SDK exceptions once, in one place.

Only a 404 about the resource itself means "absent". Everything else (403, 401, 409, 400, 5xx
after the SDK's own retries, network errors) becomes one :class:`AzureOperationError`.
The SDK's exception classes are recognised by name so this file imports no Azure package.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

# 404 codes that are about something other than the resource being absent.
NOT_ABSENT_404_CODES = frozenset(
    code.lower()
    for code in (
        "SubscriptionNotFound",
        "InvalidResourceType",
        "InvalidResourceNamespace",
        "NoRegisteredProviderFound",
        "InvalidSubscriptionId",
    )
)

NETWORK_ERRORS = frozenset(
    {"ServiceRequestError", "ServiceResponseError", "ServiceRequestTimeoutError"}
)


class AzureOperationError(Exception):
    """Azure refused an operation; carries what a user needs to act on it."""

    def __init__(
        self,
        *,
        verb: str,
        resource: str,
        code: str | None,
        message: str,
        status: int | None = None,
        request_id: str | None = None,
        principal: str | None = None,
    ) -> None:
        self.verb = verb
        self.resource = resource
        self.code = code
        self.message = message
        self.status = status
        self.request_id = request_id
        # Only for a 401: ARM refused the token itself, so whose token it was matters.
        self.principal = principal
        super().__init__(str(self))

    def __str__(self) -> str:
        reason = f"{self.code}: {self.message}" if self.code else self.message
        text = f"Azure refused to {self.verb} {self.resource}: {reason}"
        if self.status is not None:
            text += f" (HTTP {self.status}"
            text += f", request id {self.request_id})" if self.request_id else ")"
        if self.status == 401 and self.principal:
            text += f"; the token was issued to client id {self.principal}"
        return text

    def naming(self, principal: str | None) -> AzureOperationError:
        """This error naming the principal whose token ARM refused (a 401 only)."""
        if self.status != 401 or self.principal or not principal:
            return self
        return AzureOperationError(
            verb=self.verb,
            resource=self.resource,
            code=self.code,
            message=self.message,
            status=self.status,
            request_id=self.request_id,
            principal=principal,
        )

    def as_result(self) -> dict[str, Any]:
        """The fields a module returns next to ``msg`` when it fails."""
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "status": self.status,
                "request_id": self.request_id,
                "resource": self.resource,
            }
        }


class AzureAuthenticationError(Exception):
    """No token could be obtained; names the principal and authority, never the secret."""

    def __init__(self, *, principal: str | None, authority: str | None, reason: str) -> None:
        self.principal = principal
        self.authority = authority
        self.reason = reason
        super().__init__(str(self))

    def __str__(self) -> str:
        who = f"client id {self.principal}" if self.principal else "the selected identity"
        where = f" at {self.authority}" if self.authority else ""
        return f"Azure authentication failed for {who}{where}: {self.reason}"


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def status_of(exc: BaseException) -> int | None:
    """The HTTP status an SDK exception carries, if any."""
    status = getattr(exc, "status_code", None)
    if status is None:
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def error_code_of(exc: BaseException) -> str | None:
    """Azure's error code (``error.code`` of the ARM error body), if any."""
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    if isinstance(code, str) and code:
        return code
    # Azure Storage answers in XML: its code is in x-ms-error-code (the blob SDK copies it
    # to error_code), so a refused account key is a named refusal, not a failed login.
    storage_code = getattr(exc, "error_code", None) or _header(exc, "x-ms-error-code")
    # The blob SDK's code is a str enum, whose str() is its qualified name: keep the value.
    storage_code = getattr(storage_code, "value", storage_code)
    if isinstance(storage_code, str) and storage_code:
        return storage_code
    return _code_from_body(exc)


def _header(exc: BaseException, name: str) -> str | None:
    headers = getattr(getattr(exc, "response", None), "headers", None)
    try:
        value = headers.get(name) if headers is not None else None
    except Exception:
        return None
    return value if isinstance(value, str) else None


def _code_from_body(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    json_reader = getattr(response, "json", None)
    if not callable(json_reader):
        return None
    try:
        body = json_reader()
    except Exception:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


def message_of(exc: BaseException) -> str:
    """Azure's error message, falling back to the exception text."""
    error = getattr(exc, "error", None)
    message = getattr(error, "message", None)
    if isinstance(message, str) and message:
        return message.strip()
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    # azure-core puts "(Code) message\nCode: ...\nMessage: ..." in str(); the first line suffices.
    return str(text).strip().splitlines()[0]


def request_id_of(exc: BaseException) -> str | None:
    """The ARM request id (or correlation id) of the failed response."""
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    for name in ("x-ms-request-id", "x-ms-correlation-request-id"):
        value = headers.get(name)
        if value:
            return str(value)
    return None


def is_not_found(exc: BaseException) -> bool:
    """True only when the exception says the resource itself does not exist."""
    if status_of(exc) != 404 and "ResourceNotFoundError" not in _class_names(exc):
        return False
    code = error_code_of(exc)
    return code is None or code.lower() not in NOT_ABSENT_404_CODES


def is_authentication_error(exc: BaseException) -> bool:
    """True for azure-core's ClientAuthenticationError (a token could not be obtained)."""
    names = _class_names(exc)
    return "ClientAuthenticationError" in names or "CredentialUnavailableError" in names


def is_azure_error(exc: BaseException) -> bool:
    """True for any exception raised by azure-core (its base class is AzureError)."""
    return "AzureError" in _class_names(exc)


def translate(
    exc: BaseException,
    *,
    verb: str,
    resource: str,
    principal: str | None = None,
    authority: str | None = None,
) -> Exception:
    """Turn an SDK exception into this collection's error for ``verb`` on ``resource``."""
    if isinstance(exc, (AzureOperationError, AzureAuthenticationError)):
        return exc
    code = error_code_of(exc)
    if is_authentication_error(exc) and code is None:
        # From the token endpoint (no ARM error body): the identity itself was refused.
        return AzureAuthenticationError(
            principal=principal, authority=authority, reason=message_of(exc)
        )
    names = _class_names(exc)
    if code is None and names & NETWORK_ERRORS:
        code = "NetworkError"
    return AzureOperationError(
        verb=verb,
        resource=resource,
        code=code,
        message=message_of(exc),
        status=status_of(exc),
        request_id=request_id_of(exc),
    ).naming(principal)


def get_or_none(
    read: Callable[..., T], *args: Any, resource: str = "the resource", **kwargs: Any
) -> T | None:
    """Call ``read``; ``None`` when the resource is absent, :class:`AzureOperationError` otherwise."""
    try:
        return read(*args, **kwargs)
    except Exception as exc:
        if is_not_found(exc):
            return None
        if is_azure_error(exc):
            raise translate(exc, verb="read", resource=resource) from exc
        raise
