# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Heavy SDKs are imported lazily and narrowly (each check runs in a fresh interpreter)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

COLLECTIONS_ROOT = Path(__file__).resolve().parents[4] / ".tmp" / "collections"
MODULE_UTILS = Path(__file__).resolve().parents[4] / "plugins" / "module_utils"
OWN_FILES = [
    "_version",
    "_cloud",
    "_auth",
    "_clients",
    "_arm",
    "_errors",
    "_waiter",
    "_tags",
    "_diff",
    "_args",
    "_module",
]


def run_python(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter; it prints a JSON list of module names."""
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS_ROOT))
    completed = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    loaded: list[str] = json.loads(completed.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_module_utils_imports_no_azure_package() -> None:
    assert all((MODULE_UTILS / f"{name}.py").is_file() for name in OWN_FILES)
    imports = "\n".join(
        f"import ansible_collections.goldenimage.azure.plugins.module_utils.{name}"
        for name in OWN_FILES
    )
    loaded = run_python(
        f"import json, sys\n{imports}\n"
        "print(json.dumps([m for m in sys.modules if m.split('.')[0] in ('azure', 'msal', 'requests')]))"
    )
    assert loaded == []


def test_compute_client_imports_only_the_compute_sdk() -> None:
    pytest.importorskip("azure.mgmt.compute", reason="azure-mgmt-compute is not installed")
    code = """
import json, sys
from ansible_collections.goldenimage.azure.plugins.module_utils._clients import ClientFactory
from ansible_collections.goldenimage.azure.plugins.module_utils._cloud import resolve_cloud
from ansible_collections.goldenimage.azure.tests.unit.azure_fakes import FakeCredential
factory = ClientFactory(FakeCredential, resolve_cloud("AzureCloud"), lambda: "sub-1", True)
client = factory.client("compute")
assert type(client).__name__ == "ComputeManagementClient"
assert factory.client("compute") is client
print(json.dumps(sorted(m for m in sys.modules if m.startswith("azure."))))
"""
    loaded = run_python(code)
    assert "azure.mgmt.compute" in loaded
    unwanted = (
        "azure.mgmt.imagebuilder",
        "azure.storage",
        "azure.mgmt.msi",
        "azure.mgmt.authorization",
    )
    assert [name for name in loaded if name.startswith(unwanted)] == []
