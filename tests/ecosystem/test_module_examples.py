"""Every module's EXAMPLES run against the stand-in.

All examples go into one playbook (one play per module, in check mode) so the run costs one
ansible-playbook start. In check mode each task still validates its options against the
module's argument spec, signs in, reads the current state from ARM and plans its change;
only the final write is left out. Tasks of other collections (ansible.builtin.assert,
debug) that read results registered by the examples are left out too: in check mode the
resources they expect are not made. Resource groups the examples name are made first, as
they must exist on Azure.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import azsim_session
import pytest
import requests
import yaml
from conftest import REPO_ROOT, venv_tool

MODULES_DIR = REPO_ROOT / "plugins" / "modules"
COLLECTION = "goldenimage.azure."
PLACEHOLDER_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
# Examples that cannot run here, with the reason; keep this short. Most act on what an
# earlier example makes, which check mode never makes.
NOT_MADE_IN_CHECK_MODE = "acts on a resource an earlier example makes, which check mode does not"
NEEDS_BLOB_SERVICE = (
    "uploads the user's local files to a blob service, which this stage does not start; "
    "tests/integration/targets/blob_upload covers the module against one"
)
EXCLUDED: dict[tuple[str, str], str] = {
    ("blob_upload", "Stage a customization script for an image build"): NEEDS_BLOB_SERVICE,
    ("blob_upload", "Upload with the account key ARM returns"): NEEDS_BLOB_SERVICE,
    ("gallery_image_version", "Add a region and raise the replica count in East US"): (
        NOT_MADE_IN_CHECK_MODE
    ),
    (
        "gallery_image_version",
        "Copy a version from a gallery in another subscription, hidden from latest",
    ): ("reads a version in another tenant's subscription, which the stand-in does not hold"),
    ("image_build", "Build the image unless this definition was built already"): (
        NOT_MADE_IN_CHECK_MODE
    ),
    ("image_build", "Rebuild to pick up the newest source image, without waiting"): (
        NOT_MADE_IN_CHECK_MODE
    ),
    ("image_build", "Cancel a running build"): NOT_MADE_IN_CHECK_MODE,
    ("image_template", "Refuse to replace the template if the change needs it"): (
        "reads the user's own golden-ubuntu.json with a file lookup"
    ),
    ("user_assigned_identity", "Use its principal id in a role assignment"): (
        NOT_MADE_IN_CHECK_MODE
    ),
}


def seed_prerequisites(stand_in: azsim_session.StandIn) -> None:
    """Resources the examples act on or read from, as they would exist before on Azure."""
    compute = (
        f"/subscriptions/{stand_in.subscription_id}/resourceGroups/{{}}/providers/Microsoft.Compute"
    )
    images = compute.format("rg-images")
    build = compute.format("rg-build")
    linux_disk = {
        "location": "eastus",
        "properties": {
            "provisioningState": "Succeeded",
            "osType": "Linux",
            "hyperVGeneration": "V2",
            "diskSizeGB": 30,
        },
    }
    resources = [
        {
            "id": f"{images}/galleries/contoso_images",
            "body": {
                "location": "eastus",
                "properties": {
                    "identifier": {"uniqueName": f"{stand_in.subscription_id}-CONTOSO_IMAGES"},
                    "provisioningState": "Succeeded",
                },
            },
        },
        {
            "id": f"{images}/galleries/contoso_images/images/ubuntu-24",
            "body": {
                "location": "eastus",
                "properties": {
                    "osType": "Linux",
                    "osState": "Generalized",
                    "hyperVGeneration": "V2",
                    "identifier": {"publisher": "contoso", "offer": "ubuntu", "sku": "24"},
                    "provisioningState": "Succeeded",
                },
            },
        },
        {"id": f"{build}/disks/build-vm-17-os", "body": linux_disk},
        {
            "id": f"{build}/virtualMachines/build-vm-17",
            "body": {
                "location": "eastus",
                "__generalized": True,
                "__hyperVGeneration": "V2",
                "__power": "deallocated",
                "properties": {
                    "provisioningState": "Succeeded",
                    "storageProfile": {
                        "osDisk": {
                            "osType": "Linux",
                            "name": "build-vm-17-os",
                            "diskSizeGB": 30,
                            "managedDisk": {"id": f"{build}/disks/build-vm-17-os"},
                        }
                    },
                },
            },
        },
        {"id": f"{build}/snapshots/app-os-snapshot", "body": linux_disk},
        {
            "id": f"{images}/images/ubuntu-24-build-17",
            "body": {
                "location": "eastus",
                "properties": {
                    "provisioningState": "Succeeded",
                    "hyperVGeneration": "V2",
                    "storageProfile": {
                        "osDisk": {"osType": "Linux", "osState": "Generalized", "diskSizeGB": 30}
                    },
                },
            },
        },
        {"id": f"{build}/snapshots/os-17", "body": linux_disk},
        {
            "id": f"{build}/disks/app-data",
            "body": {
                "location": "eastus",
                "properties": {"provisioningState": "Succeeded", "diskSizeGB": 8},
            },
        },
    ]
    requests.post(
        f"{stand_in.url}/_sim/seed",
        json={"resources": resources},
        verify=stand_in.ca_file,
        timeout=30,
    ).raise_for_status()


def example_variables(stand_in: azsim_session.StandIn) -> dict[str, Any]:
    """Values of the variables the examples take from earlier tasks of a user's playbook."""
    info = json.loads((stand_in.state_dir / "azsim.json").read_text())
    group = f"/subscriptions/{stand_in.subscription_id}/resourceGroups/rg-images"
    return {
        "builder": {"identity": {"principal_id": info.get("object_id", stand_in.client_id)}},
        "builder_identity_id": (
            f"{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-image-builder"
        ),
        "gallery_image_id": (
            f"{group}/providers/Microsoft.Compute/galleries/contoso_images/images/ubuntu-24"
        ),
    }


def module_names() -> list[str]:
    return sorted(path.stem for path in MODULES_DIR.glob("*.py") if path.stem != "__init__")


def examples(module: str) -> list[dict[str, Any]]:
    tree = ast.parse((MODULES_DIR / f"{module}.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "EXAMPLES":
            tasks: list[dict[str, Any]] = yaml.safe_load(ast.literal_eval(node.value)) or []
            return tasks
    return []


def collection_tasks(module: str) -> list[dict[str, Any]]:
    return [task for task in examples(module) if any(key.startswith(COLLECTION) for key in task)]


def resource_groups(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("resource_group") and isinstance(value, str) and "{" not in value:
                found.add(value)
            found |= resource_groups(value)
    elif isinstance(node, list):
        for item in node:
            found |= resource_groups(item)
    return found


@pytest.fixture(scope="module")
def results(stand_in: azsim_session.StandIn, tmp_path_factory: pytest.TempPathFactory) -> dict:
    token = azsim_session.management_token(stand_in)
    variables = example_variables(stand_in)
    plays = []
    groups: set[str] = set()
    for module in module_names():
        tasks = []
        for example in collection_tasks(module):
            if (module, example.get("name")) in EXCLUDED:
                continue
            # Example subscription ids become the stand-in's.
            task = yaml.safe_load(
                yaml.safe_dump(example).replace(PLACEHOLDER_SUBSCRIPTION, stand_in.subscription_id)
            )
            task["ignore_errors"] = True
            task.pop("register", None)
            tasks.append(task)
            groups |= resource_groups(task)
        plays.append(
            {
                "name": module,
                "hosts": "localhost",
                "connection": "local",
                "gather_facts": False,
                "check_mode": True,
                "vars": variables,
                "tasks": tasks,
            }
        )
    for group in sorted(groups):
        azsim_session.create_resource_group(stand_in, token, group, "eastus")
    seed_prerequisites(stand_in)
    workdir = tmp_path_factory.mktemp("examples")
    playbook = workdir / "examples.yml"
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
    environment = dict(os.environ)
    environment.update(stand_in.environment)
    environment.update(
        ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / ".tmp" / "collections"),
        ANSIBLE_CALLBACK_PLUGINS=str(Path(__file__).parent / "callback_plugins"),
        ANSIBLE_CALLBACKS_ENABLED="record_results",
        RECORD_RESULTS_FILE=str(workdir / "results.json"),
        ANSIBLE_NOCOLOR="1",
    )
    completed = subprocess.run(
        [
            venv_tool("ansible-playbook"),
            "-i",
            "localhost,",
            "-e",
            f"ansible_python_interpreter={venv_tool('python')}",
            str(playbook),
        ],
        env=environment,
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr
    by_module: dict[str, list[dict[str, Any]]] = {module: [] for module in module_names()}
    for record in json.loads((workdir / "results.json").read_text()):
        by_module[record["play"]].append(record)
    return by_module


@pytest.mark.parametrize("module", module_names())
def test_module_has_examples(module: str) -> None:
    assert collection_tasks(module), f"{module} has no example using it"


def test_exclusions_name_real_examples() -> None:
    for module, name in EXCLUDED:
        assert name in [task.get("name") for task in examples(module)], (module, name)


@pytest.mark.parametrize("module", module_names())
def test_examples_run_in_check_mode(module: str, results: dict) -> None:
    if not [task for task in collection_tasks(module) if (module, task["name"]) not in EXCLUDED]:
        pytest.skip("every example of this module is excluded above, with the reason")
    failures = [
        f"{record['task']}: {record['msg']}" for record in results[module] if record["failed"]
    ]
    expected = [task for task in collection_tasks(module) if (module, task["name"]) not in EXCLUDED]
    assert len(results[module]) == len(expected)
    assert not failures, "\n".join(failures)
