"""The performance budgets, judged from measured figures only: MET, MISSED or NOT MEASURED."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MET, MISSED, NOT_MEASURED = "MET", "MISSED", "NOT MEASURED"
GALLERY_MODULES = ("gallery", "gallery_info", "gallery_image", "gallery_image_info")
MEMORY_LIMIT_MIB = 64.0
NOOP_PING_RATIO = 2.0
PEER_SPEEDUP = 4.0
WAIT_RATE = 1.0
PRUNE_SPEEDUP = 5.0


@dataclass(frozen=True)
class Verdict:
    budget: str
    verdict: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"budget": self.budget, "verdict": self.verdict, "detail": self.detail}


def _all(checks: list[tuple[str, bool]]) -> str:
    return MET if checks and all(ok for _, ok in checks) else MISSED


def noop_reads(tasks: dict[str, Any]) -> Verdict:
    checks = []
    for label, figures in tasks.items():
        if label.endswith("/noop"):
            arm = figures["requests_per_task"]["arm"]
            checks.append((f"{label.split('/')[0]} {arm:g}", arm == 1))
    name = "no-op: exactly one ARM read per resource managed"
    if not checks:
        return Verdict(name, NOT_MEASURED, "no module ran")
    misses = [text for text, ok in checks if not ok]
    detail = (
        "every no-op task sent 1 ARM request"
        if not misses
        else ("ARM requests per no-op task: " + ", ".join(misses))
    )
    return Verdict(name, _all(checks), detail)


def noop_vs_ping(tasks: dict[str, Any]) -> Verdict:
    name = f"no-op task <= {NOOP_PING_RATIO:g}x ping task (same run)"
    ping = (tasks.get("ping") or {}).get("median_s")
    if not ping:
        return Verdict(name, NOT_MEASURED, "no ping figure")
    ratios = [
        (label.split("/")[0], figures["median_s"] / ping)
        for label, figures in tasks.items()
        if label.endswith("/noop")
    ]
    checks = [(f"{m} {r:.1f}x", r <= NOOP_PING_RATIO) for m, r in ratios]
    return Verdict(name, _all(checks), ", ".join(text for text, _ in checks))


def noop_vs_peer(tasks: dict[str, Any], peer: dict[str, Any] | None, why: str) -> Verdict:
    name = f"no-op task >= {PEER_SPEEDUP:g}x faster than azure.azcollection"
    if not peer:
        return Verdict(name, NOT_MEASURED, why)
    checks = []
    for module in GALLERY_MODULES:
        ours = (tasks.get(f"{module}/noop") or {}).get("median_s")
        theirs = (peer.get(f"{module}/noop") or {}).get("median_s")
        if ours and theirs:
            checks.append((f"{module} {theirs / ours:.1f}x", theirs / ours >= PEER_SPEEDUP))
    if not checks:
        return Verdict(name, NOT_MEASURED, "no module measured on both sides")
    return Verdict(name, _all(checks), ", ".join(text for text, _ in checks))


def memory(profiles: dict[str, Any]) -> Verdict:
    name = f"gallery module process peak RSS <= {MEMORY_LIMIT_MIB:g} MiB"
    checks = [
        (f"{m} {p['peak_rss_mib']:g} MiB", p["peak_rss_mib"] <= MEMORY_LIMIT_MIB)
        for m, p in profiles.items()
        if m in GALLERY_MODULES
    ]
    if not checks:
        return Verdict(name, NOT_MEASURED, "no gallery module profiled")
    return Verdict(name, _all(checks), ", ".join(text for text, _ in checks))


def unused_sdks(profiles: dict[str, Any], expected: dict[str, tuple[str, ...]]) -> Verdict:
    name = "a module imports no SDK it does not use"
    if not profiles:
        return Verdict(name, NOT_MEASURED, "no module profiled")
    extras = []
    for module, profile in profiles.items():
        if module == "ping":
            continue
        mgmt = [
            p
            for p in profile["sdk_packages"]
            if p.startswith("azure.mgmt.") and p != "azure.mgmt.core"
        ]
        unexpected = [p for p in mgmt if p not in expected.get(module, ())]
        if unexpected:
            extras.append(f"{module}: {', '.join(unexpected)}")
    detail = "; ".join(extras) or "no module imports a generated management SDK"
    return Verdict(name, MISSED if extras else MET, detail)


def _wait_rate(name: str, wait: dict[str, Any] | None, why: str) -> Verdict:
    figures = wait or {}
    rate = figures.get("arm_per_simulated_minute_after_grace")
    if rate is None or figures.get("status") != "ok":
        return Verdict(name, NOT_MEASURED, why or str(figures.get("msg", "no result")))
    detail = f"{rate:g} per simulated minute over {figures['simulated_minutes']:g} minutes"
    return Verdict(name, MET if rate <= WAIT_RATE else MISSED, detail)


def build_wait(wait: dict[str, Any] | None, why: str) -> Verdict:
    name = f"build wait <= {WAIT_RATE:g} ARM request per simulated minute after 5 minutes"
    return _wait_rate(name, wait, why)


def prune(result: dict[str, Any] | None, why: str) -> Verdict:
    name = f"prune 500 to 5: one paged list, one delete each, >= {PRUNE_SPEEDUP:g}x serial"
    module = (result or {}).get("module") or {}
    baseline = (result or {}).get("baseline") or {}
    if module.get("status") != "ok" or not baseline:
        return Verdict(name, NOT_MEASURED, why or str(module.get("msg") or "no result"))
    speedup = baseline["projected_s"] / module["seconds"]
    deletes = module["methods"].get("DELETE", 0)
    gets = module["methods"].get("GET", 0)
    reads = module.get("gets") or {}
    polls = reads.get("operation polls", 0)
    ok = speedup >= PRUNE_SPEEDUP and deletes == baseline["versions_listed"] - 5 and not polls
    shown = ", ".join(f"{count} {what}" for what, count in reads.items() if count)
    return Verdict(
        name,
        MET if ok else MISSED,
        f"{speedup:.1f}x the serial projection; {deletes} DELETE, {gets} GET ({shown or 'none'})",
    )


def pipeline(result: dict[str, Any]) -> Verdict:
    """Reported, with nothing repeated: no resource read twice in a task, one token per process."""
    name = "full pipeline: request count reported, no repeated reads or extra token requests"
    if result.get("status") == "skipped":
        return Verdict(name, NOT_MEASURED, result["reason"])
    repeated = result.get("repeated_reads") or []
    processes, tokens = result.get("module_processes", 0), result.get("token_posts", 0)
    detail = (
        f"{result.get('requests')} in {result.get('seconds')} s ({result['status']}); "
        f"{tokens} token requests for {processes} module processes; "
        f"{len(repeated)} tasks read a resource more than once"
    )
    ok = result.get("status") == "ok" and not repeated and tokens <= processes
    return Verdict(name, MET if ok else MISSED, detail)


def replication(wait: dict[str, Any] | None, why: str) -> Verdict:
    """Judged with the build wait's rate: any long wait should cost as little."""
    name = f"version replication to 10 regions: <= {WAIT_RATE:g} ARM per simulated minute after 5"
    return _wait_rate(name, wait, why)
