# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The gallery, version and managed image services on the wire.

The real ``ArmClient`` (azure-core pipeline, ARM poller) over a fake transport: what is checked
is what Azure would receive (method, path, api-version, ``$expand``, body) and how its answers
(pages, long-running operations, errors) come back.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("azure.mgmt.core", reason="azure-mgmt-core is not installed")

from ansible_collections.goldenimage.azure.plugins.module_utils._arm import ArmClient
from ansible_collections.goldenimage.azure.plugins.module_utils._cloud import KNOWN_CLOUDS
from ansible_collections.goldenimage.azure.plugins.module_utils._errors import AzureOperationError
from ansible_collections.goldenimage.azure.plugins.module_utils._gallery_service import (
    GalleryService,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._version_managed_image_runner import (
    ImageService,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._version_service import (
    VersionService,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._waiter import NoWaiter, Waiter
from ansible_collections.goldenimage.azure.tests.unit.azure_fakes import (
    FakeCredential,
    FakeTransport,
    Reply,
    arm_error,
    page,
)

ARM = "https://management.azure.com"
SUB = "sub-1"
GROUP = f"/subscriptions/{SUB}/resourceGroups/rg1"
GALLERY = f"{GROUP}/providers/Microsoft.Compute/galleries/g1"
OPERATION = f"{ARM}/subscriptions/{SUB}/providers/Microsoft.Compute/locations/eastus/operations/op1"
GALLERY_API = "api-version=2026-03-03"
IMAGES_API = "api-version=2026-04-01"


def context(transport: FakeTransport) -> Any:
    """What the services need of ``AzureModule``: the subscription and the ARM client."""
    arm = ArmClient(FakeCredential(), KNOWN_CLOUDS["azurecloud"], True, transport=transport)
    return SimpleNamespace(subscription_id=SUB, arm=arm)


def accepted(status: int, body: Any = None, *, location: bool = False) -> Reply:
    """The first answer of a long-running operation, as ARM sends it."""
    headers = {"Azure-AsyncOperation": OPERATION, "Retry-After": "0"}
    if location:
        headers["Location"] = OPERATION.replace("/operations/", "/operationResults/")
    return Reply(status, body, headers)


def succeeded(transport: FakeTransport) -> FakeTransport:
    return transport.add("GET", "/operations/op1", Reply(200, {"status": "Succeeded"}))


def requests_of(transport: FakeTransport) -> list[str]:
    """``METHOD url`` of every request, the host left out."""
    return [call.replace(ARM, "") for call in transport.calls()]


# --- galleries and definitions ----------------------------------------------------------------


def test_gallery_read_expands_sharing_groups_at_the_gallery_api_version() -> None:
    transport = FakeTransport().add("GET", "/galleries/g1", Reply(200, {"name": "g1"}))
    found = GalleryService(context(transport)).get_gallery("rg1", "g1")
    assert found == {"name": "g1"}
    assert requests_of(transport) == [
        f"GET {GALLERY}?$expand=SharingProfile%2FGroups&{GALLERY_API}"
    ]


def test_an_absent_gallery_is_none_and_a_refused_read_names_it() -> None:
    transport = FakeTransport().add(
        "GET", "/galleries/g1", arm_error(404, "ResourceNotFound", "not found")
    )
    assert GalleryService(context(transport)).get_gallery("rg1", "g1") is None
    transport = FakeTransport().add(
        "GET", "/galleries/g1", arm_error(403, "AuthorizationFailed", "no read")
    )
    with pytest.raises(AzureOperationError) as raised:
        GalleryService(context(transport)).get_gallery("rg1", "g1")
    assert str(raised.value).startswith(
        "Azure refused to read gallery 'g1' in resource group 'rg1': AuthorizationFailed"
    )


def test_lists_follow_next_link_in_the_subscription_or_a_resource_group() -> None:
    next_link = f"{ARM}/subscriptions/{SUB}/providers/Microsoft.Compute/galleries?{GALLERY_API}&$skiptoken=2"
    transport = (
        FakeTransport()
        .add("GET", "skiptoken=2", page([{"name": "b"}]))
        .add("GET", r"/galleries\?", page([{"name": "a"}], next_link))
    )
    service = GalleryService(context(transport))
    assert [g["name"] for g in service.list_galleries()] == ["a", "b"]
    assert requests_of(transport)[0] == (
        f"GET /subscriptions/{SUB}/providers/Microsoft.Compute/galleries?{GALLERY_API}"
    )
    service.list_galleries("rg1")
    assert requests_of(transport)[2] == (
        f"GET {GROUP}/providers/Microsoft.Compute/galleries?{GALLERY_API}"
    )


def test_definitions_of_an_absent_gallery_are_none_only_when_asked() -> None:
    transport = FakeTransport().add(
        "GET", "/galleries/g1/images", arm_error(404, "ParentResourceNotFound", "no gallery")
    )
    service = GalleryService(context(transport))
    assert service.list_images("rg1", "g1", missing_gallery_ok=True) == []
    with pytest.raises(AzureOperationError, match="list image definitions of gallery 'g1'"):
        service.list_images("rg1", "g1")
    assert requests_of(transport)[0] == f"GET {GALLERY}/images?{GALLERY_API}"


def test_put_gallery_waits_for_the_operation_and_returns_the_resource() -> None:
    transport = succeeded(
        FakeTransport()
        .add("PUT", "/galleries/g1", accepted(201, {"name": "g1"}))
        .add("GET", "/galleries/g1", Reply(200, {"name": "g1", "properties": {"x": 1}}))
    )
    body = {"location": "eastus", "properties": {"description": "d"}}
    result = GalleryService(context(transport)).put_gallery("rg1", "g1", body, Waiter(30))
    assert result == {"name": "g1", "properties": {"x": 1}}
    assert requests_of(transport) == [
        f"PUT {GALLERY}?{GALLERY_API}",
        f"GET {OPERATION.removeprefix(ARM)}",
        f"GET {GALLERY}?{GALLERY_API}",
    ]
    assert json.loads(transport.requests[0].content) == body


def test_share_is_a_post_action_awaited_like_any_long_running_operation() -> None:
    transport = succeeded(
        FakeTransport()
        .add("POST", "/galleries/g1/share", accepted(202, location=True))
        .add("GET", "/operationResults/op1", Reply(200, {"operationType": "Add"}))
    )
    update = {"operationType": "Add", "groups": [{"type": "Subscriptions", "ids": ["s2"]}]}
    GalleryService(context(transport)).share_gallery("rg1", "g1", update, Waiter(30))
    methods = [call.split()[0] for call in requests_of(transport)]
    assert requests_of(transport)[0] == f"POST {GALLERY}/share?{GALLERY_API}"
    assert methods[0] == "POST" and set(methods[1:]) == {"GET"}


def test_a_failed_operation_names_the_verb_and_the_resource() -> None:
    transport = (
        FakeTransport()
        .add("DELETE", "/images/img1$|/images/img1\\?", accepted(202, location=True))
        .add(
            "GET",
            "/operations/op1",
            Reply(200, {"status": "Failed", "error": {"code": "Conflict", "message": "in use"}}),
        )
    )
    with pytest.raises(AzureOperationError) as raised:
        GalleryService(context(transport)).delete_image("rg1", "g1", "img1", Waiter(30))
    assert "delete image definition 'img1' of gallery 'g1'" in str(raised.value)


def test_wait_false_sends_the_write_and_returns_nothing() -> None:
    transport = (
        FakeTransport()
        .add("PUT", "/galleries/g1", accepted(201, {"name": "g1"}))
        .add("GET", "/operations/op1", Reply(200, {"status": "InProgress"}, {"Retry-After": "1"}))
    )
    service = GalleryService(context(transport))
    assert service.put_gallery("rg1", "g1", {"location": "eastus"}, NoWaiter()) is None
    assert requests_of(transport)[0] == f"PUT {GALLERY}?{GALLERY_API}"


def test_names_are_percent_encoded_in_paths() -> None:
    transport = FakeTransport().add("GET", "/galleries/g1", Reply(200, {"name": "g1"}))
    GalleryService(context(transport)).get_gallery("rg(1) x", "g1")
    assert requests_of(transport)[0].startswith(
        f"GET /subscriptions/{SUB}/resourceGroups/rg%281%29%20x/providers/"
    )


# --- versions ---------------------------------------------------------------------------------


def test_version_read_expands_replication_status() -> None:
    transport = FakeTransport().add("GET", "/versions/1.0.0", Reply(200, {"name": "1.0.0"}))
    service = VersionService(context(transport), "rg1", "g1", "linux")
    assert service.get("1.0.0") == {"name": "1.0.0"}
    assert requests_of(transport) == [
        f"GET {GALLERY}/images/linux/versions/1.0.0?$expand=ReplicationStatus&{GALLERY_API}"
    ]
    assert service.version_id("1.0.0") == f"{GALLERY}/images/linux/versions/1.0.0"


def test_version_writes_start_an_operation_that_wait_finishes() -> None:
    version = f"{GALLERY}/images/linux/versions/1.0.0"
    transport = succeeded(
        FakeTransport()
        .add("PATCH", "/versions/1.0.0", accepted(200, {"name": "1.0.0"}))
        .add("DELETE", "/versions/1.0.0", accepted(202, location=True))
        .add("GET", "/versions/1.0.0", Reply(200, {"name": "1.0.0", "patched": True}))
    )
    service = VersionService(context(transport), "rg1", "g1", "linux")
    unblocked = service.wait(
        service.start_unblock("1.0.0"), Waiter(30), verb="unblock deletion of", name="1.0.0"
    )
    assert unblocked == {"name": "1.0.0", "patched": True}
    assert json.loads(transport.requests[0].content) == {
        "properties": {"safetyProfile": {"blockDeletionBeforeEndOfLife": False}}
    }
    # A delete's result is nothing, whatever the last status response held.
    assert (
        service.wait(service.start_delete("1.0.0"), Waiter(30), verb="delete", name="1.0.0") is None
    )
    writes = [call for call in requests_of(transport) if not call.startswith("GET")]
    assert writes == [f"PATCH {version}?{GALLERY_API}", f"DELETE {version}?{GALLERY_API}"]


def test_a_refused_version_write_names_the_version() -> None:
    transport = FakeTransport().add(
        "PUT", "/versions/1.0.0", arm_error(409, "Conflict", "replication in progress")
    )
    service = VersionService(context(transport), "rg1", "g1", "linux")
    with pytest.raises(AzureOperationError) as raised:
        service.start_put("1.0.0", {"location": "eastus"})
    assert "create or update image version '1.0.0' of image definition 'linux'" in str(raised.value)


# --- managed images ---------------------------------------------------------------------------


def test_managed_images_at_the_compute_api_version() -> None:
    image = f"{GROUP}/providers/Microsoft.Compute/images/img"
    transport = (
        FakeTransport()
        .add("GET", r"/images/img\?", Reply(200, {"name": "img", "tags": {"a": "1"}}))
        .add("PATCH", r"/images/img\?", Reply(200, {"name": "img", "tags": {"a": "2"}}))
        .add("GET", r"/Microsoft.Compute/images\?", page([{"name": "img"}]))
    )
    service = ImageService(context(transport))
    assert service.get("rg1", "img") == {"name": "img", "tags": {"a": "1"}}
    patched = service.patch_tags("rg1", "img", {"a": "2"}, Waiter(30))
    assert patched == {"name": "img", "tags": {"a": "2"}}
    assert [i["name"] for i in service.list_images(None)] == ["img"]
    assert requests_of(transport) == [
        f"GET {image}?{IMAGES_API}",
        f"PATCH {image}?{IMAGES_API}",
        f"GET /subscriptions/{SUB}/providers/Microsoft.Compute/images?{IMAGES_API}",
    ]
