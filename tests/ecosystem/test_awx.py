"""AWX / Automation Controller: job templates and surveys fit the playbooks, and run.

The job templates in docs/awx/job_templates.yml are checked against the playbooks they run
(every survey variable is one the playbook uses; every variable the playbook needs has a
survey field, a default or a fixed extra variable) and then launched the way AWX launches
them: the project playbook from docs/awx/project, the survey answers as extra variables,
and an environment holding only what the "Microsoft Azure Resource Manager" credential
injects (AZURE_SUBSCRIPTION_ID, AZURE_CLIENT_ID, AZURE_SECRET, AZURE_TENANT,
AZURE_CLOUD_ENVIRONMENT) plus the stand-in's CA bundle.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import azsim_session
import jinja2
import jinja2.nodes
import pytest
import requests
import yaml
from conftest import REPO_ROOT, venv_tool

AWX_DIR = REPO_ROOT / "docs" / "awx"
PLAYBOOKS_DIR = REPO_ROOT / "playbooks"
COLLECTIONS_DIR = REPO_ROOT / ".tmp" / "collections"
CREDENTIAL_VARIABLES = (
    "AZURE_SUBSCRIPTION_ID",
    "AZURE_CLIENT_ID",
    "AZURE_SECRET",
    "AZURE_TENANT",
    "AZURE_CLOUD_ENVIRONMENT",
)
SURVEY_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}
# Keys whose string values are bare Jinja expressions rather than templates.
EXPRESSION_KEYS = {"when", "that", "failed_when", "changed_when", "until"}
# Names Ansible itself provides to every play.
ANSIBLE_NAMES = {
    "lookup",
    "query",
    "q",
    "omit",
    "item",
    "hostvars",
    "groups",
    "inventory_hostname",
    "playbook_dir",
    "true",
    "false",
    "none",
}
COMPUTE_API_VERSION = "2026-03-03"
# Job templates whose run fails for a known defect outside this test, with the defect.
KNOWN_FAILURES: dict[str, str] = {}


def tracked_playbooks() -> list[str]:
    """The collection's playbooks as committed (work in progress is not held to this yet)."""
    listed = subprocess.run(
        ["git", "ls-files", "playbooks/*.yml"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    # Git's `*` also matches across directories: keep the files directly under playbooks/
    # (vars files and the sample customizer playbook in files/ are not collection playbooks).
    return sorted(name for name in listed if Path(name).parent == Path("playbooks"))


def job_templates() -> list[dict[str, Any]]:
    """The job templates whose playbook is in this checkout."""
    templates = yaml.safe_load((AWX_DIR / "job_templates.yml").read_text())["job_templates"]
    return [
        template for template in templates if (REPO_ROOT / template["collection_playbook"]).exists()
    ]


def survey(template: dict[str, Any]) -> dict[str, Any]:
    return json.loads((AWX_DIR / template["survey_spec"]).read_text())


def template_ids() -> list[str]:
    return [Path(template["collection_playbook"]).stem for template in job_templates()]


def walk_strings(node: Any, expression: bool = False) -> list[tuple[str, bool]]:
    """Every string in a YAML tree, marked when it is a bare expression."""
    found: list[tuple[str, bool]] = []
    if isinstance(node, str):
        found.append((node, expression))
    elif isinstance(node, list):
        for item in node:
            found.extend(walk_strings(item, expression))
    elif isinstance(node, dict):
        for key, value in node.items():
            found.extend(walk_strings(value, expression or key in EXPRESSION_KEYS))
    return found


def defined_names(plays: list[dict[str, Any]]) -> set[str]:
    """Variables a playbook defines itself: play and task vars, registers, facts, loops."""
    names: set[str] = set()

    def visit_tasks(tasks: list[dict[str, Any]]) -> None:
        for task in tasks or []:
            names.update((task.get("vars") or {}).keys())
            if "register" in task:
                names.add(task["register"])
            names.update((task.get("ansible.builtin.set_fact") or {}).keys())
            names.update((task.get("set_fact") or {}).keys())
            loop_var = (task.get("loop_control") or {}).get("loop_var")
            if loop_var:
                names.add(loop_var)
            for key in ("block", "rescue", "always"):
                visit_tasks(task.get(key) or [])

    def visit_role(task: dict[str, Any]) -> None:
        included = task.get("ansible.builtin.include_role") or task.get(
            "ansible.builtin.import_role"
        )
        if not included:
            return
        # A collection role's defaults and the facts it sets are there after it ran.
        role_dir = REPO_ROOT / "roles" / included["name"].removeprefix("goldenimage.azure.")
        defaults = role_dir / "defaults" / "main.yml"
        if defaults.exists():
            names.update((yaml.safe_load(defaults.read_text()) or {}).keys())
        for tasks_file in sorted((role_dir / "tasks").glob("*.yml")):
            visit_tasks(yaml.safe_load(tasks_file.read_text()) or [])

    original_visit = visit_tasks

    def visit_tasks_and_roles(tasks: list[dict[str, Any]]) -> None:
        original_visit(tasks)
        for task in tasks or []:
            visit_role(task)

    for play in plays:
        names.update((play.get("vars") or {}).keys())
        for key in ("pre_tasks", "tasks", "post_tasks", "handlers"):
            visit_tasks_and_roles(play.get(key) or [])
    return names


def template_names(source: str) -> set[str]:
    """Variable names a template reads (less those it assigns itself, e.g. loop variables)."""
    tree = jinja2.Environment().parse(source)
    loaded = {node.name for node in tree.find_all(jinja2.nodes.Name) if node.ctx == "load"}
    assigned = {node.name for node in tree.find_all(jinja2.nodes.Name) if node.ctx != "load"}
    return loaded - assigned


def used_names(plays: list[dict[str, Any]]) -> set[str]:
    names: set[str] = set()
    for text, expression in walk_strings(plays):
        source = "{{ " + text + " }}" if expression else text
        if "{{" in source or "{%" in source:
            names.update(template_names(source))
    return {name for name in names if name not in ANSIBLE_NAMES and not name.startswith("ansible_")}


def load_playbook(path: Path) -> list[dict[str, Any]]:
    return yaml.safe_load(path.read_text())


def test_every_playbook_has_one_job_template() -> None:
    templated = sorted(template["collection_playbook"] for template in job_templates())
    missing = sorted(set(tracked_playbooks()) - set(templated))
    assert not missing, f"playbooks without a job template in docs/awx/job_templates.yml: {missing}"
    assert len(templated) == len(set(templated)), "a playbook has two job templates"


@pytest.mark.parametrize("template", job_templates(), ids=template_ids())
def test_project_playbook_imports_the_collection_playbook(template: dict[str, Any]) -> None:
    (play,) = load_playbook(AWX_DIR / "project" / template["playbook"])
    stem = Path(template["collection_playbook"]).stem
    assert play["ansible.builtin.import_playbook"] == f"goldenimage.azure.{stem}"


@pytest.mark.parametrize("template", job_templates(), ids=template_ids())
def test_survey_is_a_valid_awx_survey(template: dict[str, Any]) -> None:
    spec = survey(template)
    assert spec["name"] and "description" in spec
    variables = [question["variable"] for question in spec["spec"]]
    assert len(variables) == len(set(variables)), "a variable is asked twice"
    for question in spec["spec"]:
        assert question["question_name"], question
        assert question["type"] in SURVEY_TYPES, question
        assert isinstance(question["required"], bool), question
        if question["type"] in ("multiplechoice", "multiselect"):
            assert question["default"] in question["choices"], question


@pytest.mark.parametrize("template", job_templates(), ids=template_ids())
def test_survey_and_playbook_variables_match(template: dict[str, Any]) -> None:
    plays = load_playbook(REPO_ROOT / template["collection_playbook"])
    play_vars = {name for play in plays for name in (play.get("vars") or {})}
    used = used_names(plays)
    asked = {question["variable"] for question in survey(template)["spec"]}
    fixed = set(template["extra_vars"])
    unknown = (asked | fixed) - (play_vars | used)
    assert not unknown, f"survey or extra variables the playbook never reads: {sorted(unknown)}"
    needed = used - defined_names(plays)
    missing = needed - asked - fixed
    assert not missing, f"variables the playbook needs that nothing provides: {sorted(missing)}"
    for question in survey(template)["spec"]:
        if question["variable"] in needed and question["variable"] not in fixed:
            assert question["required"] or question["default"], question


def launch_variables(template: dict[str, Any]) -> dict[str, Any]:
    """What AWX passes: survey defaults, the template's extra variables, the answers."""
    variables = {question["variable"]: question["default"] for question in survey(template)["spec"]}
    variables.update(template["extra_vars"])
    variables.update(template["example_answers"])
    return variables


def credential_environment(stand_in: azsim_session.StandIn) -> dict[str, str]:
    """Only the credential's variables, the CA bundle and the basics of a process."""
    environment = {
        name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TMPDIR") if name in os.environ
    }
    environment.update({name: stand_in.environment[name] for name in CREDENTIAL_VARIABLES})
    environment.update(
        REQUESTS_CA_BUNDLE=stand_in.ca_file,
        NO_PROXY=stand_in.environment.get("NO_PROXY", "127.0.0.1,localhost"),
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_DIR),
        ANSIBLE_NOCOLOR="1",
    )
    return environment


def arm_get(stand_in: azsim_session.StandIn, token: str, path: str) -> dict[str, Any]:
    response = requests.get(
        f"{stand_in.url}/subscriptions/{stand_in.subscription_id}{path}",
        params={"api-version": COMPUTE_API_VERSION},
        headers={"Authorization": f"Bearer {token}"},
        verify=stand_in.ca_file,
        timeout=30,
    )
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def prepare(template: dict[str, Any], stand_in: azsim_session.StandIn, token: str) -> None:
    """What must exist before the job runs, as on Azure: resource groups, the source image."""
    variables = launch_variables(template)
    for name in (
        "demo_resource_group",
        "clone_image_resource_group",
        "clone_gallery_resource_group",
        "goldenimage_resource_group",
    ):
        if name in variables:
            azsim_session.create_resource_group(stand_in, token, variables[name], "eastus")
    if "clone_image_name" in variables:
        image_id = (
            f"/subscriptions/{stand_in.subscription_id}/resourceGroups/"
            f"{variables['clone_image_resource_group']}/providers/Microsoft.Compute/images/"
            f"{variables['clone_image_name']}"
        )
        body = {
            "location": "eastus",
            "properties": {
                "provisioningState": "Succeeded",
                "hyperVGeneration": "V2",
                "storageProfile": {
                    "osDisk": {"osType": "Linux", "osState": "Generalized", "diskSizeGB": 30}
                },
            },
        }
        requests.post(
            f"{stand_in.url}/_sim/seed",
            json={"resources": [{"id": image_id, "body": body}]},
            verify=stand_in.ca_file,
            timeout=30,
        ).raise_for_status()


def versions_path(variables: dict[str, Any]) -> str:
    return (
        f"/resourceGroups/{variables['goldenimage_resource_group']}/providers"
        f"/Microsoft.Compute/galleries/{variables['goldenimage_gallery']}/images"
        f"/{variables['goldenimage_image_name']}/versions"
    )


def staged_version(stand_in: azsim_session.StandIn, token: str, variables: dict[str, Any]) -> str:
    versions = arm_get(stand_in, token, versions_path(variables))["value"]
    staged = [
        version["name"]
        for version in versions
        if version["properties"]["publishingProfile"].get("excludeFromLatest")
    ]
    assert staged, "the build_image job template (run first) staged no version"
    return str(staged[-1])


def verify(template: dict[str, Any], stand_in: azsim_session.StandIn, token: str) -> None:
    """Read what the job made straight from ARM, not from the playbook's output."""
    variables = launch_variables(template)
    if "demo_gallery" in variables:
        path = (
            f"/resourceGroups/{variables['demo_resource_group']}/providers/Microsoft.Compute"
            f"/galleries/{variables['demo_gallery']}/images/{variables['demo_image']}"
        )
        assert arm_get(stand_in, token, path)["properties"]["osType"] == "Linux"
    if "goldenimage_image" in variables:
        path = (
            f"/resourceGroups/{variables['goldenimage_resource_group']}/providers"
            f"/Microsoft.Compute/galleries/{variables['goldenimage_gallery']}/images"
            f"/{variables['goldenimage_image']['name']}/versions"
        )
        (version,) = arm_get(stand_in, token, path)["value"]
        assert version["properties"]["provisioningState"] == "Succeeded"
    if "goldenimage_version" in variables:
        version = arm_get(
            stand_in,
            token,
            f"{versions_path(variables)}/{variables['goldenimage_version']}",
        )
        assert not version["properties"]["publishingProfile"].get("excludeFromLatest")
    if "clone_gallery_name" in variables:
        path = (
            f"/resourceGroups/{variables['clone_gallery_resource_group']}/providers"
            f"/Microsoft.Compute/galleries/{variables['clone_gallery_name']}/images"
            f"/{variables['clone_definition_name']}/versions"
        )
        (version,) = arm_get(stand_in, token, path)["value"]
        regions = version["properties"]["publishingProfile"]["targetRegions"]
        assert sorted(region["name"].replace(" ", "").lower() for region in regions) == [
            "eastus",
            "westus",
        ]


@pytest.mark.parametrize("template", job_templates(), ids=template_ids())
def test_job_template_runs_with_the_credential_variables_only(
    template: dict[str, Any], stand_in: azsim_session.StandIn, tmp_path: Path
) -> None:
    token = azsim_session.management_token(stand_in)
    prepare(template, stand_in, token)
    variables = launch_variables(template)
    if "goldenimage_version" in variables and not variables["goldenimage_version"]:
        # The operator answers with the version an earlier build_image job staged.
        variables["goldenimage_version"] = staged_version(stand_in, token, variables)
    variables["ansible_python_interpreter"] = sys.executable
    extra_vars_file = tmp_path / "extra_vars.json"
    extra_vars_file.write_text(json.dumps(variables))
    completed = subprocess.run(
        [
            venv_tool("ansible-playbook"),
            "-i",
            "localhost,",
            "-e",
            f"@{extra_vars_file}",
            str(AWX_DIR / "project" / template["playbook"]),
        ],
        env=credential_environment(stand_in),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    stem = Path(template["collection_playbook"]).stem
    if completed.returncode != 0 and stem in KNOWN_FAILURES:
        pytest.xfail(KNOWN_FAILURES[stem])
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert stem not in KNOWN_FAILURES, f"{stem} runs now: remove it from KNOWN_FAILURES"
    template = dict(template, example_answers={**template["example_answers"], **variables})
    verify(template, stand_in, token)
