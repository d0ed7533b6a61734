"""Shared helpers for the ecosystem checks: cached tool environments and the stand-in."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = REPO_ROOT / ".tmp" / "ecosystem"
# The stand-in helpers live with the integration runner.
sys.path.insert(0, str(REPO_ROOT / "tests" / "integration"))

import azsim_session  # noqa: E402


def venv_tool(name: str) -> str:
    """A command installed beside the Python running the tests."""
    return str(Path(sys.executable).parent / name)


def cached_venv(
    name: str, packages: list[str], key_files: list[Path], pip_options: tuple[str, ...] = ()
) -> Path:
    """A virtual environment under .tmp/ecosystem, rebuilt only when its inputs change.

    The key is the package list plus the contents of ``key_files`` (requirement files),
    so a changed requirement rebuilds it and an unchanged one costs nothing. ``pip_options``
    go to the install of ``packages`` (e.g. ``--no-compile`` for a large one).
    """
    digest = hashlib.sha256("\n".join(packages).encode())
    for path in key_files:
        digest.update(path.read_bytes())
    venv_dir = CACHE_DIR / f"{name}-{digest.hexdigest()[:16]}"
    stamp = venv_dir / ".ready"
    if stamp.exists():
        return venv_dir
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    # Earlier generations of the same environment are of no further use.
    for old in CACHE_DIR.glob(f"{name}-*"):
        if old != venv_dir:
            subprocess.run(["rm", "-rf", str(old)], check=False)
    subprocess.run(["rm", "-rf", str(venv_dir)], check=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv_dir)], check=True)
    pip = [str(venv_dir / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "--quiet", *pip_options, *packages], check=True)
    stamp.touch()
    return venv_dir


def without_ansible_settings() -> dict[str, str]:
    """The process environment less the ANSIBLE_* settings of the caller."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("ANSIBLE_") and name != "PYTHONPATH"
    }


@pytest.fixture(scope="session")
def stand_in(tmp_path_factory: pytest.TempPathFactory) -> Iterator[azsim_session.StandIn]:
    """A stand-in of this session's own, with a fast clock."""
    state_dir = tmp_path_factory.mktemp("azsim")
    running = azsim_session.start_fresh(state_dir, time_scale=600)
    try:
        yield running
    finally:
        azsim_session.stop(state_dir)
