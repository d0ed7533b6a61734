"""The latency benchmark runs against a stand-in and reports what it measured."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "latency.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("azsim_latency_benchmark", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_measures_authenticated_gets(azsim: dict[str, Any], admin: Any) -> None:
    since = admin.last_seq()
    result = _load().measure(azsim, 30)
    assert result["requests"] == 30
    assert 0 < result["median_ms"] <= result["p90_ms"] <= result["max_ms"]
    assert result["within_target"] == (result["median_ms"] <= result["target_ms"])
    gets = [
        e
        for e in admin.requests(since)
        if e["kind"] == "arm" and e["method"] == "GET" and e["status"] == 200
    ]
    assert len(gets) >= 30 + 20  # the measured requests and the warm-up, all authenticated
    assert {e["principal"] for e in gets} == {azsim["client_id"]}
