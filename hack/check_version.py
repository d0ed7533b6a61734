"""Fail when the version module_utils reports differs from galaxy.yml's version.

The collection version reaches Azure in the user agent; it must be the one the
artifact is built with.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import yaml

GALAXY_FILE = Path("galaxy.yml")
VERSION_FILE = Path("plugins/module_utils/_version.py")
VERSION_NAME = "COLLECTION_VERSION"


def galaxy_version(galaxy_file: Path) -> str:
    galaxy = yaml.safe_load(galaxy_file.read_text(encoding="utf-8"))
    return str(galaxy["version"])


def assigned_string(source: str, name: str) -> str | None:
    """Return the string literal assigned to `name` at module level, if any."""
    for node in ast.parse(source).body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        named = any(isinstance(target, ast.Name) and target.id == name for target in targets)
        if named and isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value
    return None


def main() -> int:
    if not VERSION_FILE.exists():
        print(f"SKIP version check: {VERSION_FILE} does not exist yet")
        return 0
    expected = galaxy_version(GALAXY_FILE)
    found = assigned_string(VERSION_FILE.read_text(encoding="utf-8"), VERSION_NAME)
    if found is None:
        print(f"{VERSION_FILE}: no string literal assigned to {VERSION_NAME}", file=sys.stderr)
        return 1
    if found != expected:
        print(
            f"{VERSION_FILE}: {VERSION_NAME} = {found!r}, galaxy.yml says {expected!r}",
            file=sys.stderr,
        )
        return 1
    print(f"{VERSION_NAME} matches galaxy.yml: {expected}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
