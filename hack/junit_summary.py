"""Print the totals of every pytest run's JUnit XML as one `N passed, N failed` line."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree


@dataclass
class Totals:
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    def add_suite(self, suite: ElementTree.Element) -> None:
        tests = int(suite.get("tests", 0))
        failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped = int(suite.get("skipped", 0))
        self.failed += failed
        self.skipped += skipped
        self.passed += tests - failed - skipped


def suites(report: Path) -> list[ElementTree.Element]:
    root = ElementTree.parse(report).getroot()
    return [root] if root.tag == "testsuite" else list(root.iter("testsuite"))


def main(report_dir: str) -> int:
    totals = Totals()
    for report in sorted(Path(report_dir).glob("*.xml")):
        for suite in suites(report):
            totals.add_suite(suite)
    print(f"{totals.passed} passed, {totals.failed} failed, {totals.skipped} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "tests/output/junit"))
