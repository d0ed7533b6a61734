"""What waiting costs: requests per simulated minute while Azure works.

The stand-in's clock runs `scale` simulated seconds per real second, so a request's simulated
time is its offset from the task's start times the scale. Requests in the first
`GRACE_MINUTES` simulated minutes are left out of the steady rate the budget is about.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gibench import playbook
from gibench.playbook import Task
from gibench.scenarios import LOCATION, Context
from gibench.standin import StandIn, entry_time, in_window

GRACE_MINUTES = 5.0
# 90 s queued + 7 min building + 2 min deprovisioning + 16 shell steps of 3 min + 3 min VHD.
LONG_BUILD_STEPS = 16
TEN_REGIONS = (
    "eastus",
    "eastus2",
    "westus",
    "westus2",
    "centralus",
    "southcentralus",
    "northeurope",
    "westeurope",
    "uksouth",
    "southeastasia",
)


def rate_after_grace(
    entries: list[dict[str, Any]], start: float, end: float, scale: float
) -> dict[str, Any]:
    """Simulated minutes the window spans and ARM / token requests per simulated minute."""
    minutes = (end - start) * scale / 60
    late = [e for e in entries if (entry_time(e) - start) * scale / 60 > GRACE_MINUTES]
    steady = max(minutes - GRACE_MINUTES, 0.0)
    arm = sum(e["kind"] == "arm" for e in late)
    token = sum(e["kind"] == "token" for e in late)
    return {
        "simulated_minutes": round(minutes, 1),
        "arm_requests": sum(e["kind"] == "arm" for e in entries),
        "token_requests": sum(e["kind"] == "token" for e in entries),
        "arm_per_simulated_minute_after_grace": round(arm / steady, 2) if steady else None,
        "token_per_simulated_minute_after_grace": round(token / steady, 2) if steady else None,
    }


def progress_lines(output: str, name: str) -> list[str]:
    pattern = re.compile(rf"^\s*{re.escape(name)}: ")
    return [line.strip() for line in output.splitlines() if pattern.match(line)]


def long_template(ctx: Context, name: str) -> dict[str, Any]:
    steps = [
        {"type": "shell", "name": f"step-{i}", "inline": ["true"]} for i in range(LONG_BUILD_STEPS)
    ]
    return {
        "name": name,
        "resource_group": ctx.resource_group,
        "location": LOCATION,
        "identity": ctx.identity_id,
        "source": {
            "type": "platform_image",
            "publisher": "Canonical",
            "offer": "ubuntu-24_04-lts",
            "sku": "server",
        },
        "customize": steps,
        "distribute": [{"type": "vhd", "run_output_name": "vhd"}],
    }


def build_wait(
    standin: StandIn,
    ansible_bin: Path,
    python: Path,
    workdir: Path,
    collections: Path,
    ctx: Context,
    scale: float,
) -> dict[str, Any]:
    name = "bench-long"
    tasks = [
        Task("template", "goldenimage.azure.image_template", long_template(ctx, name), timed=False),
        Task(
            "build",
            "goldenimage.azure.image_build",
            {"name": name, "resource_group": ctx.resource_group, "progress_interval": 60},
        ),
    ]
    env = {**standin.env, "ANSIBLE_COLLECTIONS_PATH": str(collections)}
    standin.set_scale(scale)
    try:
        first = standin.admin.last_seq()
        run = playbook.run(
            ansible_bin / "ansible-playbook",
            workdir,
            "build-wait",
            tasks,
            env,
            standin.admin,
            python=python,
            module_defaults=_defaults(ctx),
        )
        log = standin.admin.requests(since=first)
    finally:
        standin.set_scale(600)
    return _wait_summary(run, log, scale, progress_lines(run.output, name))


def replication_wait(
    standin: StandIn,
    ansible_bin: Path,
    python: Path,
    workdir: Path,
    collections: Path,
    ctx: Context,
    scale: float,
) -> dict[str, Any]:
    """Publish a version to ten regions and wait for all of them (the module's default)."""
    image = {
        "name": "repl",
        "gallery_name": ctx.gallery(0),
        "resource_group": ctx.resource_group,
        "publisher": "bench",
        "offer": "ubuntu",
        "sku": "repl",
        "os_type": "Linux",
        "hyper_v_generation": "V2",
        "location": LOCATION,
    }
    gallery = {"name": ctx.gallery(0), "resource_group": ctx.resource_group, "location": LOCATION}
    version = {
        "name": "2.0.0",
        "gallery_name": ctx.gallery(0),
        "gallery_image_name": "repl",
        "resource_group": ctx.resource_group,
        "managed_image": ctx.managed_image_id,
        "target_regions": list(TEN_REGIONS),
    }
    tasks = [
        Task("gallery", "goldenimage.azure.gallery", gallery, timed=False),
        Task("image", "goldenimage.azure.gallery_image", image, timed=False),
        Task("build", "goldenimage.azure.gallery_image_version", version),
    ]
    env = {**standin.env, "ANSIBLE_COLLECTIONS_PATH": str(collections)}
    standin.set_scale(scale)
    try:
        first = standin.admin.last_seq()
        run = playbook.run(
            ansible_bin / "ansible-playbook",
            workdir,
            "replication-wait",
            tasks,
            env,
            standin.admin,
            python=python,
            module_defaults=_defaults(ctx),
        )
        log = standin.admin.requests(since=first)
    finally:
        standin.set_scale(600)
    return _wait_summary(run, log, scale, progress_lines(run.output, "2.0.0"))


def _defaults(ctx: Context) -> dict[str, Any]:
    return {"group/goldenimage.azure.azure": {"subscription_id": ctx.subscription_id}}


def _wait_summary(
    run: playbook.Run, log: list[dict[str, Any]], scale: float, progress: list[str]
) -> dict[str, Any]:
    waited = run.timings.get("build")
    if waited is None:
        return {"status": "no result", "output_tail": run.output[-800:]}
    start, end = waited["start"], waited["end"]
    summary = rate_after_grace(in_window(log, start, end), start, end, scale)
    summary.update(
        status=waited["status"],
        msg=waited["msg"],
        real_seconds=round(end - start, 1),
        scale=scale,
        progress_lines=len(progress),
        progress_sample=progress[:3],
    )
    return summary
