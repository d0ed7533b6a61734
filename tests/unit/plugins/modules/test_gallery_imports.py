# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A process running a gallery module imports no generated management SDK.

Each module's ``main()`` runs in a fresh interpreter against the stand-in (real
azure-identity, real azure-core pipeline, real HTTPS), then the interpreter reports which Azure
packages it imported: azure-mgmt-core's pipeline, and none of the generated SDKs (the compute
SDK alone was about 14 MiB of a gallery module's peak memory). Skipped only when the ``azsim``
command is not installed.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import ssl
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("azure.mgmt.core", reason="azure-mgmt-core is not installed")

COLLECTIONS_ROOT = Path(__file__).resolve().parents[4] / ".tmp" / "collections"
FORBIDDEN = (
    "azure.mgmt.compute",
    "azure.mgmt.imagebuilder",
    "azure.mgmt.resource",
    "azure.storage",
    "azure.mgmt.msi",
    "azure.mgmt.authorization",
)
RESOURCE_GROUP = "rg-gallery-imports"

RUNNER = """
import json, sys
from importlib import import_module
from ansible_collections.goldenimage.azure.tests.unit.harness import run_module

module = import_module("ansible_collections.goldenimage.azure.plugins.modules." + sys.argv[1])
outcome = run_module(module.main, json.loads(sys.argv[2]))
loaded = sorted(name for name in sys.modules if name.startswith("azure."))
print(json.dumps({"result": outcome.result, "loaded": loaded}))
"""


def azsim_command() -> str | None:
    beside_python = Path(sys.executable).parent / "azsim"
    return str(beside_python) if beside_python.exists() else shutil.which("azsim")


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        words = shlex.split(line, comments=True)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, value = words[1].split("=", 1)
            values[name] = value
    return values


def admin(info: dict[str, Any], method: str, path: str, body: Any) -> None:
    request = urllib.request.Request(
        f"{str(info['url']).rstrip('/')}/_sim/{path}",
        data=json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    context = ssl.create_default_context(cafile=info["ca_file"])
    with urllib.request.urlopen(request, context=context, timeout=10):
        pass


@pytest.fixture(scope="module")
def stand_in_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment a module process needs to reach a fresh stand-in, with a resource group."""
    command = azsim_command()
    if command is None:
        pytest.skip("the azsim command is not installed (pip install -e emulator[test])")
    directory = tmp_path_factory.mktemp("azsim-gallery-imports")
    subprocess.run(
        [command, "start", "--dir", str(directory)], check=True, timeout=120, capture_output=True
    )
    try:
        info = json.loads((directory / "azsim.json").read_text())
        group_id = f"/subscriptions/{info['subscription_id']}/resourceGroups/{RESOURCE_GROUP}"
        admin(
            info, "POST", "seed", {"resources": [{"id": group_id, "body": {"location": "eastus"}}]}
        )
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("AZURE_", "IDENTITY_", "MSI_"))
        }
        env.update(read_env_file(directory / "env.sh"))
        env.update(
            PYTHONPATH=str(COLLECTIONS_ROOT),
            AZURE_CONFIG_DIR=str(directory),
            NO_PROXY="127.0.0.1,localhost",
        )
        yield env
    finally:
        subprocess.run(
            [command, "stop", "--dir", str(directory)], timeout=60, check=False, capture_output=True
        )


def run_in_fresh_process(
    env: dict[str, str], module: str, params: dict[str, Any]
) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-c", RUNNER, module, json.dumps(params)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return report


# Run in this order: each later module needs what the earlier ones created.
RUNS = [
    ("gallery", {"name": "gal_imports", "resource_group": RESOURCE_GROUP}),
    (
        "gallery_image",
        {
            "name": "img-imports",
            "gallery_name": "gal_imports",
            "resource_group": RESOURCE_GROUP,
            "publisher": "contoso",
            "offer": "imports",
            "sku": "one",
            "os_type": "Linux",
        },
    ),
    ("gallery_info", {"resource_group": RESOURCE_GROUP}),
    ("gallery_image_info", {"gallery_name": "gal_imports", "resource_group": RESOURCE_GROUP}),
]


def test_gallery_modules_import_no_generated_sdk(stand_in_env: dict[str, str]) -> None:
    for module, params in RUNS:
        report = run_in_fresh_process(stand_in_env, module, params)
        result = report["result"]
        assert not result.get("failed"), f"{module}: {result.get('msg')}"
        # The module really talked to Azure through azure-mgmt-core's ARM pipeline...
        assert "azure.mgmt.core" in report["loaded"], module
        # ...and pulled in none of the SDKs it does not need.
        heavy = [name for name in report["loaded"] if name.startswith(FORBIDDEN)]
        assert heavy == [], f"{module} imported {heavy}"
    info = run_in_fresh_process(stand_in_env, "gallery_image_info", RUNS[3][1])
    assert [image["name"] for image in info["result"]["images"]] == ["img-imports"]
