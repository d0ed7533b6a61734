# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``AzureModule``: the one base every module of the collection composes.

It owns what is cross-cutting: the merged argument spec (auth, and wait and tags on request),
check mode, lazy SDK clients sharing one credential, one way to fail from an exception, and
one way to exit. No Azure package is imported until a client is asked for.

A typical ``main()``::

    module = AzureModule(ARGUMENT_SPEC, wait=True, tags=True, result_key="gallery")
    module.validate_pattern("name", GALLERY_NAME_PATTERN, "letters, digits, dots and underscores")
    try:
        current = get_or_none(module.arm.get, gallery_path, GALLERY_API_VERSION, resource=label)
        ...
    except Exception as exc:
        module.fail_from(exc, verb="create", resource=label)
    module.exit(changed=True, resource=result, diff=tracker)
"""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.goldenimage.azure.plugins.module_utils._args import (
    AUTH_ARGUMENT_SPEC,
    DEFAULT_WAIT_TIMEOUT,
    TAGS_ARGUMENT_SPEC,
    WAIT_ARGUMENT_SPEC,
    merged_spec,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._arm import ArmClient
from ansible_collections.goldenimage.azure.plugins.module_utils._auth import (
    AZURE_CLI,
    MANAGED_IDENTITY,
    AuthConfigurationError,
    AuthSettings,
    TokenFileCache,
    build_credential,
    resolve_auth,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._clients import (
    MissingSdkError,
    connection_verify,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._cloud import (
    CLOUD_CACHE_FILE,
    CloudCache,
    CloudEnvironment,
    CloudEnvironmentError,
    cache_directory,
    resolve_cloud,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._diff import DiffTracker
from ansible_collections.goldenimage.azure.plugins.module_utils._errors import (
    AzureAuthenticationError,
    AzureOperationError,
    is_azure_error,
    translate,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._redact import (
    redact,
    redact_text,
    sas_signatures,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._waiter import (
    Waiter,
    WaitTimeoutError,
    make_waiter,
)

SETUP_ERRORS = (AuthConfigurationError, CloudEnvironmentError, MissingSdkError)


def default_cloud_cache() -> CloudCache:
    """The per-user cache of clouds read from metadata URLs (see ``_cloud.CloudCache``)."""
    return CloudCache(TokenFileCache(os.path.join(cache_directory(), CLOUD_CACHE_FILE)))


class AzureModule:
    """An AnsibleModule plus the Azure plumbing a module needs, created lazily."""

    # The azure-core HTTP transport; None means azure-core's default. Unit tests replace it
    # to fake Azure at its HTTP boundary while every policy above it stays real.
    transport: Any = None

    def __init__(
        self,
        argument_spec: Mapping[str, dict[str, Any]],
        *,
        wait: bool = False,
        tags: bool = False,
        result_key: str = "resource",
        module_factory: Callable[..., AnsibleModule] = AnsibleModule,
        **ansible_options: Any,
    ) -> None:
        """Parse the options (failing on invalid ones) without touching Azure.

        ``argument_spec`` holds the module's own options; ``wait`` and ``tags`` add the shared
        option groups; ``result_key`` is where :meth:`exit` puts the resource; the remaining
        keyword arguments (``mutually_exclusive``, ``required_if``...) go to AnsibleModule.
        """
        specs = [dict(argument_spec), AUTH_ARGUMENT_SPEC]
        if wait:
            specs.append(WAIT_ARGUMENT_SPEC)
        if tags:
            specs.append(TAGS_ARGUMENT_SPEC)
        self.module = module_factory(
            argument_spec=merged_spec(*specs), supports_check_mode=True, **ansible_options
        )
        self.result_key = result_key
        # A SAS inside a URI option is a credential no_log cannot know about: mask it too.
        self.module.no_log_values.update(sas_signatures(self.module.params))
        self._auth: AuthSettings | None = None
        self._cloud: CloudEnvironment | None = None
        self._credential: Any = None
        self._arm: ArmClient | None = None
        self._subscription_id: str | None = None
        self._verify: bool | str | None = None
        if wait:
            self.validate_wait_timeout()

    # --- what the module was asked -----------------------------------------------------------

    @property
    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = self.module.params
        return params

    @property
    def check_mode(self) -> bool:
        return bool(self.module.check_mode)

    @property
    def diff_mode(self) -> bool:
        return bool(self.module._diff)

    # --- identity, cloud and clients (all lazy) ----------------------------------------------

    @property
    def auth(self) -> AuthSettings:
        """The selected identity; its secrets are registered so Ansible masks them in any output."""
        if self._auth is None:
            self._auth = self._setup(lambda: resolve_auth(self.params))
            for secret in (self._auth.secret, self._auth.certificate_password):
                if secret:
                    self.module.no_log_values.add(secret)
        return self._auth

    @property
    def verify(self) -> bool | str:
        """TLS verification: the CA bundle path, True, or False (only with validate_certs: false)."""
        if self._verify is None:
            self._verify = connection_verify(
                self.params.get("ca_bundle"), self.params.get("validate_certs", True)
            )
            if self._verify is False:
                self.warn(
                    "validate_certs is false: TLS certificates of Azure endpoints are not verified."
                )
        return self._verify

    @property
    def cloud(self) -> CloudEnvironment:
        if self._cloud is None:
            name = self.auth.cloud_environment
            self._cloud = self._setup(
                lambda: resolve_cloud(name, verify=self.verify, cache=default_cloud_cache())
            )
        return self._cloud

    @property
    def credential(self) -> Any:
        """One credential per module process, so one token request serves every client."""
        if self._credential is None:
            self._credential = self._setup(
                lambda: build_credential(self.auth, self.cloud, self.verify)
            )
        return self._credential

    @property
    def subscription_id(self) -> str:
        if self._subscription_id is None:
            self._subscription_id = self.auth.subscription_id or self._cli_subscription()
        return self._subscription_id

    def _cli_subscription(self) -> str:
        if self.auth.kind != AZURE_CLI:
            self.fail(
                "subscription_id is required: set the subscription_id option, AZURE_SUBSCRIPTION_ID, "
                "or subscription_id in the credentials profile."
            )
        return str(self._setup(self._read_cli_subscription))

    def _read_cli_subscription(self) -> str:
        return str(self.credential.subscription_id())

    @property
    def arm(self) -> ArmClient:
        """Raw ARM requests through the same credential and pipeline settings."""
        if self._arm is None:
            self._arm = ArmClient(
                self.credential, self.cloud, self.verify, transport=self.transport
            )
        return self._arm

    def waiter(self) -> Waiter:
        """A waiter for the ``wait`` / ``wait_timeout`` options (a do-nothing one in check mode)."""
        timeout = self.params.get("wait_timeout")
        return make_waiter(
            self.check_mode,
            bool(self.params.get("wait", True)),
            # 0 is a deadline already reached, not "use the default".
            DEFAULT_WAIT_TIMEOUT if timeout is None else timeout,
        )

    def _setup(self, step: Callable[[], Any]) -> Any:
        try:
            return step()
        except SETUP_ERRORS as exc:
            self.fail_from(exc)

    # --- validation (before any write) -------------------------------------------------------

    def validate_wait_timeout(self) -> None:
        """Fail, naming ``wait_timeout``, when it is negative.

        Refused before any request: a negative deadline would let the write go out and then
        report a time-out that never was. Modules with a ``wait_timeout`` of their own (not the
        shared wait option group) call this themselves.
        """
        if (self.params.get("wait_timeout") or 0) < 0:
            self.fail(
                f"Invalid wait_timeout {self.params['wait_timeout']}: expected a number of "
                "seconds of 0 or more."
            )

    def validate_pattern(self, option: str, pattern: str, expected: str) -> None:
        """Fail, naming ``option``, unless its value (when given) fully matches ``pattern``."""
        value = self.params.get(option)
        if value is not None and not re.fullmatch(pattern, str(value)):
            self.fail(f"Invalid {option} {value!r}: expected {expected}.")

    def validate_length(self, option: str, minimum: int, maximum: int) -> None:
        """Fail, naming ``option``, when its value's length is outside ``minimum..maximum``."""
        value = self.params.get(option)
        if value is not None and not minimum <= len(value) <= maximum:
            self.fail(f"Invalid {option}: length must be {minimum} to {maximum}, got {len(value)}.")

    def validate_range(
        self, option: str, minimum: float | None = None, maximum: float | None = None
    ) -> None:
        """Fail, naming ``option``, when its number is below ``minimum`` or above ``maximum``."""
        value = self.params.get(option)
        if value is None:
            return
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            bounds = f"{'' if minimum is None else minimum}..{'' if maximum is None else maximum}"
            self.fail(f"Invalid {option} {value}: must be within {bounds}.")

    def require(self, option: str, reason: str) -> Any:
        """The value of ``option``; fail naming it and ``reason`` when it is not set."""
        value = self.params.get(option)
        if value is None or value == "":
            self.fail(f"{option} is required {reason}.")
        return value

    # --- leaving ------------------------------------------------------------------------------

    def warn(self, message: str) -> None:
        self.module.warn(redact_text(message))

    def fail(self, msg: str, **result: Any) -> NoReturn:
        self.module.fail_json(msg=redact_text(msg), **redact(result))
        raise AssertionError("fail_json returned")  # pragma: no cover - fail_json exits

    def fail_from(
        self, exc: BaseException, *, verb: str = "manage", resource: str = "the resource"
    ) -> NoReturn:
        """The one way to fail from an exception: a clear message, the error's details, no secrets."""
        if isinstance(exc, MissingSdkError):
            self.fail(missing_required_lib(exc.package), exception=_format(exc))
        if isinstance(exc, WaitTimeoutError):
            self.fail(str(exc), **{self.result_key: _plain(exc.partial), "timed_out": True})
        if is_azure_error(exc):
            exc = translate(exc, verb=verb, resource=resource, **self._identity_hint())
        if isinstance(exc, AzureAuthenticationError) and exc.principal is None:
            # Translated deeper down without the identity: name the principal and authority here.
            exc = AzureAuthenticationError(reason=exc.reason, **self._identity_hint())
        if isinstance(exc, AzureOperationError):
            # Translated deeper down without the identity: a 401 names whose token was refused.
            exc = exc.naming(self._identity_hint()["principal"])
            self.fail(str(exc), **exc.as_result())
        if isinstance(exc, (AzureAuthenticationError, *SETUP_ERRORS)):
            self.fail(str(exc))
        self.fail(
            f"Unexpected error while trying to {verb} {resource}: {type(exc).__name__}: {exc}",
            exception=_format(exc),
        )

    def _identity_hint(self) -> dict[str, str | None]:
        """Who asked for the token and where, for authentication failures (never a secret)."""
        settings, cloud = self._auth, self._cloud
        if settings is None:
            return {"principal": None, "authority": None}
        if settings.kind == MANAGED_IDENTITY:
            endpoint = os.environ.get("IDENTITY_ENDPOINT") or "the instance metadata service"
            return {"principal": settings.client_id, "authority": endpoint}
        if settings.kind == AZURE_CLI:
            return {"principal": None, "authority": None}
        return {
            "principal": settings.client_id,
            "authority": cloud.login_endpoint if cloud else None,
        }

    def exit(
        self,
        changed: bool,
        resource: Any = None,
        diff: DiffTracker | Mapping[str, Any] | None = None,
        **result: Any,
    ) -> NoReturn:
        """Exit with ``changed``, the resource under ``result_key`` and, in diff mode, the diff."""
        output: dict[str, Any] = {"changed": changed, self.result_key: resource, **result}
        if self.diff_mode and diff is not None:
            output["diff"] = diff.render() if isinstance(diff, DiffTracker) else dict(diff)
        self.module.exit_json(**redact(output))
        raise AssertionError("exit_json returned")  # pragma: no cover - exit_json exits


def _plain(value: Any) -> Any:
    """SDK models become dicts so a partial state can be returned as JSON."""
    as_dict = getattr(value, "as_dict", None)
    return as_dict() if callable(as_dict) else value


def _format(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
