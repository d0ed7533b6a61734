"""What the benchmark runs for each module of the collection.

A scenario names the module, how to create its i-th resource and how to re-run that task as a
no-op. Modules that exist in plugins/modules without a scenario here are listed as such.
Option names are checked against the module's DOCUMENTATION before a scenario is used, so a
module whose options changed is skipped with a reason instead of failing the run.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

LOCATION = "eastus"
# Options every module may take from shared doc fragments.
FRAGMENT_OPTIONS = frozenset({"tags", "purge_tags", "wait", "wait_timeout"})
Args = dict[str, Any]


@dataclass(frozen=True)
class Context:
    """Names shared by every scenario of one run."""

    resource_group: str
    group_id: str
    identity_id: str
    subscription_id: str
    managed_image_id: str

    def gallery(self, i: int) -> str:
        return f"bench_g{i}"

    def template(self, i: int) -> str:
        return f"bench-tpl{i}"


@dataclass(frozen=True)
class Scenario:
    module: str
    resource: str
    noop: Callable[[Context, int], Args]
    create: Callable[[Context, int], Args] | None = None
    # Tasks run once before the timed ones (not timed), e.g. a build the no-op re-runs.
    setup: Callable[[Context], list[tuple[str, Args]]] = field(default=lambda ctx: [])
    # Generated management SDKs this module may import; any other azure.mgmt.* (besides
    # azure.mgmt.core, the ARM pipeline) is a finding. None: every module sends raw ARM requests.
    sdks: tuple[str, ...] = ()


def _gallery(ctx: Context, i: int) -> Args:
    return {
        "name": ctx.gallery(i),
        "resource_group": ctx.resource_group,
        "location": LOCATION,
        "description": "benchmark gallery",
        "tags": {"bench": "1"},
    }


def _gallery_info(ctx: Context, i: int) -> Args:
    return {"name": ctx.gallery(i), "resource_group": ctx.resource_group}


def _image(ctx: Context, i: int) -> Args:
    return {
        "name": f"img{i}",
        "gallery_name": ctx.gallery(0),
        "resource_group": ctx.resource_group,
        "publisher": "bench",
        "offer": "ubuntu",
        "sku": f"sku{i}",
        "os_type": "Linux",
        "hyper_v_generation": "V2",
        "location": LOCATION,
    }


def _image_info(ctx: Context, i: int) -> Args:
    return {"name": f"img{i}", "gallery_name": ctx.gallery(0), "resource_group": ctx.resource_group}


def _version(ctx: Context, i: int) -> Args:
    return {
        "name": f"1.0.{i}",
        "gallery_name": ctx.gallery(0),
        "gallery_image_name": "img0",
        "resource_group": ctx.resource_group,
        "managed_image": ctx.managed_image_id,
        "target_regions": [LOCATION],
    }


def _version_info(ctx: Context, i: int) -> Args:
    return {
        "name": f"1.0.{i}",
        "gallery_name": ctx.gallery(0),
        "gallery_image_name": "img0",
        "resource_group": ctx.resource_group,
    }


def _template(ctx: Context, i: int) -> Args:
    return {
        "name": ctx.template(i),
        "resource_group": ctx.resource_group,
        "location": LOCATION,
        "identity": ctx.identity_id,
        "source": {
            "type": "platform_image",
            "publisher": "Canonical",
            "offer": "ubuntu-24_04-lts",
            "sku": "server",
        },
        "customize": [{"type": "shell", "name": "patch", "inline": ["sudo apt-get update"]}],
        "distribute": [{"type": "vhd", "run_output_name": "vhd"}],
    }


def _template_info(ctx: Context, i: int) -> Args:
    return {"name": ctx.template(i), "resource_group": ctx.resource_group}


def _build(ctx: Context, i: int) -> Args:
    # Re-running a build of a template that was built already starts nothing.
    return {"name": ctx.template(0), "resource_group": ctx.resource_group}


def _build_setup(ctx: Context) -> list[tuple[str, Args]]:
    return [("image_build", _build(ctx, 0))]


SCENARIOS: dict[str, Scenario] = {
    s.module: s
    for s in (
        Scenario("gallery", "gallery", noop=_gallery, create=_gallery),
        Scenario("gallery_info", "gallery", noop=_gallery_info),
        Scenario("gallery_image", "image definition", noop=_image, create=_image),
        Scenario("gallery_image_info", "image definition", noop=_image_info),
        Scenario("gallery_image_version", "image version", noop=_version, create=_version),
        Scenario("gallery_image_version_info", "image version", noop=_version_info),
        Scenario(
            "image_template",
            "image template",
            noop=_template,
            create=_template,
        ),
        Scenario(
            "image_template_info",
            "image template",
            noop=_template_info,
        ),
        Scenario(
            "image_build",
            "template run",
            noop=_build,
            setup=_build_setup,
        ),
    )
}

# Modules a scenario's create depends on, so they run first in the playbook.
ORDER = (
    "gallery",
    "gallery_info",
    "gallery_image",
    "gallery_image_info",
    "gallery_image_version",
    "gallery_image_version_info",
    "image_template",
    "image_template_info",
    "image_build",
)


def discover_modules(modules_dir: Path) -> list[str]:
    return sorted(p.stem for p in modules_dir.glob("*.py") if not p.stem.startswith("_"))


def documented_options(module_file: Path) -> set[str]:
    """Top-level option names in the module's DOCUMENTATION (doc fragments not included)."""
    tree = ast.parse(module_file.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "DOCUMENTATION" for t in node.targets
        ):
            doc = yaml.safe_load(ast.literal_eval(node.value)) or {}
            return set((doc.get("options") or {}).keys())
    return set()


def missing_options(module_file: Path, args: Args) -> list[str]:
    options = documented_options(module_file)
    return sorted(key for key in args if key not in options | FRAGMENT_OPTIONS)


def plan(modules_dir: Path, ctx: Context) -> tuple[list[Scenario], dict[str, str]]:
    """The scenarios to run, in dependency order, and a reason for each module skipped."""
    present = discover_modules(modules_dir)
    chosen: list[Scenario] = []
    skipped: dict[str, str] = {}
    for name in present:
        scenario = SCENARIOS.get(name)
        if scenario is None:
            skipped[name] = "present, but the benchmark has no scenario for it yet"
            continue
        try:
            unknown = missing_options(modules_dir / f"{name}.py", scenario.noop(ctx, 0))
            if scenario.create is not None:
                unknown += missing_options(modules_dir / f"{name}.py", scenario.create(ctx, 0))
        except (SyntaxError, ValueError, yaml.YAMLError) as exc:
            # A module being edited must not stop the benchmark of the others.
            skipped[name] = f"its DOCUMENTATION does not parse: {str(exc).splitlines()[0]}"
            continue
        if unknown:
            skipped[name] = (
                f"options not documented by the module: {', '.join(sorted(set(unknown)))}"
            )
            continue
        chosen.append(scenario)
    chosen.sort(key=lambda s: ORDER.index(s.module) if s.module in ORDER else len(ORDER))
    return chosen, skipped
