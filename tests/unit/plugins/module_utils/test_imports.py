# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Heavy SDKs are imported lazily and narrowly (each check runs in a fresh interpreter)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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


def test_no_plugin_imports_a_generated_management_sdk() -> None:
    """Every module and module_utils file imports without loading any azure.mgmt SDK.

    The requests go through ``_arm.ArmClient`` (azure-mgmt-core only), so a module process
    never pays for the generated compute or Image Builder models; the stand-in based check in
    ``tests/unit/plugins/modules/test_gallery_imports.py`` proves the same for real runs.
    """
    plugins = MODULE_UTILS.parent
    names = [
        f"ansible_collections.goldenimage.azure.plugins.{path.parent.name}.{path.stem}"
        for folder in ("module_utils", "modules")
        for path in sorted((plugins / folder).glob("*.py"))
        if path.stem != "__init__"
    ]
    loaded = run_python(
        "import importlib, json, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps([m for m in sys.modules if m.startswith('azure.mgmt.')]))"
    )
    assert loaded == []
    for path in sorted(plugins.rglob("*.py")):
        text = path.read_text()
        for sdk in ("azure.mgmt.compute", "azure.mgmt.imagebuilder"):
            assert sdk not in text, f"{path.relative_to(plugins)} mentions {sdk}"
