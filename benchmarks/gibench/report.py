"""The table `make bench` prints, from the same figures it writes as JSON."""

from __future__ import annotations

from typing import Any


def _s(value: Any) -> str:
    return "-" if value is None else f"{value:.2f}"


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [_row(rows[0], widths), _row(["-" * w for w in widths], widths)]
    return "\n".join(lines + [_row(row, widths) for row in rows[1:]])


def module_rows(results: dict[str, Any]) -> list[list[str]]:
    tasks, peer = results["tasks"], results.get("peer", {}).get("tasks") or {}
    profiles = results.get("profiles", {})
    ping = (tasks.get("ping") or {}).get("median_s")
    rows = [
        [
            "module",
            "create s",
            "no-op s",
            "no-op/ping",
            "ARM/no-op",
            "ARM/create",
            "token/task",
            "process s",
            "peak MiB",
            "imports s",
            "peer no-op s",
            "peer/ours",
            "peer create s",
        ]
    ]
    rows.append(
        [
            "ansible.builtin.ping",
            "-",
            _s(ping),
            "1.00",
            "0",
            "-",
            "0",
            _s(profiles.get("ping", {}).get("process_s")),
            str(profiles.get("ping", {}).get("peak_rss_mib", "-")),
            _s(profiles.get("ping", {}).get("imports_s")),
            _s((peer.get("ping") or {}).get("median_s")),
            "-",
            "-",
        ]
    )
    for module in results["modules"]:
        noop = tasks.get(f"{module}/noop") or {}
        create = tasks.get(f"{module}/create") or {}
        theirs = peer.get(f"{module}/noop") or {}
        profile = profiles.get(module, {})
        ratio = (noop.get("median_s") or 0) / ping if ping else None
        speedup = (
            theirs["median_s"] / noop["median_s"]
            if theirs.get("median_s") and noop.get("median_s")
            else None
        )
        rows.append(
            [
                module,
                _s(create.get("median_s")),
                _s(noop.get("median_s")),
                _s(ratio),
                f"{noop['requests_per_task']['arm']:g}" if noop else "-",
                f"{create['requests_per_task']['arm']:g}" if create else "-",
                f"{noop['requests_per_task']['token']:g}" if noop else "-",
                _s(profile.get("process_s")),
                str(profile.get("peak_rss_mib", "-")),
                _s(profile.get("imports_s")),
                _s(theirs.get("median_s")),
                _s(speedup),
                _s((peer.get(f"{module}/create") or {}).get("median_s")),
            ]
        )
    return rows


def _flat(value: Any) -> str:
    """`a=1, b.c=2` for a nested dict; lists of samples are shown as they are."""
    if not isinstance(value, dict):
        return "not measured" if value is None else str(value)
    items = []
    for key, item in value.items():
        if isinstance(item, dict):
            items.append(f"{key}: {{{_flat(item)}}}")
        else:
            items.append(f"{key}={item}")
    return ", ".join(items)


def _shown(key: str, value: Any) -> Any:
    """The figures of a section as printed: the pipeline's per-task calls stay in the JSON."""
    if key != "pipeline" or not isinstance(value, dict):
        return value
    shown = {k: v for k, v in value.items() if k not in ("arm_calls_by_task", "repeated_reads")}
    repeated = value.get("repeated_reads") or []
    shown["repeated_reads"] = (
        "; ".join(
            f"{r['task']}: {'/'.join(r['path'].split('/')[-2:])} x{r['reads']}" for r in repeated
        )
        or "none"
    )
    return shown


def render(results: dict[str, Any]) -> str:
    parts = [
        f"goldenimage.azure benchmark ({results['machine']['summary']})",
        "",
        "Per task (median wall time in one playbook; requests per task from the stand-in's log;",
        "process s: the kept payload run on its own, the module process's share of a no-op):",
        table(module_rows(results)),
        "",
    ]
    for module, reason in results["skipped_modules"].items():
        parts.append(f"  {module}: skipped ({reason})")
    for module, profile in results.get("profiles", {}).items():
        if module != "ping":
            parts.append(f"  {module} imports: {', '.join(profile['sdk_packages']) or 'no SDK'}")
    peer = results.get("peer", {})
    parts += ["", f"Peer: {peer.get('summary', 'not run')}", ""]
    for key in ("build_wait", "replication", "prune", "pipeline", "latency"):
        parts.append(f"{key}: {_flat(_shown(key, results.get(key)))}")
    parts += ["", "Budgets:"]
    parts += [f"  {v['verdict']:<13} {v['budget']}: {v['detail']}" for v in results["budgets"]]
    return "\n".join(parts)
