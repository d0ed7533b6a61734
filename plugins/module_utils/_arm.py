# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Raw ARM requests through azure-mgmt-core's pipeline: the collection's one ARM client.

Every resource type the collection manages (galleries, image definitions and versions,
managed images, Image Builder templates, identities, role assignments, resource groups) goes
through here as ARM JSON, with the policies the generated SDK clients use and azure-core's ARM
poller for long-running operations; no generated SDK is imported, which keeps a module process
small and lets the collection install beside any SDK versions a user already has. Errors are
raised as azure-core exceptions, so ``_errors.get_or_none`` and ``_errors.translate`` handle
them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from ansible_collections.goldenimage.azure.plugins.module_utils._clients import (
    import_attribute,
    pipeline_kwargs,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._cloud import CloudEnvironment


class ArmClient:
    """Send JSON requests to ARM paths (``/subscriptions/...``) with an api-version."""

    def __init__(
        self, credential: Any, cloud: CloudEnvironment, verify: bool | str, transport: Any = None
    ) -> None:
        self.cloud = cloud
        self._transport = transport  # tests replace the HTTP layer here, nothing else
        self._kwargs = pipeline_kwargs(cloud, verify)
        self._credential = credential
        self._client: Any = None

    def _pipeline_client(self) -> Any:
        if self._client is None:
            self._client = _build_pipeline_client(self._credential, self._kwargs, self._transport)
        return self._client

    def url(self, path_or_url: str, api_version: str | None = None) -> str:
        """An absolute URL for an ARM path, with ``api-version`` added when given."""
        if urlsplit(path_or_url).scheme:
            url = path_or_url
        else:
            url = self.cloud.arm_url.rstrip("/") + "/" + path_or_url.lstrip("/")
        if api_version is None:
            return url
        separator = "&" if "?" in url else "?"
        return f"{url}{separator}api-version={api_version}"

    def send(self, method: str, path: str, api_version: str | None, body: Any = None) -> Any:
        """Send one request; return the pipeline response or raise an azure-core error."""
        client = self._pipeline_client()  # first, so a missing SDK is reported by name
        from azure.core.rest import HttpRequest

        request = HttpRequest(method, self.url(path, api_version), json=body)
        pipeline_response = client.send_request(request, _return_pipeline_response=True)
        _raise_for_status(pipeline_response.http_response)
        return pipeline_response

    def request(
        self, method: str, path: str, api_version: str, body: Any = None
    ) -> dict[str, Any] | None:
        """One request, JSON in and out (``None`` for an empty body)."""
        return _json_of(self.send(method, path, api_version, body).http_response)

    def get(self, path: str, api_version: str) -> dict[str, Any] | None:
        """GET a resource (a 404 raises ResourceNotFoundError: wrap in ``get_or_none``)."""
        return self.request("GET", path, api_version)

    def put(self, path: str, api_version: str, body: Any) -> dict[str, Any] | None:
        """PUT a resource that is created synchronously."""
        return self.request("PUT", path, api_version, body)

    def patch(self, path: str, api_version: str, body: Any) -> dict[str, Any] | None:
        """PATCH a resource synchronously."""
        return self.request("PATCH", path, api_version, body)

    def delete(self, path: str, api_version: str) -> dict[str, Any] | None:
        """DELETE a resource synchronously."""
        return self.request("DELETE", path, api_version)

    def post(self, path: str, api_version: str, body: Any = None) -> dict[str, Any] | None:
        """POST an action synchronously."""
        return self.request("POST", path, api_version, body)

    def list(self, path: str, api_version: str) -> Iterator[dict[str, Any]]:
        """Every item of a list, following ``nextLink`` (which already carries its api-version)."""
        next_url: str | None = self.url(path, api_version)
        while next_url:
            page = _json_of(self.send("GET", next_url, None).http_response) or {}
            yield from page.get("value") or []
            next_url = page.get("nextLink")

    def begin(self, method: str, path: str, api_version: str, body: Any = None) -> Any:
        """Start a long-running operation; returns an azure-core ``LROPoller`` (ARM polling).

        Its ``result()`` is the resource for PUT and PATCH, the action's answer for POST, and
        None for DELETE (whose last response is only the operation's status).
        """
        from azure.core.polling import LROPoller
        from azure.mgmt.core.polling.arm_polling import ARMPolling

        initial = self.send(method, path, api_version, body)
        polling = ARMPolling(self._kwargs["polling_interval"])
        deserialize = _nothing if method.upper() == "DELETE" else _deserialize
        return LROPoller(self._pipeline_client(), initial, deserialize, polling)


def _deserialize(pipeline_response: Any) -> dict[str, Any] | None:
    return _json_of(pipeline_response.http_response)


def _nothing(pipeline_response: Any) -> None:
    return None


def _json_of(response: Any) -> dict[str, Any] | None:
    if not response.content:
        return None
    document = response.json()
    return document if isinstance(document, dict) else {"value": document}


def _raise_for_status(response: Any) -> None:
    if response.status_code < 400:
        return
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceExistsError,
        ResourceNotFoundError,
        map_error,
    )
    from azure.mgmt.core.exceptions import ARMErrorFormat

    # The same mapping the generated SDK clients use, so both raise the same exception types.
    error_map: dict[int, Any] = {
        401: ClientAuthenticationError,
        404: ResourceNotFoundError,
        409: ResourceExistsError,
    }
    map_error(status_code=response.status_code, response=response, error_map=error_map)
    raise HttpResponseError(response=response, error_format=ARMErrorFormat)


def _build_pipeline_client(credential: Any, kwargs: dict[str, Any], transport: Any = None) -> Any:
    """An ARMPipelineClient with the same policies the generated SDK clients use."""
    arm_pipeline_client = import_attribute(
        "azure.mgmt.core", "ARMPipelineClient", "azure-mgmt-core"
    )
    from azure.core.pipeline import policies
    from azure.core.pipeline.transport import RequestsTransport
    from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy, ARMHttpLoggingPolicy

    options = {
        key: value for key, value in kwargs.items() if key not in ("base_url", "credential_scopes")
    }
    chain = [
        policies.RequestIdPolicy(**options),
        policies.HeadersPolicy(**options),
        policies.UserAgentPolicy(**options),
        policies.ProxyPolicy(**options),
        policies.ContentDecodePolicy(**options),
        policies.RedirectPolicy(**options),
        policies.RetryPolicy(**options),
        ARMChallengeAuthenticationPolicy(credential, *kwargs["credential_scopes"]),
        policies.CustomHookPolicy(**options),
        policies.NetworkTraceLoggingPolicy(**options),
        policies.SensitiveHeaderCleanupPolicy(**options),
        ARMHttpLoggingPolicy(**options),
    ]
    transport = transport or RequestsTransport(connection_verify=kwargs["connection_verify"])
    return arm_pipeline_client(base_url=kwargs["base_url"], policies=chain, transport=transport)
