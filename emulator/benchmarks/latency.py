"""Median loopback latency of an authenticated ARM GET against the stand-in (target <= 5 ms).

    python benchmarks/latency.py [--dir DIR] [--requests N] [--output FILE]

Uses a running stand-in in DIR when there is one, else starts a temporary one and stops it.
Prints the result and writes it as JSON.
"""

from __future__ import annotations

import argparse
import http.client
import json
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

TARGET_MS = 5.0
API_VERSION = "2021-04-01"


def _azsim(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "azsim", *args], check=True, capture_output=True, timeout=120
    )


def _connection(info: dict[str, Any]) -> http.client.HTTPSConnection:
    context = ssl.create_default_context(cafile=info["ca_file"])
    return http.client.HTTPSConnection("127.0.0.1", info["port"], context=context, timeout=10)


def _call(
    conn: http.client.HTTPSConnection,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.read()


def _token(conn: http.client.HTTPSConnection, info: dict[str, Any]) -> str:
    form = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": info["client_id"],
            "client_secret": info["client_secret"],
            "scope": "https://management.core.windows.net/.default",
        }
    ).encode()
    status, body = _call(
        conn,
        "POST",
        f"/{info['tenant_id']}/oauth2/v2.0/token",
        form,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 200:
        raise SystemExit(f"token request failed: {status} {body[:200]!r}")
    return json.loads(body)["access_token"]


def measure(info: dict[str, Any], requests: int) -> dict[str, Any]:
    conn = _connection(info)
    headers = {"Authorization": f"Bearer {_token(conn, info)}", "Content-Type": "application/json"}
    group = f"/subscriptions/{info['subscription_id']}/resourceGroups/rg-latency-bench"
    path = f"{group}?api-version={API_VERSION}"
    status, _ = _call(conn, "PUT", path, b'{"location": "eastus"}', headers)
    if status not in (200, 201):
        raise SystemExit(f"could not create the benchmark resource group: {status}")
    for _ in range(20):  # warm up the connection and caches
        _call(conn, "GET", path, headers=headers)
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        status, _ = _call(conn, "GET", path, headers=headers)
        samples.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SystemExit(f"GET answered {status}")
    _call(conn, "DELETE", path, headers=headers)
    conn.close()
    samples.sort()
    return {
        "benchmark": "authenticated ARM GET, loopback, one kept-alive connection",
        "requests": requests,
        "median_ms": round(statistics.median(samples), 3),
        "p90_ms": round(samples[int(len(samples) * 0.9) - 1], 3),
        "max_ms": round(samples[-1], 3),
        "target_ms": TARGET_MS,
        "within_target": statistics.median(samples) <= TARGET_MS,
    }


def _running(directory: Path) -> dict[str, Any] | None:
    try:
        info = json.loads((directory / "azsim.json").read_text())
        conn = _connection(info)
        status, _ = _call(conn, "GET", "/_sim/clock")
        conn.close()
    except (OSError, ValueError, KeyError):
        return None
    return info if status == 200 else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="state directory of a running stand-in")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--output", type=Path, default=Path("latency.json"))
    args = parser.parse_args()
    info = _running(args.dir) if args.dir else None
    temporary = None
    if info is None:
        temporary = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="azsim-bench-"))
        _azsim("start", "--dir", str(temporary))
        info = json.loads((temporary / "azsim.json").read_text())
    try:
        result = measure(info, args.requests)
    finally:
        if temporary is not None:
            _azsim("stop", "--dir", str(temporary))
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"median {result['median_ms']} ms over {result['requests']} authenticated ARM GETs "
        f"(p90 {result['p90_ms']} ms, target <= {TARGET_MS} ms); wrote {args.output}"
    )
    return 0 if result["within_target"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
