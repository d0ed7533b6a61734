"""A fresh stand-in for one benchmark run, and its request log read by time window."""

from __future__ import annotations

import json
import shlex
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from azsim.client import AdminClient

START_TIMEOUT_SECONDS = 120
KINDS = ("arm", "token", "metadata")


def read_exports(env_file: Path) -> dict[str, str]:
    """The `export NAME=VALUE` lines of env.sh / env-proxy.sh as a dict."""
    exports = {}
    for line in env_file.read_text(encoding="utf-8").splitlines():
        words = shlex.split(line, comments=True)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, value = words[1].split("=", 1)
            exports[name] = value
    return exports


@dataclass
class StandIn:
    azsim: Path
    state_dir: Path
    info: dict[str, Any]
    env: dict[str, str]
    proxy_env: dict[str, str]
    admin: AdminClient

    @property
    def subscription_id(self) -> str:
        return str(self.info["subscription_id"])

    def group_id(self, name: str) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{name}"

    def seed_group(self, name: str, location: str = "eastus") -> str:
        group_id = self.group_id(name)
        self.admin.seed([{"id": group_id, "body": {"location": location}}])
        return group_id

    def set_scale(self, scale: float) -> None:
        self.admin.set_scale(scale)

    def stop(self) -> None:
        subprocess.run(
            [str(self.azsim), "stop", "--dir", str(self.state_dir)],
            check=False,
            capture_output=True,
            timeout=START_TIMEOUT_SECONDS,
        )


def start(azsim: Path, state_dir: Path, time_scale: float, *extra: str) -> StandIn:
    """Start a stand-in in ``state_dir``; ``extra`` are more ``azsim start`` options."""
    subprocess.run(
        [str(azsim), "start", "--dir", str(state_dir), "--time-scale", str(time_scale), *extra],
        check=True,
        capture_output=True,
        timeout=START_TIMEOUT_SECONDS,
    )
    info = json.loads((state_dir / "azsim.json").read_text(encoding="utf-8"))
    return StandIn(
        azsim=azsim,
        state_dir=state_dir,
        info=info,
        env=read_exports(state_dir / "env.sh"),
        proxy_env=read_exports(state_dir / "env-proxy.sh"),
        admin=AdminClient.from_info(info),
    )


def entry_time(entry: dict[str, Any]) -> float:
    """Epoch seconds of a request-log entry (the log keeps wall-clock UTC, in ms)."""
    return datetime.fromisoformat(entry["time"]).timestamp()


def in_window(entries: list[dict[str, Any]], start: float, end: float) -> list[dict[str, Any]]:
    # The log stamps a request when it is answered, to the millisecond: widen by 1 ms.
    return [e for e in entries if start - 0.001 <= entry_time(e) <= end + 0.001]


def count_kinds(entries: list[dict[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(KINDS, 0)
    for entry in entries:
        if entry["kind"] in counts:
            counts[entry["kind"]] += 1
    return counts


def arm_methods(entries: list[dict[str, Any]]) -> dict[str, int]:
    """ARM requests by HTTP method."""
    counts: dict[str, int] = {}
    for entry in entries:
        if entry["kind"] == "arm":
            counts[entry["method"]] = counts.get(entry["method"], 0) + 1
    return counts


def api_versions(entries: list[dict[str, Any]]) -> list[str]:
    return sorted({e["api_version"] for e in entries if e["kind"] == "arm" and e["api_version"]})


def arm_calls(entries: list[dict[str, Any]]) -> list[str]:
    """`GET .../galleries/g/images/i` for each ARM request: what a task sent, in order."""
    calls = []
    for entry in entries:
        if entry["kind"] == "arm":
            tail = "/".join(entry["path"].rstrip("/").split("/")[-4:])
            calls.append(f"{entry['method']} .../{tail} ({entry['status']})")
    return calls
