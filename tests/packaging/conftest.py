"""Fixtures for the artifact test: the built collection and, when needed, the stand-in."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# The stand-in helpers live with the integration runner.
sys.path.insert(0, str(REPO_ROOT / "tests" / "integration"))

import azsim_session  # noqa: E402


def venv_tool(name: str) -> str:
    """A command installed beside the Python running the tests."""
    return str(Path(sys.executable).parent / name)


@pytest.fixture(scope="session")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The collection tarball, built from the working tree as a release would be."""
    build_dir = tmp_path_factory.mktemp("build")
    subprocess.run(
        [venv_tool("ansible-galaxy"), "collection", "build", "--output-path", str(build_dir)],
        cwd=REPO_ROOT,
        check=True,
    )
    (tarball,) = build_dir.glob("goldenimage-azure-*.tar.gz")
    return tarball


@pytest.fixture(scope="session")
def installed_collections(artifact: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An otherwise empty collections path holding only the installed artifact."""
    collections_dir = tmp_path_factory.mktemp("collections")
    subprocess.run(
        [
            venv_tool("ansible-galaxy"),
            "collection",
            "install",
            "--offline",
            "-p",
            str(collections_dir),
            str(artifact),
        ],
        check=True,
    )
    return collections_dir


@pytest.fixture(scope="session")
def stand_in(tmp_path_factory: pytest.TempPathFactory) -> Iterator[azsim_session.StandIn]:
    state_dir = tmp_path_factory.mktemp("azsim")
    running = azsim_session.start_fresh(state_dir, time_scale=600)
    try:
        yield running
    finally:
        azsim_session.stop(state_dir)
