# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cloud environments: names, metadata URLs (Azure Stack Hub), ADFS and instance discovery."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest

from ansible_collections.goldenimage.azure.plugins.module_utils._cloud import (
    CloudEnvironmentError,
    resolve_cloud,
)

STACK_METADATA = {
    "galleryEndpoint": "https://portal.local.azurestack.external:30015/",
    "graphEndpoint": "https://graph.local.azurestack.external/",
    "authentication": {
        "loginEndpoint": "https://adfs.local.azurestack.external/adfs",
        "audiences": ["https://management.adfs.azurestack.local/4cbf4ca3"],
    },
}


class RecordingFetch:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.urls: list[str] = []
        self.verify: list[bool | str] = []

    def __call__(self, url: str, verify: bool | str) -> dict[str, Any]:
        self.urls.append(url)
        self.verify.append(verify)
        return self.document


@pytest.mark.parametrize(
    ("name", "arm", "scope", "authority"),
    [
        (
            None,
            "https://management.azure.com/",
            "https://management.core.windows.net/.default",
            "https://login.microsoftonline.com",
        ),
        (
            "azurechinacloud",
            "https://management.chinacloudapi.cn/",
            "https://management.core.chinacloudapi.cn/.default",
            "https://login.chinacloudapi.cn",
        ),
        (
            "AzureUSGovernment",
            "https://management.usgovcloudapi.net/",
            "https://management.core.usgovcloudapi.net/.default",
            "https://login.microsoftonline.us",
        ),
    ],
)
def test_named_clouds(name: str | None, arm: str, scope: str, authority: str) -> None:
    cloud = resolve_cloud(name)
    assert (cloud.arm_url, cloud.scope, cloud.authority) == (arm, scope, authority)
    assert cloud.is_public_microsoft and not cloud.is_adfs
    assert cloud.credential_kwargs() == {"authority": authority}
    assert cloud.tenant_for("t1") == "t1"


def test_unknown_name_lists_the_choices() -> None:
    with pytest.raises(
        CloudEnvironmentError, match="Unknown cloud_environment 'AzureMoon'.*AzureChinaCloud"
    ):
        resolve_cloud("AzureMoon")


def test_metadata_url_resolves_arm_authority_and_adfs_tenant() -> None:
    fetch = RecordingFetch(STACK_METADATA)
    cloud = resolve_cloud("https://management.local.azurestack.external/", fetch=fetch)
    assert fetch.urls == [
        "https://management.local.azurestack.external/metadata/endpoints?api-version=2015-01-01"
    ]
    assert cloud.arm_url == "https://management.local.azurestack.external/"
    assert cloud.scope == "https://management.adfs.azurestack.local/4cbf4ca3/.default"
    assert cloud.is_adfs and cloud.tenant_for("anything") == "adfs"
    assert cloud.credential_kwargs() == {
        "authority": "https://adfs.local.azurestack.external",
        "disable_instance_discovery": True,
    }


def test_metadata_with_entra_login_keeps_the_tenant_and_disables_discovery_off_microsoft() -> None:
    document = {
        "authentication": {
            "loginEndpoint": "https://login.stand-in.example/",
            "audiences": ["https://arm.example/"],
        }
    }
    cloud = resolve_cloud("https://arm.example", fetch=RecordingFetch(document))
    assert cloud.tenant_for("t1") == "t1"
    assert cloud.credential_kwargs()["disable_instance_discovery"] is True


def test_metadata_ca_bundle_and_verification_reach_the_fetch() -> None:
    fetch = RecordingFetch(STACK_METADATA)
    for verify in (False, True, "/ca.pem"):
        resolve_cloud("https://arm.example", verify=verify, fetch=fetch)
    assert fetch.verify == [False, True, "/ca.pem"]


def test_incomplete_metadata_is_a_clear_error() -> None:
    with pytest.raises(CloudEnvironmentError, match="lacks authentication.loginEndpoint"):
        resolve_cloud("https://arm.example", fetch=RecordingFetch({"authentication": {}}))


def test_unreachable_metadata_is_a_clear_error() -> None:
    def refuse(url: str, verify: bool | str) -> dict[str, Any]:
        raise ConnectionRefusedError("Connection refused")

    with pytest.raises(
        CloudEnvironmentError, match="Cannot read the ARM metadata at https://arm.example/metadata"
    ):
        resolve_cloud("https://arm.example", fetch=refuse)


class MetadataHandler(BaseHTTPRequestHandler):
    documents: ClassVar[dict[str, bytes]] = {
        "/good/metadata/endpoints": json.dumps(STACK_METADATA).encode(),
        "/list/metadata/endpoints": b"[]",
    }

    def do_GET(self) -> None:
        body = self.documents.get(self.path.split("?")[0])
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body or b'{"error": "not found"}')

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def metadata_server() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), MetadataHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_metadata_is_fetched_over_http_with_open_url(
    metadata_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    cloud = resolve_cloud(f"{metadata_server}/good")
    assert cloud.arm_url == f"{metadata_server}/good/"
    assert cloud.is_adfs
    with pytest.raises(
        CloudEnvironmentError, match="Cannot read the ARM metadata at .*/missing/metadata/endpoints"
    ):
        resolve_cloud(f"{metadata_server}/missing")
    with pytest.raises(CloudEnvironmentError, match="is not a JSON object"):
        resolve_cloud(f"{metadata_server}/list")
