"""Pruning 500 gallery image versions down to 5: the module against one delete at a time.

The versions are seeded directly through the stand-in's admin API. The serial baseline lists
them with the collection's ARM client and deletes them one at a time, waiting for each delete
with azure-core's ARM poller (as an SDK's ``begin_delete(...).result()`` does); because every wait lasts at least the 1-second Retry-After the stand-in
sends, it deletes a sample and its time per delete is multiplied out (the report says so).
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from gibench import playbook
from gibench.playbook import Task
from gibench.scenarios import LOCATION, documented_options
from gibench.standin import StandIn, count_kinds

COLLECTIONS = Path(__file__).resolve().parents[2] / ".tmp" / "collections"
GALLERY_API_VERSION = "2026-03-03"  # what the gallery modules send
GALLERY = "bench_prune"
IMAGE = "pruned"
COMPUTE = "Microsoft.Compute/galleries"


def seed_versions(standin: StandIn, group: str, image: str, count: int) -> str:
    """A gallery, an image definition and `count` versions 1.0.0 .. 1.0.<count-1>; its id."""
    group_id = standin.seed_group(group)
    gallery_id = f"{group_id}/providers/{COMPUTE}/{GALLERY}"
    image_id = f"{gallery_id}/images/{image}"
    oldest = datetime.now(UTC) - timedelta(days=count)
    resources: list[dict[str, Any]] = [
        {
            "id": gallery_id,
            "body": {
                "location": LOCATION,
                "properties": {
                    "provisioningState": "Succeeded",
                    "identifier": {"uniqueName": f"x-{GALLERY}"},
                },
            },
        },
        {
            "id": image_id,
            "body": {
                "location": LOCATION,
                "properties": {
                    "provisioningState": "Succeeded",
                    "osType": "Linux",
                    "osState": "Generalized",
                    "hyperVGeneration": "V2",
                    "identifier": {"publisher": "bench", "offer": "prune", "sku": image},
                },
            },
        },
    ]
    for i in range(count):
        published = (oldest + timedelta(days=i)).isoformat().replace("+00:00", "Z")
        resources.append(
            {
                "id": f"{image_id}/versions/1.0.{i}",
                "body": {
                    "location": LOCATION,
                    "properties": {
                        "provisioningState": "Succeeded",
                        "publishingProfile": {
                            "publishedDate": published,
                            "excludeFromLatest": False,
                            "targetRegions": [{"name": "East US", "regionalReplicaCount": 1}],
                        },
                        "storageProfile": {"osDiskImage": {"sizeInGB": 30}},
                    },
                },
            }
        )
    standin.admin.seed(resources)
    return image_id


def arm_client(standin: StandIn) -> Any:
    """The collection's own ARM client (what the modules send through), on the stand-in."""
    if str(COLLECTIONS) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS))
    from azure.identity import ClientSecretCredential

    from ansible_collections.goldenimage.azure.plugins.module_utils._arm import ArmClient
    from ansible_collections.goldenimage.azure.plugins.module_utils._cloud import CloudEnvironment

    url, info = standin.env["AZSIM_URL"], standin.info
    credential = ClientSecretCredential(
        info["tenant_id"],
        info["client_id"],
        info["client_secret"],
        authority=url,
        disable_instance_discovery=True,
        connection_verify=info["ca_file"],
    )
    cloud = CloudEnvironment(
        name=url,
        resource_manager=url,
        login_endpoint=url,
        audience="https://management.core.windows.net/",
    )
    return ArmClient(credential, cloud, info["ca_file"])


def serial_baseline(standin: StandIn, group: str, keep: int, sample: int) -> dict[str, Any]:
    """List the versions, delete the oldest `sample` of those to go one at a time; per delete.

    Each delete waits for its operation through azure-core's ARM poller, as an SDK's
    ``begin_delete(...).result()`` does.
    """
    client = arm_client(standin)
    versions = f"{standin.group_id(group)}/providers/{COMPUTE}/{GALLERY}/images/{IMAGE}/versions"
    first = standin.admin.last_seq()
    started = time.monotonic()
    names = [str(v["name"]) for v in client.list(versions, GALLERY_API_VERSION)]
    listed, listed_seq = time.monotonic(), standin.admin.last_seq()
    to_delete = sorted(names, key=lambda n: int(n.rsplit(".", 1)[1]))[: len(names) - keep]
    for name in to_delete[:sample]:
        client.begin("DELETE", f"{versions}/{name}", GALLERY_API_VERSION).result()
    deleting = time.monotonic() - listed
    list_requests = count_kinds(standin.admin.requests(since=first))
    delete_requests = count_kinds(standin.admin.requests(since=listed_seq))
    per_delete = deleting / sample
    return {
        "versions_listed": len(names),
        "deleted": sample,
        "list_s": round(listed - started, 3),
        "seconds_per_delete": round(per_delete, 3),
        "projected_s": round(listed - started + per_delete * len(to_delete), 1),
        "projected_from_sample": sample,
        "list_requests": list_requests,
        "arm_requests_per_delete": round(delete_requests["arm"] / sample, 2),
    }


def _pick(options: set[str], *candidates: str) -> str | None:
    return next((name for name in candidates if name in options), None)


def module_args(module_file: Path, group: str, keep: int) -> dict[str, Any] | str:
    """The prune module's arguments, or why they cannot be formed from its documented options."""
    try:
        options = documented_options(module_file)
    except (SyntaxError, ValueError, yaml.YAMLError) as exc:
        return f"its DOCUMENTATION does not parse: {str(exc).splitlines()[0]}"
    image = _pick(options, "gallery_image_name", "image_name", "image", "definition")
    count = _pick(options, "keep_newest", "keep", "keep_latest", "keep_count")
    if "gallery_name" not in options or image is None or count is None:
        return f"cannot map its options ({', '.join(sorted(options))}) to gallery, image, keep"
    return {"gallery_name": GALLERY, image: IMAGE, "resource_group": group, count: keep}


def run_module(
    standin: StandIn,
    ansible_bin: Path,
    python: Path,
    workdir: Path,
    collections: Path,
    args: dict[str, Any],
) -> dict[str, Any]:
    env = {**standin.env, "ANSIBLE_COLLECTIONS_PATH": str(collections)}
    task = Task("prune", "goldenimage.azure.gallery_image_version_prune", args)
    run = playbook.run(
        ansible_bin / "ansible-playbook",
        workdir,
        "prune",
        [task],
        env,
        standin.admin,
        python=python,
    )
    results = run.by_label().get("prune", [])
    if not results:
        return {"status": "no result", "output_tail": run.output[-800:]}
    result = results[0]
    return {
        "status": result.status,
        "seconds": round(result.seconds, 2),
        "requests": result.requests,
        "methods": result.methods,
        "gets": classify_gets(result.calls),
        "msg": result.msg,
    }


def classify_gets(calls: list[str]) -> dict[str, int]:
    """What the module's GETs read: list pages, the soft-deleted list, operation polls, other."""
    kinds = {"version list pages": 0, "soft-deleted list": 0, "operation polls": 0, "other": 0}
    for call in calls:
        if not call.startswith("GET "):
            continue
        if "/operations/" in call:
            kinds["operation polls"] += 1
        elif "/artifacts/" in call:
            kinds["soft-deleted list"] += 1
        elif call.split(" (")[0].endswith("/versions"):
            kinds["version list pages"] += 1
        else:
            kinds["other"] += 1
    return kinds
