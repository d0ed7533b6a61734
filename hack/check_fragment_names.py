"""Fail when a pending changelog fragment has the name of one a release already consumed.

antsibull-changelog remembers released fragments by file name and silently skips a new
fragment that reuses one, so its entries would never reach the changelog.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

CHANGELOG = Path("changelogs/changelog.yaml")
FRAGMENTS = Path("changelogs/fragments")


def released_fragment_names(changelog: Path) -> dict[str, str]:
    releases = (yaml.safe_load(changelog.read_text(encoding="utf-8")) or {}).get("releases") or {}
    return {
        name: version
        for version, release in releases.items()
        for name in (release or {}).get("fragments") or []
    }


def main() -> int:
    released = released_fragment_names(CHANGELOG)
    clashes = [
        f"{path}: release {released[path.name]} already consumed a fragment of this name"
        for path in sorted(FRAGMENTS.glob("*.y*ml"))
        if path.name in released
    ]
    for clash in clashes:
        print(clash, file=sys.stderr)
    return 1 if clashes else 0


if __name__ == "__main__":
    sys.exit(main())
