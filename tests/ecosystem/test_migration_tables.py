"""Every option docs/migrating.md names exists in the module it names.

Cells are code spans of the form `module.option[.suboption...]`. goldenimage.azure cells are
checked against the collection's argument specs (through ansible-doc); azure.azcollection
cells against that collection's documentation, unpacked from the `ansible` release that
bundles the version the tables were written against (no install: only its docs are read).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import CACHE_DIR, REPO_ROOT, venv_tool

MIGRATING = REPO_ROOT / "docs" / "migrating.md"
ROW = re.compile(r"^\|(.+)\|(.+)\|(.*)\|$")
SPAN = re.compile(r"`([^`]+)`")


def table_rows() -> list[tuple[str, str]]:
    """(left cell, goldenimage.azure cell) of every table row naming an option."""
    rows = []
    for line in MIGRATING.read_text().splitlines():
        match = ROW.match(line.strip())
        if not match:
            continue
        left, right = match.group(1).strip(), match.group(2).strip()
        spans = SPAN.findall(right)
        if spans and "." in spans[0] and " " not in spans[0]:
            rows.append((left, spans[0]))
    return rows


def option_paths(options: dict[str, Any], prefix: str = "") -> set[str]:
    paths = set()
    for name, spec in options.items():
        names = [name, *spec.get("aliases", [])]
        for alias in names:
            paths.add(prefix + alias)
            paths |= option_paths(spec.get("suboptions") or {}, f"{prefix}{alias}.")
    return paths


def documented_options(ansible_doc: str, fqcns: list[str], env: dict[str, str]) -> dict[str, set]:
    completed = subprocess.run(
        [ansible_doc, "-j", *fqcns],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    docs = json.loads(completed.stdout)
    return {
        fqcn.rsplit(".", 1)[1]: option_paths(entry["doc"].get("options") or {})
        for fqcn, entry in docs.items()
    }


@pytest.fixture(scope="module")
def ours() -> dict[str, set]:
    modules = sorted({cell.split(".", 1)[0] for _left, cell in table_rows()})
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / ".tmp" / "collections"))
    return documented_options(
        venv_tool("ansible-doc"), [f"goldenimage.azure.{m}" for m in modules], env
    )


# The peer release the tables were written against; its `ansible` bundle carries it.
PEER_BUNDLE = "ansible==12.3.0"
PEER_COLLECTION = "ansible_collections/azure/azcollection/"


def peer_collections_path() -> Path:
    """A collections path holding azure.azcollection's files, cached under .tmp/ecosystem.

    Only its documentation is read, so the files are unpacked from the `ansible` wheel
    rather than installed with the peer's SDK requirements.
    """
    target = CACHE_DIR / f"peer-docs-{PEER_BUNDLE.split('==')[1]}"
    stamp = target / ".ready"
    if stamp.exists():
        return target
    download = target.with_name(target.name + "-wheel")
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
            str(download),
            PEER_BUNDLE,
        ],
        check=True,
        timeout=600,
    )
    (wheel,) = download.glob("ansible-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        members = [name for name in archive.namelist() if name.startswith(PEER_COLLECTION)]
        assert members, f"{wheel.name} holds no azure.azcollection"
        archive.extractall(target, members)
    stamp.write_text(PEER_BUNDLE + "\n")
    shutil.rmtree(download)
    return target


@pytest.fixture(scope="module")
def theirs() -> dict[str, set]:
    modules = sorted(
        {
            span.split(".", 1)[0]
            for left, _cell in table_rows()
            for span in SPAN.findall(left)
            if span.startswith("azure_rm_")
        }
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env["ANSIBLE_COLLECTIONS_PATH"] = str(peer_collections_path())
    return documented_options(
        venv_tool("ansible-doc"), [f"azure.azcollection.{m}" for m in modules], env
    )


def test_tables_have_rows() -> None:
    assert len(table_rows()) > 50


@pytest.mark.parametrize(("left", "cell"), table_rows(), ids=lambda value: value)
def test_goldenimage_option_exists(left: str, cell: str, ours: dict[str, set]) -> None:
    module, option = cell.split(".", 1)
    assert module in ours, f"no module goldenimage.azure.{module}"
    assert option in ours[module], f"goldenimage.azure.{module} has no option {option}"


@pytest.mark.parametrize(
    "cell",
    sorted(
        {
            span
            for left, _cell in table_rows()
            for span in SPAN.findall(left)
            if span.startswith("azure_rm_")
        }
    ),
)
def test_azcollection_option_exists(cell: str, theirs: dict[str, set]) -> None:
    module, option = cell.split(".", 1)
    assert option in theirs[module], f"azure.azcollection.{module} has no option {option}"
