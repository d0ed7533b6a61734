"""Integration runner: one stand-in per test session, one resource group per target.

With pytest-xdist the controller starts the stand-in before the workers exist and
hands them its session directory through the environment; without xdist the single
process does both.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import azsim_session
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
OUTPUT_DIR = REPO_ROOT / "tests" / "output" / "integration"
SESSION_DIR_VARIABLE = "GOLDENIMAGE_TEST_SESSION_DIR"
DEFAULT_VENVS = (".venv", ".venv-2.16")
started_here_key = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("goldenimage integration")
    group.addoption(
        "--ansible-venv",
        action="append",
        default=[],
        help="virtual environment whose ansible-playbook runs the targets (repeatable); "
        f"default: those of {', '.join(DEFAULT_VENVS)} that exist",
    )
    group.addoption(
        "--azsim-time-scale",
        type=int,
        default=600,
        help="simulated seconds per real second, so builds and replication take seconds",
    )
    group.addoption(
        "--target-timeout",
        type=int,
        default=900,
        help="real seconds one target's playbook may run",
    )
    group.addoption(
        "--azure-location",
        default="eastus",
        help="region of the resource groups made for the targets",
    )


def is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_sessionstart(session: pytest.Session) -> None:
    if is_xdist_worker(session.config) or SESSION_DIR_VARIABLE in os.environ:
        return
    # A directory of its own, so runs in the same checkout do not stop each other's stand-in.
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    session_dir = Path(tempfile.mkdtemp(prefix="session-", dir=OUTPUT_DIR))
    azsim_session.start_fresh(session_dir / "azsim", session.config.getoption("--azsim-time-scale"))
    os.environ[SESSION_DIR_VARIABLE] = str(session_dir)
    session.config.stash[started_here_key] = True


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not session.config.stash.get(started_here_key, False):
        return
    session_dir = Path(os.environ.pop(SESSION_DIR_VARIABLE))
    azsim_session.stop(session_dir / "azsim")
    if exitstatus == 0:
        shutil.rmtree(session_dir, ignore_errors=True)
    else:
        print(f"\nstand-in state, log and generated playbooks kept in {session_dir}")


@pytest.fixture(scope="session")
def session_dir() -> Path:
    """Where this test session keeps its stand-in and generated playbooks."""
    return Path(os.environ[SESSION_DIR_VARIABLE])


@pytest.fixture(scope="session")
def stand_in(session_dir: Path) -> azsim_session.StandIn:
    return azsim_session.describe(session_dir / "azsim")


@pytest.fixture
def management_token(stand_in: azsim_session.StandIn) -> str:
    # Per target: the stand-in may age tokens on its fast simulated clock.
    return azsim_session.management_token(stand_in)


@pytest.fixture
def resource_prefix() -> str:
    """Short, lower-case alphanumeric and unique, so it also fits global names."""
    return f"gi{secrets.token_hex(4)}"


@pytest.fixture
def resource_group(
    stand_in: azsim_session.StandIn,
    management_token: str,
    resource_prefix: str,
    request: pytest.FixtureRequest,
) -> Iterator[str]:
    name = f"rg-{resource_prefix}"
    location = request.config.getoption("--azure-location")
    azsim_session.create_resource_group(stand_in, management_token, name, location)
    yield name
    azsim_session.delete_resource_group(stand_in, management_token, name)
