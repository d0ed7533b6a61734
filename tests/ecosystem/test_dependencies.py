"""The collection's Python requirements install beside what users already have.

- every requirement is a range (lower and upper bound), with no pre-release;
- installed into an environment that already holds ansible-core, they change none of the
  packages already there (no downgrade of ansible-core's own dependencies) and `pip check`
  is clean;
- installed after the newest azure-cli on the package index, they change none of the packages
  the CLI brought and `pip check` is clean: the collection and the CLI share one environment.

The environments are cached under .tmp/ecosystem, keyed on the requirement files (and the
azure-cli version).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, cached_venv
from packaging.requirements import Requirement

REQUIREMENTS = REPO_ROOT / "requirements.txt"
ANSIBLE_CORE = "ansible-core>=2.19,<2.20"


def requirements() -> list[Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in REQUIREMENTS.read_text().splitlines())
    return [Requirement(line) for line in lines if line]


def freeze(python: Path) -> dict[str, str]:
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format", "json", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {item["name"].lower(): item["version"] for item in json.loads(listed)}


@pytest.mark.parametrize("requirement", requirements(), ids=str)
def test_requirement_is_a_range_without_prereleases(requirement: Requirement) -> None:
    operators = {spec.operator for spec in requirement.specifier}
    assert operators & {">=", ">", "~="}, f"{requirement} has no lower bound"
    assert operators & {"<", "~="}, f"{requirement} has no upper bound"
    assert "==" not in operators, f"{requirement} pins one version"
    assert not requirement.specifier.prereleases, f"{requirement} allows pre-releases"


@pytest.fixture(scope="module")
def ansible_only() -> Path:
    return cached_venv("ansible-core", [ANSIBLE_CORE], [])


@pytest.fixture(scope="module")
def with_collection_requirements() -> Path:
    # ansible-core first, then the collection's requirements on top, as a user would.
    venv_dir = cached_venv("ansible-core-and-requirements", [ANSIBLE_CORE], [REQUIREMENTS])
    stamp = venv_dir / ".requirements-installed"
    if not stamp.exists():
        subprocess.run(
            [
                str(venv_dir / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
                str(REQUIREMENTS),
            ],
            check=True,
        )
        stamp.touch()
    return venv_dir


def test_requirements_change_nothing_ansible_core_brought(
    ansible_only: Path, with_collection_requirements: Path
) -> None:
    before = freeze(ansible_only / "bin" / "python")
    after = freeze(with_collection_requirements / "bin" / "python")
    changed = {name: (version, after.get(name)) for name, version in before.items()}
    changed = {name: pair for name, pair in changed.items() if pair[0] != pair[1]}
    # The two environments were made at different times only if the cache is stale; pip
    # and ansible-core's own pins must match package for package.
    changed.pop("pip", None)
    assert not changed, f"installing requirements.txt changed: {changed}"


def test_pip_check_is_clean(with_collection_requirements: Path) -> None:
    completed = subprocess.run(
        [str(with_collection_requirements / "bin" / "python"), "-m", "pip", "check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def newest_azure_cli_version() -> str:
    """The newest azure-cli release on the package index (no pre-release), read without installing."""
    report = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--no-deps",
            "--ignore-installed",
            "--quiet",
            "--disable-pip-version-check",
            "--report",
            "-",
            "azure-cli",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    (item,) = json.loads(report)["install"]
    return str(item["metadata"]["version"])


@pytest.fixture(scope="module")
def beside_azure_cli() -> tuple[Path, dict[str, str]]:
    """The newest azure-cli installed first, then requirements.txt and ansible-core on top.

    Returns the environment and what azure-cli brought (name -> version) before the second
    step. Cached under .tmp/ecosystem, keyed on requirements.txt and the azure-cli version, so
    a new CLI release or a changed requirement rebuilds it.
    """
    cli = f"azure-cli=={newest_azure_cli_version()}"
    # Byte-compiling azure-cli's hundreds of SDK packages would take most of a cold run and
    # says nothing about resolution.
    venv_dir = cached_venv(
        "azure-cli-and-requirements", [cli], [REQUIREMENTS], pip_options=("--no-compile",)
    )
    python = venv_dir / "bin" / "python"
    cli_only = venv_dir / "azure-cli-only.json"
    stamp = venv_dir / ".requirements-installed"
    if not stamp.exists():
        cli_only.write_text(json.dumps(freeze(python)))
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-compile",
                "-r",
                str(REQUIREMENTS),
                ANSIBLE_CORE,
            ],
            check=True,
        )
        stamp.touch()
    return venv_dir, json.loads(cli_only.read_text())


def test_requirements_change_nothing_azure_cli_brought(
    beside_azure_cli: tuple[Path, dict[str, str]],
) -> None:
    venv_dir, before = beside_azure_cli
    after = freeze(venv_dir / "bin" / "python")
    assert "azure-cli" in before, "azure-cli was not installed first"
    changed = {
        name: (version, after.get(name))
        for name, version in before.items()
        if after.get(name) != version
    }
    assert not changed, f"installing requirements.txt after azure-cli changed: {changed}"
    assert after.get("ansible-core", "").startswith("2.19.")


def test_pip_check_is_clean_beside_azure_cli(
    beside_azure_cli: tuple[Path, dict[str, str]],
) -> None:
    # pip check accepts an installed pre-release inside a range (azure-cli pins one of
    # azure-storage-blob), so a clean check here is what a user of both would see.
    venv_dir = beside_azure_cli[0]
    completed = subprocess.run(
        [str(venv_dir / "bin" / "python"), "-m", "pip", "check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
