"""The collection's Python requirements install beside what users already have.

- every requirement is a range (lower and upper bound), with no pre-release;
- installed into an environment that already holds ansible-core, they change none of the
  packages already there (no downgrade of ansible-core's own dependencies) and `pip check`
  is clean;
- the newest azure-cli on the package index pins the Azure SDK packages this collection
  needs to older major versions; docs/dependencies.md says so and recommends installing the
  CLI on its own, and this test notices when that stops being true.

The environment is cached under .tmp/ecosystem, keyed on the requirement files.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO_ROOT, cached_venv
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

REQUIREMENTS = REPO_ROOT / "requirements.txt"
ANSIBLE_CORE = "ansible-core>=2.19,<2.20"
DEPENDENCIES_DOC = REPO_ROOT / "docs" / "dependencies.md"


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


def newest_azure_cli_requirements(tmp_path: Path) -> tuple[str, list[Requirement]]:
    """The newest azure-cli's version and requirements, from its wheel's metadata."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary",
            ":all:",
            "--disable-pip-version-check",
            "--dest",
            str(tmp_path),
            "azure-cli",
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("azure_cli-*.whl")
    version = wheel.name.split("-")[1]
    with zipfile.ZipFile(wheel) as archive:
        (metadata_name,) = [name for name in archive.namelist() if name.endswith("/METADATA")]
        metadata = archive.read(metadata_name).decode()
    found = [
        Requirement(line.split(":", 1)[1].strip())
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:")
    ]
    return version, found


def test_azure_cli_statement_in_the_docs_is_current(tmp_path: Path) -> None:
    cli_version, cli_requirements = newest_azure_cli_requirements(tmp_path)
    ours = {requirement.name.lower(): requirement.specifier for requirement in requirements()}
    conflicts = []
    for requirement in cli_requirements:
        name = requirement.name.lower()
        if name not in ours or requirement.marker:
            continue
        if not overlaps(ours[name], requirement.specifier):
            conflicts.append(f"{name} {requirement.specifier}")
    doc = DEPENDENCIES_DOC.read_text()
    if conflicts:
        # The docs must name the conflicting packages so users are told before they try.
        for conflict in conflicts:
            assert conflict.split()[0] in doc, f"docs/dependencies.md does not mention {conflict}"
        assert re.search(r"own (virtual )?environment", doc)
    else:
        pytest.fail(
            f"azure-cli {cli_version} now agrees with requirements.txt: install both in one "
            "environment, run `pip check`, and update docs/dependencies.md"
        )


def overlaps(first: SpecifierSet, second: SpecifierSet) -> bool:
    """Whether some release satisfies both ranges (probed on the bounds they name)."""
    candidates = {spec.version for spec in first} | {spec.version for spec in second}
    probes = set()
    for version in candidates:
        parts = [int(part) for part in version.split(".") if part.isdigit()]
        for extra in ([], [0], [1], [99]):
            probes.add(".".join(str(part) for part in parts + extra))
    return any(first.contains(probe) and second.contains(probe) for probe in probes)
