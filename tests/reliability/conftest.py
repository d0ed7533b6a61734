"""Reliability and security suite: one stand-in per session, one resource group per file.

Every test is a scenario; the session writes a markdown table of them and their outcomes to
tests/output/reliability/scenarios.md, which `docs/reliability.md` reproduces.

The suite runs modules and playbooks with its own ansible-core; `test_oldest_core.py` repeats
a representative subset with each `--older-ansible-venv` (default `.venv-2.16`).
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import OUTPUT_DIR, REPO_ROOT, Sim, azsim_session

TIME_SCALE = 1200
LOCATION = "eastus"
OLDER_VENVS = (".venv-2.16",)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("goldenimage reliability").addoption(
        "--older-ansible-venv",
        action="append",
        default=[],
        help="virtual environment of another ansible-core that runs the subset in "
        f"test_oldest_core.py (repeatable); default: {', '.join(OLDER_VENVS)}",
    )


def ansible_core_version(python: Path) -> str:
    """major.minor of the ansible-core installed for `python`."""
    completed = subprocess.run(
        [str(python), "-c", "from ansible.release import __version__; print(__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return ".".join(completed.stdout.strip().split(".")[:2])


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`ansible_python`: one parameter per other ansible-core, named by its version."""
    if "ansible_python" not in metafunc.fixturenames:
        return
    params = []
    for name in metafunc.config.getoption("--older-ansible-venv") or OLDER_VENVS:
        python = (REPO_ROOT / name / "bin" / "python").absolute()
        if python.exists():
            params.append(pytest.param(python, id=ansible_core_version(python)))
        else:  # named as the default venv is, so the scenario list stays the same
            label = name.rsplit("-", 1)[-1]
            params.append(
                pytest.param(python, id=label, marks=pytest.mark.skip(reason=f"no {name}"))
            )
    metafunc.parametrize("ansible_python", params, scope="module")


# Filled on the controller (workers' reports reach it under pytest-xdist).
OUTCOMES: dict[str, str] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        outcome = report.outcome
        if hasattr(report, "wasxfail"):
            outcome = "known gap (strict xfail)"
        OUTCOMES[scenario_id(report.nodeid)] = outcome


def scenario_id(nodeid: str) -> str:
    """`test_faults.py::test_x[a]` -> `faults::x[a]`."""
    path, _sep, name = nodeid.partition("::")
    return f"{Path(path).stem.removeprefix('test_')}::{name.removeprefix('test_')}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    outcomes = OUTCOMES
    if not outcomes or hasattr(session.config, "workerinput"):
        return
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    lines = ["| category | scenario | result |", "|---|---|---|"]
    for scenario in sorted(outcomes):
        category, _sep, name = scenario.partition("::")
        lines.append(f"| {category} | `{name}` | {outcomes[scenario]} |")
    (OUTPUT_DIR / "scenarios.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="session")
def stand_in_dir() -> Iterator[Path]:
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    session_dir = Path(tempfile.mkdtemp(prefix="session-", dir=OUTPUT_DIR))
    azsim_session.start_fresh(session_dir / "azsim", TIME_SCALE)
    yield session_dir / "azsim"
    azsim_session.stop(session_dir / "azsim")
    shutil.rmtree(session_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def sim(stand_in_dir: Path) -> Iterator[Sim]:
    running = Sim(azsim_session.describe(stand_in_dir))
    yield running
    running.close()
    # Every transcript, including those written after test_access's own scan.
    info = json.loads((stand_in_dir / "azsim.json").read_text(encoding="utf-8"))
    watched = [info["client_secret"], Path(info["federated_token_file"]).read_text().strip()]
    leaks = [
        path.name
        for path in OUTPUT_DIR.glob("*.log")
        if any(value in path.read_text(encoding="utf-8", errors="replace") for value in watched)
    ]
    if leaks:
        pytest.fail(f"a secret of the stand-in appears in {', '.join(sorted(leaks))}")


def make_group(sim: Sim) -> str:
    name = f"rg-rel{secrets.token_hex(4)}"
    token = azsim_session.management_token(sim.stand_in)
    azsim_session.create_resource_group(sim.stand_in, token, name, LOCATION)
    return name


@pytest.fixture(scope="module")
def group(sim: Sim) -> str:
    """A resource group for one test file."""
    return make_group(sim)


@pytest.fixture(autouse=True)
def no_faults_left(sim: Sim) -> Iterator[None]:
    """Each scenario starts and ends without fault rules."""
    sim.admin.clear_faults()
    yield
    sim.admin.clear_faults()
