"""The built collection holds what users need, nothing of the tooling, and runs installed."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tarfile
from pathlib import Path

import azsim_session
import requests
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]

# Paths (prefixes) that must never reach users: the stand-in, tooling, local state.
EXCLUDED_PREFIXES = (
    "emulator/",
    "benchmarks/",
    "tests/output/",
    "hack/",
    ".venv",
    ".tmp/",
    ".azsim/",
    ".ci/",
    ".git/",
    "Makefile",
)
REQUIRED_MEMBERS = ("MANIFEST.json", "FILES.json", "meta/runtime.yml", "README.md", "COPYING")
PROBE_MODULE = "gallery_info"


def venv_tool(name: str) -> str:
    """A command installed beside the Python running the tests."""
    return str(Path(sys.executable).parent / name)


def member_names(artifact: Path) -> list[str]:
    with tarfile.open(artifact) as archive:
        return [name.removeprefix("./") for name in archive.getnames()]


def repository_modules() -> list[str]:
    modules_dir = REPO_ROOT / "plugins" / "modules"
    return sorted(path.stem for path in modules_dir.glob("*.py") if path.stem != "__init__")


def isolated_environment(collections_dir: Path) -> dict[str, str]:
    """Ansible sees the installed artifact only, not the working tree."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("ANSIBLE_") and name != "PYTHONPATH"
    }
    environment.update(
        ANSIBLE_COLLECTIONS_PATH=str(collections_dir),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="0",
        ANSIBLE_NOCOLOR="1",
    )
    return environment


def seed_gallery(stand_in: azsim_session.StandIn, resource_group: str, name: str) -> None:
    """A gallery the installed module must find: proof it really asked the stand-in."""
    gallery_id = (
        f"/subscriptions/{stand_in.subscription_id}/resourceGroups/{resource_group}"
        f"/providers/Microsoft.Compute/galleries/{name}"
    )
    body = {
        "location": "eastus",
        "properties": {
            "description": "seeded by the packaging test",
            "identifier": {"uniqueName": f"{stand_in.subscription_id}-{name.upper()}"},
            "provisioningState": "Succeeded",
        },
    }
    response = requests.post(
        f"{stand_in.url}/_sim/seed",
        json={"resources": [{"id": gallery_id, "body": body}]},
        verify=stand_in.ca_file,
        timeout=30,
    )
    response.raise_for_status()


def test_artifact_holds_the_collection_and_no_tooling(artifact: Path) -> None:
    names = member_names(artifact)
    leaked = sorted(name for name in names if name.startswith(EXCLUDED_PREFIXES))
    assert leaked == []
    missing = [name for name in REQUIRED_MEMBERS if name not in names]
    assert missing == []
    module_files = {f"plugins/modules/{module}.py" for module in repository_modules()}
    assert module_files <= set(names)


def test_artifact_version_matches_galaxy_yml(artifact: Path) -> None:
    galaxy = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text(encoding="utf-8"))
    with tarfile.open(artifact) as archive:
        manifest_file = archive.extractfile("MANIFEST.json")
        assert manifest_file is not None
        manifest = json.load(manifest_file)
    assert manifest["collection_info"]["version"] == galaxy["version"]
    assert artifact.name == f"goldenimage-azure-{galaxy['version']}.tar.gz"


def test_installed_collection_lists_every_module(installed_collections: Path) -> None:
    completed = subprocess.run(
        [venv_tool("ansible-doc"), "--json", "-l", "goldenimage.azure"],
        env=isolated_environment(installed_collections),
        capture_output=True,
        text=True,
        check=True,
    )
    listed = json.loads(completed.stdout)
    expected = {f"goldenimage.azure.{module}" for module in repository_modules()}
    assert set(listed) == expected


def test_installed_module_runs_by_fqcn(
    installed_collections: Path, stand_in: azsim_session.StandIn
) -> None:
    assert PROBE_MODULE in repository_modules()
    resource_group = f"rg-gi{secrets.token_hex(4)}"
    token = azsim_session.management_token(stand_in)
    azsim_session.create_resource_group(stand_in, token, resource_group, "eastus")
    gallery_name = f"packaging_{secrets.token_hex(3)}"
    seed_gallery(stand_in, resource_group, gallery_name)
    environment = isolated_environment(installed_collections)
    environment.update(stand_in.environment)
    # minimal prints `localhost | SUCCESS => {result as JSON}`.
    environment.update(ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="minimal")
    completed = subprocess.run(
        [
            venv_tool("ansible"),
            "localhost",
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            f"ansible_python_interpreter={sys.executable}",
            "-m",
            f"goldenimage.azure.{PROBE_MODULE}",
            "-a",
            json.dumps({"resource_group": resource_group}),
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    status, _separator, result_json = completed.stdout.partition(" => ")
    assert status == "localhost | SUCCESS"
    result = json.loads(result_json)
    assert [gallery["name"] for gallery in result["galleries"]] == [gallery_name]
    assert result["galleries"][0]["resource_group"] == resource_group
    assert result["changed"] is False
