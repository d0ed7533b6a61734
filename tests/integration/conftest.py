"""Integration runner: one stand-in and one Azurite per test session, one resource group per target.

With pytest-xdist the controller starts both before the workers exist and hands them its
session directory through the environment; without xdist the single process does both.
The stand-in reports Azurite as the blob endpoint of its storage accounts, so Image Builder's
customization.log really lands in blob storage, and playbooks trust both certificates.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import azsim_session
import azurite_session
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
OUTPUT_DIR = REPO_ROOT / "tests" / "output" / "integration"
SESSION_DIR_VARIABLE = "GOLDENIMAGE_TEST_SESSION_DIR"
# In the session directory: why Azurite is missing, and the CA bundle playbooks trust.
AZURITE_ERROR_FILE = "azurite-error.txt"
CA_BUNDLE_FILE = "ca-bundle.pem"
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
    try:
        start_services(session_dir, session.config.getoption("--azsim-time-scale"))
    except BaseException:
        # pytest calls no sessionfinish when sessionstart fails: stop what did start.
        stop_services(session_dir)
        raise
    os.environ[SESSION_DIR_VARIABLE] = str(session_dir)
    session.config.stash[started_here_key] = True


def start_services(session_dir: Path, time_scale: int) -> None:
    """Azurite first, so the stand-in starts with its endpoint; a stand-in without it if not.

    Without Azurite the targets that need it fail with the reason (see test_targets.py); the
    others still run.
    """
    stand_in_args: list[str] = []
    try:
        azurite = azurite_session.start(session_dir / "azurite")
    except azurite_session.AzuriteUnavailable as exc:
        (session_dir / AZURITE_ERROR_FILE).write_text(str(exc), encoding="utf-8")
        azurite = None
    else:
        stand_in_args = [
            "--blob-endpoint",
            azurite.blob_endpoint,
            # The stand-in writes customization.log over HTTPS: it must trust Azurite too.
            "--config",
            f"blob_ca_file={azurite.ca_file}",
        ]
    stand_in = azsim_session.start_fresh(session_dir / "azsim", time_scale, stand_in_args)
    certificates = [Path(stand_in.ca_file)] + ([Path(azurite.ca_file)] if azurite else [])
    (session_dir / CA_BUNDLE_FILE).write_text(
        "".join(path.read_text(encoding="utf-8") for path in certificates), encoding="utf-8"
    )


def stop_services(session_dir: Path) -> None:
    try:
        if (session_dir / "azsim" / "azsim.json").exists():
            azsim_session.stop(session_dir / "azsim")
    finally:
        azurite_session.stop(session_dir / "azurite")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not session.config.stash.get(started_here_key, False):
        return
    session_dir = Path(os.environ.pop(SESSION_DIR_VARIABLE))
    stop_services(session_dir)
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


@pytest.fixture(scope="session")
def azurite(session_dir: Path) -> azurite_session.Azurite | None:
    """The session's Azurite, or None when it could not start (see `azurite_error`)."""
    if (session_dir / AZURITE_ERROR_FILE).exists():
        return None
    return azurite_session.describe(session_dir / "azurite")


@pytest.fixture(scope="session")
def azurite_error(session_dir: Path) -> str | None:
    error_file = session_dir / AZURITE_ERROR_FILE
    return error_file.read_text(encoding="utf-8") if error_file.exists() else None


@pytest.fixture(scope="session")
def ca_bundle(session_dir: Path) -> Path:
    """The stand-in's CA and Azurite's certificate: what playbooks' clients trust."""
    return session_dir / CA_BUNDLE_FILE


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
