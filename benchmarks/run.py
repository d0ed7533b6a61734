"""`make bench`: what each task and each operation of goldenimage.azure costs.

    python benchmarks/run.py [--tasks N] [--quick] [--output FILE] [--peer-venv DIR] [--keep]

Starts a fresh stand-in in a temporary directory, runs every measurement against it, prints
a table and the budgets, and writes the same figures as JSON. Run it with the Python of the
virtual environment whose ansible-core and Azure SDKs it should measure (`.venv`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gibench import budgets, peer, pipeline, prune, report, scenarios, standin, tasks, waiting
from gibench.playbook import Task
from gibench.profile import keep_payloads, profile

ROOT = Path(__file__).resolve().parents[1]
COLLECTIONS = ROOT / ".tmp" / "collections"
INITIAL_SCALE = 600.0  # so a create's few simulated seconds cost a short real wait
WAIT_SCALE = 60.0  # one real second per simulated minute while a build runs
PRUNE_VERSIONS, PRUNE_KEEP, SERIAL_SAMPLE = 500, 5, 10
PRUNE_MODULE = "gallery_image_version_prune"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tasks",
        type=int,
        default=int(os.environ.get("BENCH_TASKS", "5")),
        help="tasks of each kind per module (default 5, or $BENCH_TASKS)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: one task of each kind for the gallery modules only",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "bench-results.json")
    parser.add_argument("--peer-venv", type=Path, default=ROOT / ".venv-azcollection")
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    return parser.parse_args()


def ensure_collection_link() -> None:
    link = COLLECTIONS / "ansible_collections" / "goldenimage" / "azure"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(ROOT, target_is_directory=True)


def machine() -> dict[str, Any]:
    from ansible.release import __version__ as ansible_core

    cores = os.cpu_count()
    load = os.getloadavg()[0]
    return {
        "cores": cores,
        "python": platform.python_version(),
        "ansible_core": ansible_core,
        "load_average_at_start": round(load, 2),
        "summary": f"{cores} cores, Python {platform.python_version()}, ansible-core "
        f"{ansible_core}, load {load:.1f} at start",
    }


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.bin = Path(sys.executable).parent
        self.python = Path(sys.executable)
        self.sim = standin.start(self.bin / "azsim", workdir / "azsim", INITIAL_SCALE)
        self.results: dict[str, Any] = {"machine": machine(), "time_scale": INITIAL_SCALE}

    def step(self, title: str) -> None:
        print(f"-- {title}", flush=True)

    def module_tasks(self) -> tuple[scenarios.Context, list[scenarios.Scenario]]:
        ctx = tasks.seed_context(self.sim, "rg-bench")
        chosen, skipped = scenarios.plan(ROOT / "plugins" / "modules", ctx)
        if PRUNE_MODULE in skipped:
            skipped[PRUNE_MODULE] = "measured in the pruning section"
        if self.args.quick:
            quick = [s for s in chosen if s.module in ("gallery", "gallery_info")]
            skipped.update({s.module: "not in --quick" for s in chosen if s not in quick})
            chosen = quick
        count = 1 if self.args.quick else self.args.tasks
        self.step(f"{count} create and no-op tasks per module: {[s.module for s in chosen]}")
        summary, run = tasks.measure(
            self.sim, self.bin, self.python, self.workdir, COLLECTIONS, chosen, ctx, count
        )
        if run.returncode:
            print(f"   playbook exit {run.returncode}; log kept as tasks.log", flush=True)
        self.results.update(
            tasks=summary,
            modules=[s.module for s in chosen],
            skipped_modules=skipped,
            tasks_per_kind=count,
        )
        return ctx, chosen

    def profiles(self, ctx: scenarios.Context, chosen: list[scenarios.Scenario]) -> None:
        self.step("peak memory and imports of each module's payload")
        run_tasks = [Task("ping", "ansible.builtin.ping", {})] + [
            Task(s.module, f"goldenimage.azure.{s.module}", s.noop(ctx, 0)) for s in chosen
        ]
        env = {**self.sim.env, "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS)}
        payloads = keep_payloads(
            self.bin / "ansible-playbook",
            self.workdir,
            run_tasks,
            env,
            self.sim.admin,
            self.python,
            {"group/goldenimage.azure.azure": {"subscription_id": ctx.subscription_id}},
        )
        self.results["profiles"] = {
            name: vars(profile(self.python, path, self.sim.env)) for name, path in payloads.items()
        }

    def build_wait(self, present: set[str]) -> str:
        if not {"image_template", "image_build"} <= present:
            return "image_template and image_build are not both in plugins/modules yet"
        self.step(f"a simulated 60-minute build at {WAIT_SCALE:g} simulated seconds per second")
        ctx = tasks.seed_context(self.sim, "rg-wait")
        self.results["build_wait"] = waiting.build_wait(
            self.sim, self.bin, self.python, self.workdir, COLLECTIONS, ctx, WAIT_SCALE
        )
        return ""

    def replication(self, present: set[str]) -> str:
        if not {"gallery", "gallery_image", "gallery_image_version"} <= present:
            return "gallery_image_version is not in plugins/modules yet"
        self.step(f"a version replicating to 10 regions at {WAIT_SCALE:g}x")
        ctx = tasks.seed_context(self.sim, "rg-replication")
        self.results["replication"] = waiting.replication_wait(
            self.sim, self.bin, self.python, self.workdir, COLLECTIONS, ctx, WAIT_SCALE
        )
        return ""

    def prune(self, present: set[str]) -> str:
        self.step(f"pruning {PRUNE_VERSIONS} versions to {PRUNE_KEEP}: serial baseline")
        prune.seed_versions(self.sim, "rg-prune-serial", prune.IMAGE, PRUNE_VERSIONS)
        result: dict[str, Any] = {
            "baseline": prune.serial_baseline(
                self.sim, "rg-prune-serial", PRUNE_KEEP, SERIAL_SAMPLE
            )
        }
        self.results["prune"] = result
        module = PRUNE_MODULE
        if module not in present:
            return f"{module} is not in plugins/modules yet (serial baseline measured)"
        args = prune.module_args(
            ROOT / "plugins" / "modules" / f"{module}.py", "rg-prune", PRUNE_KEEP
        )
        if isinstance(args, str):
            return args
        self.step(f"pruning {PRUNE_VERSIONS} versions to {PRUNE_KEEP}: {module}")
        prune.seed_versions(self.sim, "rg-prune", prune.IMAGE, PRUNE_VERSIONS)
        result["module"] = prune.run_module(
            self.sim, self.bin, self.python, self.workdir, COLLECTIONS, args
        )
        return ""

    def peer(self) -> str:
        version = peer.installed_version(self.args.peer_venv)
        if version is None:
            self.results["peer"] = {"summary": "azure.azcollection not installed (make bench-peer)"}
            return f"azure.azcollection not installed in {self.args.peer_venv} (make bench-peer)"
        count = 1 if self.args.quick else self.args.tasks
        self.step(f"azure.azcollection {version}: the same tasks through proxy mode")
        ctx = tasks.seed_context(self.sim, "rg-peer")
        summary, run = peer.measure(
            self.sim, self.args.peer_venv.resolve(), self.workdir, ctx, count
        )
        failed = sum(v["failed"] for v in summary.values())
        self.results["peer"] = {
            "version": version,
            "tasks": summary,
            "playbook_exit": run.returncode,
            "summary": f"azure.azcollection {version}, {count} tasks of each kind, "
            f"{failed} failed; api-versions "
            f"{sorted({v for s in summary.values() for v in s['api_versions']})}",
        }
        return "" if not failed else f"{failed} peer tasks failed (see peer.log)"

    def run(self) -> dict[str, Any]:
        ctx, chosen = self.module_tasks()
        self.profiles(ctx, chosen)
        present = set(scenarios.discover_modules(ROOT / "plugins" / "modules"))
        skips: dict[str, str] = {}
        if not self.args.quick:
            skips["build_wait"] = self.build_wait(present)
            skips["replication"] = self.replication(present)
            skips["prune"] = self.prune(present)
            self.step("end-to-end pipeline")
            self.results["pipeline"] = pipeline.run_pipeline(
                self.bin / "azsim", ROOT, self.bin, self.python, COLLECTIONS, self.workdir
            )
        skips["peer"] = "not in --quick" if self.args.quick else self.peer()
        self.step("stand-in latency")
        self.results["latency"] = pipeline.standin_latency(self.sim, ROOT, self.workdir)
        self.results["budgets"] = self.judge(chosen, skips)
        # Other work on the machine slows every figure: say how busy it was.
        self.results["machine"]["load_average_at_end"] = round(os.getloadavg()[0], 2)
        return self.results

    def judge(
        self, chosen: list[scenarios.Scenario], skips: dict[str, str]
    ) -> list[dict[str, str]]:
        r = self.results
        expected = {s.module: s.sdks for s in chosen}
        verdicts = [
            budgets.noop_reads(r["tasks"]),
            budgets.noop_vs_ping(r["tasks"]),
            budgets.noop_vs_peer(r["tasks"], (r.get("peer") or {}).get("tasks"), skips["peer"]),
            budgets.memory(r.get("profiles", {})),
            budgets.unused_sdks(r.get("profiles", {}), expected),
            budgets.build_wait(r.get("build_wait"), skips.get("build_wait", "not in --quick")),
            budgets.replication(r.get("replication"), skips.get("replication", "not in --quick")),
            budgets.prune(r.get("prune"), skips.get("prune", "not in --quick")),
            budgets.pipeline(r.get("pipeline") or {"status": "skipped", "reason": "--quick"}),
        ]
        return [v.as_dict() for v in verdicts]


def main() -> int:
    args = parse_args()
    ensure_collection_link()
    workdir = Path(tempfile.mkdtemp(prefix="gibench-"))
    bench = Bench(args, workdir)
    try:
        results = bench.run()
    except Exception:
        # Keep what was measured before the failure.
        args.output.write_text(json.dumps(bench.results, indent=2) + "\n", encoding="utf-8")
        raise
    finally:
        bench.sim.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print()
    print(report.render(results))
    print(f"\nwrote {args.output}" + (f"; working files in {workdir}" if args.keep else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
