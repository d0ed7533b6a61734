# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""blob_upload: ``main()`` end to end with the container faked at the BlobStore boundary."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.goldenimage.azure.plugins.module_utils import _blob_api
from ansible_collections.goldenimage.azure.plugins.modules import blob_upload
from ansible_collections.goldenimage.azure.tests.unit.harness import run_module

ENDPOINT = "https://127.0.0.1:10000/devstoreaccount1"


class FakeStore:
    """One container in memory; records every write."""

    def __init__(self, exists: bool = True) -> None:
        self.exists = exists
        self.blobs: dict[str, dict[str, str]] = {}
        self.data: dict[str, bytes] = {}
        self.writes: list[str] = []

    def container_exists(self) -> bool:
        return self.exists

    def create_container(self) -> None:
        self.exists = True
        self.writes.append("create_container")

    def checksums(self, name: str) -> dict[str, str] | None:
        return self.blobs.get(name)

    def upload(self, name: str, data: bytes, sha256: str, md5: str) -> None:
        self.blobs[name] = {"sha256": sha256, "md5": md5}
        self.data[name] = data
        self.writes.append(f"upload {name}")

    def url(self, name: str) -> str:
        return f"{ENDPOINT}/images/{name}?sv=2025-01-05&sig=secret"


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> FakeStore:
    fake = FakeStore(exists=False)
    monkeypatch.setattr(_blob_api, "build_store", lambda module: fake)
    return fake


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "harden.sh"
    path.write_bytes(b"#!/bin/sh\necho hardened\n")
    return path


def params(*paths: Path, **extra: Any) -> dict[str, Any]:
    return {
        "storage_account": "devstoreaccount1",
        "container": "images",
        "blob_endpoint": ENDPOINT,
        "files": [{"src": str(path)} for path in paths],
        **extra,
    }


def test_check_mode_predicts_and_writes_nothing(store: FakeStore, script: Path) -> None:
    result = run_module(blob_upload.main, params(script), check_mode=True, diff=True)
    assert result.changed and not result.failed
    assert store.writes == []
    assert result["diff"]["before"] == {"container": None, "harden.sh": None}
    assert result["diff"]["after"]["container"] == "private"


def test_uploads_then_is_idempotent(store: FakeStore, script: Path) -> None:
    digest = hashlib.sha256(script.read_bytes()).hexdigest()
    first = run_module(blob_upload.main, params(script))
    assert first.changed
    assert store.writes == ["create_container", "upload harden.sh"]
    assert store.data["harden.sh"] == script.read_bytes()
    md5 = base64.b64encode(hashlib.md5(script.read_bytes()).digest()).decode()
    assert store.blobs["harden.sh"] == {"sha256": digest, "md5": md5}
    entry = first["files"][0]
    assert entry == {
        "src": str(script),
        "name": "harden.sh",
        "url": f"{ENDPOINT}/images/harden.sh",
        "sha256": digest,
        "changed": True,
    }
    second = run_module(blob_upload.main, params(script), diff=True)
    assert not second.changed
    assert second["diff"] == {"before": {}, "after": {}}
    assert len(store.writes) == 2


def test_changed_content_is_uploaded_again(store: FakeStore, script: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.txt"
    other.write_text("same\n")
    run_module(blob_upload.main, params(script, other))
    script.write_bytes(b"#!/bin/sh\necho changed\n")
    result = run_module(blob_upload.main, params(script, other), diff=True)
    assert result.changed
    assert [entry["changed"] for entry in result["files"]] == [True, False]
    assert store.writes[-1] == "upload harden.sh"
    assert list(result["diff"]["after"]) == ["harden.sh"]


def test_md5_alone_counts_as_same_content(store: FakeStore, script: Path) -> None:
    md5 = base64.b64encode(hashlib.md5(script.read_bytes()).digest()).decode()
    store.exists = True
    store.blobs["scripts/h.sh"] = {"sha256": "", "md5": md5}
    result = run_module(
        blob_upload.main, params(**{"files": [{"src": str(script), "name": "scripts/h.sh"}]})
    )
    assert not result.changed and store.writes == []


def test_missing_file_fails_before_any_request(store: FakeStore, tmp_path: Path) -> None:
    result = run_module(blob_upload.main, params(tmp_path / "absent.sh"))
    assert result.failed and "absent.sh" in result.msg
    assert store.writes == []


def test_invalid_container_name_is_refused(store: FakeStore, script: Path) -> None:
    result = run_module(blob_upload.main, params(script, container="Bad_Name"))
    assert result.failed and "container" in result.msg


def test_account_key_is_never_returned(monkeypatch: pytest.MonkeyPatch, script: Path) -> None:
    seen: dict[str, Any] = {}

    class Recorder(FakeStore):
        def __init__(self, endpoint: str, container: str, credential: Any, *args: Any) -> None:
            super().__init__()
            seen.update(endpoint=endpoint, container=container, credential=credential)

    monkeypatch.setattr(_blob_api, "SdkBlobStore", Recorder)
    key = base64.b64encode(b"k" * 64).decode()
    result = run_module(blob_upload.main, params(script, auth_mode="key", account_key=key))
    assert not result.failed
    assert seen["credential"] == {"account_name": "devstoreaccount1", "account_key": key}
    assert seen["endpoint"] == ENDPOINT
    assert key not in str(result.result)


def test_default_endpoint_follows_the_cloud() -> None:
    assert _blob_api.default_endpoint("st1", None) == "https://st1.blob.core.windows.net"
    assert (
        _blob_api.default_endpoint("st1", "AzureChinaCloud")
        == "https://st1.blob.core.chinacloudapi.cn"
    )
    assert _blob_api.default_endpoint("st1", "https://arm.example/") is None


def test_redact_url_drops_sas() -> None:
    assert _blob_api.redact_url("https://a/c/b.sh?sv=1&sig=x") == "https://a/c/b.sh"


class FakeArm:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.calls: list[tuple[str, str]] = []

    def post(self, path: str, api_version: str) -> dict[str, Any]:
        self.calls.append((path, api_version))
        return self.document


def test_key_from_arm_list_keys(monkeypatch: pytest.MonkeyPatch, script: Path) -> None:
    from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule

    key = base64.b64encode(b"a" * 64).decode()
    arm = FakeArm({"keys": [{"keyName": "key1", "value": key, "permissions": "FULL"}]})
    seen: dict[str, Any] = {}

    class Recorder(FakeStore):
        def __init__(self, endpoint: str, container: str, credential: Any, *args: Any) -> None:
            super().__init__()
            seen["credential"] = credential

    monkeypatch.setattr(_blob_api, "SdkBlobStore", Recorder)
    monkeypatch.setattr(AzureModule, "arm", property(lambda self: arm))
    monkeypatch.setattr(AzureModule, "subscription_id", property(lambda self: "sub-1"))
    result = run_module(
        blob_upload.main, params(script, auth_mode="key", resource_group="rg-images")
    )
    assert not result.failed, result.msg
    assert seen["credential"]["account_key"] == key
    assert arm.calls == [
        (
            "/subscriptions/sub-1/resourceGroups/rg-images/providers/Microsoft.Storage"
            "/storageAccounts/devstoreaccount1/listKeys",
            _blob_api.STORAGE_ARM_API_VERSION,
        )
    ]
    assert key not in str(result.result)


def test_key_mode_without_key_needs_the_resource_group(
    monkeypatch: pytest.MonkeyPatch, script: Path
) -> None:
    monkeypatch.setattr(_blob_api, "SdkBlobStore", FakeStore)
    result = run_module(blob_upload.main, params(script, auth_mode="key"))
    assert result.failed and "resource_group" in result.msg
