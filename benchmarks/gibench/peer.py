"""The same tasks with azure.azcollection's gallery modules, from its own environment.

azure.azcollection 3.12 cannot be pointed at a custom cloud, so it reaches the stand-in the way
it reaches Azure: through the stand-in's CONNECT proxy for management.azure.com, with its
login sent to the stand-in (AZURE_ADFS_AUTHORITY_URL, instance discovery off).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gibench import playbook
from gibench.playbook import Task
from gibench.scenarios import LOCATION, Context
from gibench.standin import StandIn

PEER = "azure.azcollection"


def installed_version(venv: Path) -> str | None:
    manifests = sorted(
        venv.glob("lib/python*/site-packages/ansible_collections/azure/azcollection/MANIFEST.json")
    )
    if not manifests:
        return None
    return str(json.loads(manifests[0].read_text())["collection_info"]["version"])


def peer_env(standin: StandIn) -> dict[str, str]:
    env = dict(standin.proxy_env)
    env.update(
        AZURE_ADFS_AUTHORITY_URL=standin.env["AZSIM_URL"],
        AZURE_DISABLE_INSTANCE_DISCOVERY="true",
        NO_PROXY="127.0.0.1,localhost",
        # The peer's own collections, not the working tree's.
        ANSIBLE_COLLECTIONS_PATH="",
    )
    return env


def _gallery(i: int, ctx: Context) -> dict[str, Any]:
    return {
        "name": f"peer_g{i}",
        "resource_group": ctx.resource_group,
        "location": LOCATION,
        "description": "benchmark gallery",
        "tags": {"bench": "1"},
    }


def _image(i: int, ctx: Context) -> dict[str, Any]:
    return {
        "name": f"img{i}",
        "gallery_name": "peer_g0",
        "resource_group": ctx.resource_group,
        "location": LOCATION,
        "os_type": "linux",
        "os_state": "generalized",
        "hypervgeneration": "V2",
        "identifier": {"publisher": "bench", "offer": "ubuntu", "sku": f"sku{i}"},
    }


def tasks(ctx: Context, count: int) -> list[Task]:
    gallery, image = f"{PEER}.azure_rm_gallery", f"{PEER}.azure_rm_galleryimage"
    result = [Task("warm-up", "ansible.builtin.ping", {}, timed=False)]
    result += [Task("ping", "ansible.builtin.ping", {}) for _ in range(count)]
    result += [Task("gallery/create", gallery, _gallery(i, ctx)) for i in range(count)]
    result += [Task("gallery/noop", gallery, _gallery(i, ctx)) for i in range(count)]
    result += [
        Task(
            "gallery_info/noop",
            f"{PEER}.azure_rm_gallery_info",
            {"name": f"peer_g{i}", "resource_group": ctx.resource_group},
        )
        for i in range(count)
    ]
    result += [Task("gallery_image/create", image, _image(i, ctx)) for i in range(count)]
    result += [Task("gallery_image/noop", image, _image(i, ctx)) for i in range(count)]
    result += [
        Task(
            "gallery_image_info/noop",
            f"{PEER}.azure_rm_galleryimage_info",
            {"name": f"img{i}", "gallery_name": "peer_g0", "resource_group": ctx.resource_group},
        )
        for i in range(count)
    ]
    return result


def measure(
    standin: StandIn, venv: Path, workdir: Path, ctx: Context, count: int
) -> tuple[dict[str, Any], playbook.Run]:
    run = playbook.run(
        venv / "bin" / "ansible-playbook",
        workdir,
        "peer",
        tasks(ctx, count),
        peer_env(standin),
        standin.admin,
        python=venv / "bin" / "python",
    )
    return {label: playbook.summarize(results) for label, results in run.by_label().items()}, run
