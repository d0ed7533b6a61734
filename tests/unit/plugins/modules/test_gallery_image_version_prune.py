# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""gallery_image_version_prune's ``main()`` with Azure faked at HTTP level.

What is counted here is what Azure would see: one paged list, one DELETE per version, and one
list per round to confirm the deletes; no operation is polled.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("azure.mgmt.core", reason="azure-mgmt-core is not installed")

from ansible_collections.goldenimage.azure.plugins.modules import gallery_image_version_prune
from ansible_collections.goldenimage.azure.tests.unit.azure_fakes import (
    FakeTransport,
    Reply,
    arm_error,
    fake_azure,
    page,
)
from ansible_collections.goldenimage.azure.tests.unit.harness import ModuleResult

SUB = "00000000-0000-0000-0000-000000000001"
DEFINITION = (
    f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/galleries/gal1"
    "/images/linux"
)
LIST = r"/images/linux/versions\?"
OPERATION = f"https://management.azure.com/subscriptions/{SUB}/providers/Microsoft.Compute/locations/eastus/operations/op-1?api-version=2026-03-03"
ARGS = {
    "gallery_name": "gal1",
    "gallery_image_name": "linux",
    "resource_group": "rg",
    "keep_newest": 2,
    "max_parallel": 2,
}

Runner = Callable[..., ModuleResult]


@pytest.fixture
def azure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeTransport:
    transport = fake_azure(monkeypatch, tmp_path, SUB)
    transport.add("GET", "softdeletedartifacttypes", page([]))
    return transport


def version(name: str, day: int, state: str = "Succeeded", block: bool = False) -> dict[str, Any]:
    """A version as ARM lists it (2026-03-03 shape)."""
    return {
        "id": f"{DEFINITION}/versions/{name}",
        "name": name,
        "type": "Microsoft.Compute/galleries/images/versions",
        "location": "eastus",
        "properties": {
            "provisioningState": state,
            "publishingProfile": {
                "publishedDate": f"2026-01-{day:02d}T00:00:00Z",
                "targetRegions": [{"name": "East US", "regionalReplicaCount": 1}],
                "excludeFromLatest": False,
            },
            "safetyProfile": {"blockDeletionBeforeEndOfLife": block},
            "storageProfile": {"osDiskImage": {"sizeInGB": 30}},
        },
    }


ALL = [version("1.0.0", 1), version("1.1.0", 2), version("1.2.0", 3), version("1.3.0", 4)]
KEPT = [version("1.2.0", 3), version("1.3.0", 4)]


def accepted(retry_after: str = "0") -> Reply:
    """A DELETE accepted as a long-running operation, as ARM answers it."""
    return Reply(
        202,
        None,
        {"Azure-AsyncOperation": OPERATION, "Location": OPERATION, "Retry-After": retry_after},
    )


def requests(azure: FakeTransport) -> list[str]:
    """``METHOD path`` of every request, without host and query."""
    return [
        f"{r.method} {r.url.split('?')[0].split('.com', 1)[1].removeprefix(DEFINITION)}"
        for r in azure.requests
    ]


def test_check_mode_plans_and_sends_no_write(azure: FakeTransport, module_runner: Runner) -> None:
    azure.add("GET", LIST, page(ALL))
    result = module_runner(gallery_image_version_prune.main, ARGS, check_mode=True, diff=True)
    assert result.changed and not result.failed, result.msg
    assert [d["name"] for d in result["plan"]["delete"]] == ["1.1.0", "1.0.0"]
    assert result["deleted"] == []
    assert result["diff"] == {
        "before": {"versions": ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]},
        "after": {"versions": ["1.2.0", "1.3.0"]},
    }
    assert all(call.startswith("GET ") for call in azure.calls())


def test_one_list_one_delete_each_and_one_list_to_confirm(
    azure: FakeTransport, module_runner: Runner
) -> None:
    azure.add("GET", LIST, page(ALL), page(KEPT))
    azure.add("DELETE", r"/versions/1\.[01]\.0\?", accepted())
    azure.add("GET", "/operations/", arm_error(500, "Unexpected", "operations are not polled"))
    result = module_runner(gallery_image_version_prune.main, ARGS)
    assert result.changed and not result.failed, result.msg
    assert result["deleted"] == ["1.0.0", "1.1.0"]
    calls = requests(azure)
    assert sorted(calls[2:4]) == ["DELETE /versions/1.0.0", "DELETE /versions/1.1.0"]
    assert [calls[0], calls[-1]] == ["GET /versions", "GET /versions"]
    assert len(calls) == 5  # list, soft-deleted list, two deletes, one confirming list


def test_a_refused_delete_and_a_failed_one_are_named_and_the_rest_deleted(
    azure: FakeTransport, module_runner: Runner
) -> None:
    versions = [*ALL, version("1.4.0", 5), version("1.5.0", 6)]
    azure.add("GET", LIST, page(versions), page([version("1.1.0", 2, "Failed"), *versions[4:]]))
    azure.add("DELETE", r"/versions/1\.2\.0\?", arm_error(409, "Conflict", "in use"))
    azure.add("DELETE", r"/versions/", accepted())
    result = module_runner(gallery_image_version_prune.main, {**ARGS, "keep_newest": 2})
    assert result.failed and result.changed
    assert result["deleted"] == ["1.0.0", "1.3.0"]
    assert sorted(result["failures"]) == ["1.1.0", "1.2.0"]
    assert "Conflict: in use" in result["failures"]["1.2.0"]
    assert "provisioning state is Failed" in result["failures"]["1.1.0"]
    assert result.msg.startswith("2 of 4 versions could not be deleted: 1.1.0: ")


def test_the_deadline_names_each_version_still_deleting(
    azure: FakeTransport, module_runner: Runner
) -> None:
    deleting = [version("1.0.0", 1, "Deleting"), *KEPT]
    azure.add("GET", LIST, page(ALL), page(deleting))
    azure.add("DELETE", r"/versions/", accepted("30"))
    result = module_runner(gallery_image_version_prune.main, {**ARGS, "wait_timeout": 0})
    assert result.failed and result["timed_out"]
    assert result["deleted"] == ["1.1.0"]
    assert result["failures"] == {
        "1.0.0": "still present (provisioning state Deleting) when wait_timeout (0 seconds) passed"
    }


def test_without_wait_deletes_are_sent_and_not_confirmed(
    azure: FakeTransport, module_runner: Runner
) -> None:
    azure.add("GET", LIST, page(ALL))
    azure.add("DELETE", r"/versions/", accepted())
    result = module_runner(gallery_image_version_prune.main, {**ARGS, "wait": False})
    assert result["deleted"] == ["1.0.0", "1.1.0"] and not result.failed
    assert len(azure.calls("GET")) == 2  # the list and the soft-deleted list


def test_a_blocked_version_is_unblocked_before_its_delete(
    azure: FakeTransport, module_runner: Runner
) -> None:
    blocked = version("1.0.0", 1, block=True)
    azure.add("GET", LIST, page([blocked, *ALL[1:]]), page(KEPT))
    azure.add("PATCH", r"/versions/1\.0\.0\?", Reply(200, {**blocked}))
    azure.add("DELETE", r"/versions/", accepted())
    result = module_runner(gallery_image_version_prune.main, {**ARGS, "force": True})
    assert result["deleted"] == ["1.0.0", "1.1.0"] and not result.failed, result.msg
    calls = requests(azure)
    assert calls.index("PATCH /versions/1.0.0") < calls.index("DELETE /versions/1.0.0")
