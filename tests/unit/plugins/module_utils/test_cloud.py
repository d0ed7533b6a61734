# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cloud environments: names, metadata URLs (Azure Stack Hub), ADFS and instance discovery."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from ansible_collections.goldenimage.azure.plugins.module_utils._auth import TokenFileCache
from ansible_collections.goldenimage.azure.plugins.module_utils._cloud import (
    CloudCache,
    CloudEnvironmentError,
    cache_directory,
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
    paths: ClassVar[list[str]] = []
    documents: ClassVar[dict[str, bytes]] = {
        "/good/metadata/endpoints": json.dumps(STACK_METADATA).encode(),
        "/list/metadata/endpoints": b"[]",
    }

    def do_GET(self) -> None:
        self.paths.append(self.path)
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


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def file_cache(tmp_path: Path, clock: Clock) -> CloudCache:
    return CloudCache(TokenFileCache(str(tmp_path / "cache" / "clouds.json"), clock), clock=clock)


def test_cached_cloud_is_reused_until_it_expires(tmp_path: Path) -> None:
    clock, fetch = Clock(), RecordingFetch(STACK_METADATA)
    first = resolve_cloud("https://arm.example", fetch=fetch, cache=file_cache(tmp_path, clock))
    clock.now += 23 * 3600
    again = resolve_cloud("https://arm.example/", fetch=fetch, cache=file_cache(tmp_path, clock))
    assert again == first and len(fetch.urls) == 1
    assert again.is_adfs and again.scope == first.scope
    path = tmp_path / "cache" / "clouds.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "adfs.local.azurestack.external" in path.read_text()
    clock.now += 2 * 3600
    resolve_cloud("https://arm.example", fetch=fetch, cache=file_cache(tmp_path, clock))
    assert len(fetch.urls) == 2


def test_another_url_or_ca_bundle_is_fetched_again(tmp_path: Path) -> None:
    clock, fetch = Clock(), RecordingFetch(STACK_METADATA)
    calls: list[tuple[str, bool | str]] = [
        ("https://arm.example", "/ca.pem"),
        ("https://arm.example", "/ca.pem"),
        ("https://other.example", "/ca.pem"),
        ("https://arm.example", "/other-ca.pem"),
        ("https://arm.example", True),
        ("https://arm.example", False),
        ("https://arm.example", "/ca.pem"),
    ]
    for url, verify in calls:
        resolve_cloud(url, verify=verify, fetch=fetch, cache=file_cache(tmp_path, clock))
    assert [url.split("/metadata")[0] for url in fetch.urls] == [
        "https://arm.example",
        "https://other.example",
        "https://arm.example",
        "https://arm.example",
        "https://arm.example",
    ]
    assert fetch.verify == ["/ca.pem", "/ca.pem", "/other-ca.pem", True, False]


CACHE_KEY = json.dumps(["cloud", "https://arm.example/", "system"])


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[]",
        json.dumps({CACHE_KEY: "x"}),
        json.dumps({CACHE_KEY: {"resource_manager": "", "expires_on": 9e12}}),
    ],
)
def test_corrupt_cache_is_refetched_and_rewritten(tmp_path: Path, content: str) -> None:
    path = tmp_path / "cache" / "clouds.json"
    path.parent.mkdir()
    path.write_text(content)
    clock, fetch = Clock(), RecordingFetch(STACK_METADATA)
    resolve_cloud("https://arm.example", fetch=fetch, cache=file_cache(tmp_path, clock))
    resolve_cloud("https://arm.example", fetch=fetch, cache=file_cache(tmp_path, clock))
    assert len(fetch.urls) == 1


def test_unwritable_cache_only_costs_the_request(tmp_path: Path) -> None:
    (tmp_path / "cache").write_text("a file where the directory should be")
    clock, fetch = Clock(), RecordingFetch(STACK_METADATA)
    clouds = [
        resolve_cloud("https://arm.example", fetch=fetch, cache=file_cache(tmp_path, clock)),
        resolve_cloud("https://arm.example", fetch=fetch, cache=file_cache(tmp_path, clock)),
    ]
    assert clouds[0] == clouds[1] and clouds[0].is_adfs
    assert len(fetch.urls) == 2


def test_failed_fetch_is_not_cached(tmp_path: Path) -> None:
    clock = Clock()
    with pytest.raises(CloudEnvironmentError):
        resolve_cloud(
            "https://arm.example",
            fetch=RecordingFetch({"authentication": {}}),
            cache=file_cache(tmp_path, clock),
        )
    fetch = RecordingFetch(STACK_METADATA)
    resolve_cloud("https://arm.example", fetch=fetch, cache=file_cache(tmp_path, clock))
    assert len(fetch.urls) == 1


def test_cache_directory_follows_the_variable_then_xdg_then_home() -> None:
    assert cache_directory({"GOLDENIMAGE_AZURE_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x"}) == "/c"
    assert cache_directory({"XDG_CACHE_HOME": "/x"}) == "/x/goldenimage.azure"
    assert cache_directory({}).endswith(os.path.join(".cache", "goldenimage.azure"))


RESOLVE_IN_A_NEW_PROCESS = """
import sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.goldenimage.azure.plugins.module_utils._cloud import resolve_cloud
from ansible_collections.goldenimage.azure.plugins.module_utils._module import default_cloud_cache
print(resolve_cloud(sys.argv[2], cache=default_cloud_cache()).arm_url)
"""


def test_a_second_process_reads_no_metadata_and_a_changed_url_is_read(
    metadata_server: str, tmp_path: Path
) -> None:
    collections_root = str(Path(__file__).resolve().parents[4] / ".tmp" / "collections")
    environ = {
        **os.environ,
        "NO_PROXY": "127.0.0.1",
        "GOLDENIMAGE_AZURE_CACHE_DIR": str(tmp_path / "user-cache"),
    }
    MetadataHandler.paths.clear()
    outputs = []
    for url in (f"{metadata_server}/good", f"{metadata_server}/good", f"{metadata_server}/list"):
        done = subprocess.run(
            [sys.executable, "-c", RESOLVE_IN_A_NEW_PROCESS, collections_root, url],
            env=environ,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        outputs.append((done.returncode, done.stdout.strip()))
    assert outputs[:2] == [(0, f"{metadata_server}/good/")] * 2
    assert outputs[2][0] != 0  # another URL is read again (this one serves no cloud)
    assert [path.split("?")[0] for path in MetadataHandler.paths] == [
        "/good/metadata/endpoints",
        "/list/metadata/endpoints",
    ]
