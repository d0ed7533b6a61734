"""The collection's documentation renders: antsibull-docs lint-collection-docs --plugin-docs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

from conftest import REPO_ROOT, venv_tool, without_ansible_settings


def copy_tracked_files(destination: Path) -> None:
    """The files git knows (as they are in the working tree), nothing local or generated."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    archive_path = destination.parent / "tree.tar"
    with tarfile.open(archive_path, "w") as archive:
        for name in filter(None, listed):
            path = REPO_ROOT / name.decode()
            if path.is_file():
                archive.add(path, arcname=name.decode())
    with tarfile.open(archive_path) as archive:
        archive.extractall(destination, filter="data")


def test_lint_collection_docs(tmp_path: Path) -> None:
    collection = tmp_path / "ansible_collections" / "goldenimage" / "azure"
    collection.mkdir(parents=True)
    copy_tracked_files(collection)
    environment = without_ansible_settings()
    # antsibull-docs runs `ansible-doc` and `ansible-galaxy` from PATH.
    environment["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), environment["PATH"]])
    completed = subprocess.run(
        [venv_tool("antsibull-docs"), "lint-collection-docs", "--plugin-docs", "."],
        cwd=collection,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


LINK = re.compile(r"\]\(([^)#\s]+)(#[^)]*)?\)")


def test_relative_links_in_the_guides_resolve() -> None:
    broken = []
    for page in sorted((REPO_ROOT / "docs").rglob("*.md")):
        for target, _anchor in LINK.findall(page.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(REPO_ROOT)}: {target}")
    assert not broken, "\n".join(broken)
