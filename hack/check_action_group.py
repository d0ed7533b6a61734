"""Fail when meta/runtime.yml's `azure` action group and plugins/modules disagree.

Every module takes the same connection options, so every module belongs in the
group; a hand-kept list drifts unless something checks it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

GROUP_NAME = "azure"
RUNTIME_FILE = Path("meta/runtime.yml")
MODULES_DIR = Path("plugins/modules")


def module_names(modules_dir: Path) -> set[str]:
    if not modules_dir.is_dir():
        return set()
    return {path.stem for path in modules_dir.glob("*.py") if path.stem != "__init__"}


def group_members(runtime_file: Path, group_name: str) -> list[str]:
    runtime = yaml.safe_load(runtime_file.read_text(encoding="utf-8")) or {}
    groups = runtime.get("action_groups") or {}
    if group_name not in groups:
        raise SystemExit(f"{runtime_file}: no action group named {group_name!r}")
    members = groups[group_name] or []
    return [member for member in members if isinstance(member, str)]


def find_problems(modules: set[str], members: list[str]) -> list[str]:
    problems = []
    duplicates = sorted({name for name in members if members.count(name) > 1})
    if duplicates:
        problems.append(f"listed more than once: {', '.join(duplicates)}")
    missing = sorted(modules - set(members))
    if missing:
        problems.append(f"modules missing from the group: {', '.join(missing)}")
    without_file = sorted(set(members) - modules)
    if without_file:
        problems.append(f"listed without a file in {MODULES_DIR}: {', '.join(without_file)}")
    return problems


def main() -> int:
    modules = module_names(MODULES_DIR)
    members = group_members(RUNTIME_FILE, GROUP_NAME)
    problems = find_problems(modules, members)
    for problem in problems:
        print(f"{RUNTIME_FILE} action group {GROUP_NAME!r}: {problem}", file=sys.stderr)
    if not problems:
        print(f"action group {GROUP_NAME!r} lists all {len(modules)} modules")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
