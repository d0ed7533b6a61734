"""docs/reliability.md lists every scenario of this suite, and no scenario that is gone.

The table is rewritten from a run with `make reliability-doc`."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import scenario_id
from harness import REPO_ROOT

HERE = Path(__file__).resolve().parent
DOC = REPO_ROOT / "docs" / "reliability.md"
ROW = re.compile(r"^\| (?P<category>[a-z_]+) \| `(?P<name>[^`]+)` \|")


def collected_scenarios() -> set[str]:
    """Every scenario of the suite, whatever this run selected."""
    listing = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:xdist", str(HERE)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
    ).stdout
    return {
        scenario_id(line.strip())
        for line in listing.splitlines()
        if "::" in line and "test_doc.py" not in line
    }


def test_doc_lists_exactly_the_scenarios() -> None:
    collected = collected_scenarios()
    assert len(collected) > 100
    documented = set()
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            documented.add(f"{match['category']}::{match['name']}")
    assert collected - documented == set(), "scenarios missing from docs/reliability.md"
    assert documented - collected == set(), "docs/reliability.md lists scenarios that are gone"
