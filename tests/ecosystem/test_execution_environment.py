"""The execution environment definition and bindep.txt make a valid ansible-builder context.

No container engine is available where the tests run, so the image itself is not built:
`ansible-builder create` writes the build context, and `ansible-builder introspect` shows
what a user's own execution environment takes from the collection.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT, cached_venv

EE_FILE = REPO_ROOT / "meta" / "execution-environment.yml"
REQUIREMENTS = REPO_ROOT / "requirements.txt"
BINDEP = REPO_ROOT / "bindep.txt"
BUILDER_PACKAGES = ["ansible-builder>=3.1,<4"]


@pytest.fixture(scope="module")
def builder() -> Path:
    venv_dir = cached_venv("ansible-builder", BUILDER_PACKAGES, [])
    return venv_dir / "bin" / "ansible-builder"


def requirement_lines(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def test_definition_uses_schema_3_and_the_collection_files() -> None:
    definition = yaml.safe_load(EE_FILE.read_text())
    assert definition["version"] == 3
    dependencies = definition["dependencies"]
    # Relative to the collection root: how ansible-builder reads a collection's EE file.
    assert dependencies["python"] == "requirements.txt"
    assert dependencies["system"] == "bindep.txt"
    assert "ansible-core" in dependencies["ansible_core"]["package_pip"]


def test_create_writes_a_build_context(builder: Path, tmp_path: Path) -> None:
    # The definition beside the two files it names, as at the root of the collection.
    source = tmp_path / "source"
    source.mkdir()
    for path in (EE_FILE, REQUIREMENTS, BINDEP):
        shutil.copy(path, source / path.name)
    context = tmp_path / "context"
    completed = subprocess.run(
        [
            str(builder),
            "create",
            "--file",
            "execution-environment.yml",
            "--context",
            str(context),
            "--output-filename",
            "Containerfile",
        ],
        cwd=source,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    containerfile = (context / "Containerfile").read_text()
    base_image = yaml.safe_load(EE_FILE.read_text())["images"]["base_image"]["name"]
    assert f'EE_BASE_IMAGE="{base_image}"' in containerfile
    assert "COPY _build/requirements.txt requirements.txt" in containerfile
    assert "COPY _build/bindep.txt bindep.txt" in containerfile
    assert "ansible-core>=2.16,<2.20" in containerfile
    assert (context / "_build" / "requirements.txt").read_text() == REQUIREMENTS.read_text()
    assert (context / "_build" / "bindep.txt").read_text() == BINDEP.read_text()


def test_introspect_finds_the_collection_dependencies(builder: Path, tmp_path: Path) -> None:
    # A user's execution environment that lists goldenimage.azure in its galaxy requirements
    # gets these through introspection of the installed collection.
    collection = tmp_path / "ansible_collections" / "goldenimage" / "azure"
    collection.mkdir(parents=True)
    for path in (REPO_ROOT / "galaxy.yml", REQUIREMENTS, BINDEP):
        shutil.copy(path, collection / path.name)
    (collection / "meta").mkdir()
    shutil.copy(EE_FILE, collection / "meta" / EE_FILE.name)
    completed = subprocess.run(
        [str(builder), "introspect", "--sanitize", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    found = yaml.safe_load(completed.stdout.split("\n", 1)[1])
    python = [line.split("#", 1)[0].strip() for line in found["python"]]
    system = [line.split("#", 1)[0].strip() for line in found["system"]]
    assert python == requirement_lines(REQUIREMENTS)
    assert system == requirement_lines(BINDEP)


def test_bindep_lines_carry_platform_selectors() -> None:
    for line in requirement_lines(BINDEP):
        assert "[platform:" in line, f"bindep line without a platform selector: {line}"
