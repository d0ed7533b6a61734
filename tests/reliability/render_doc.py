"""Rewrite the scenario table of docs/reliability.md from tests/output/reliability/scenarios.md.

Usage: python tests/reliability/render_doc.py (after a full run of the suite)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DOC = REPO_ROOT / "docs" / "reliability.md"
TABLE = REPO_ROOT / "tests" / "output" / "reliability" / "scenarios.md"
BEGIN = "<!-- scenarios: begin (make reliability-doc) -->"
END = "<!-- scenarios: end -->"


def main() -> int:
    table = TABLE.read_text(encoding="utf-8").strip()
    rows = [
        line for line in table.splitlines()[2:] if "doc::" not in line and "| doc |" not in line
    ]
    table = "\n".join(table.splitlines()[:2] + rows)
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    DOC.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}", encoding="utf-8")
    print(f"{len(rows)} scenarios written to {DOC.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
