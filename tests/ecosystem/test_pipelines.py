"""A CI pipeline signs in with workload identity federation (OIDC), no secret.

GitHub Actions and GitLab CI hand the job an OIDC token; docs/pipelines.md writes it to a file
and sets AZURE_FEDERATED_TOKEN_FILE. The stand-in issues such a token file, which its default
service principal accepts as a federated credential.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import azsim_session
import requests
from conftest import REPO_ROOT, venv_tool


def test_module_runs_with_a_federated_token_file_only(
    stand_in: azsim_session.StandIn, tmp_path: Path
) -> None:
    token = azsim_session.management_token(stand_in)
    resource_group = "rg-pipeline-oidc"
    azsim_session.create_resource_group(stand_in, token, resource_group, "eastus")
    info = json.loads((stand_in.state_dir / "azsim.json").read_text())
    # What the pipeline step of docs/pipelines.md exports: no secret anywhere.
    environment = {
        name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TMPDIR") if name in os.environ
    }
    environment.update(
        AZURE_CLIENT_ID=stand_in.client_id,
        AZURE_TENANT_ID=stand_in.tenant_id,
        AZURE_SUBSCRIPTION_ID=stand_in.subscription_id,
        AZURE_FEDERATED_TOKEN_FILE=info["federated_token_file"],
        AZURE_CLOUD_ENVIRONMENT=stand_in.environment["AZURE_CLOUD_ENVIRONMENT"],
        REQUESTS_CA_BUNDLE=stand_in.ca_file,
        NO_PROXY=stand_in.environment.get("NO_PROXY", "127.0.0.1,localhost"),
        ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / ".tmp" / "collections"),
        ANSIBLE_NOCOLOR="1",
    )
    since = requests.get(
        f"{stand_in.url}/_sim/requests", verify=stand_in.ca_file, timeout=30
    ).json()[-1]["seq"]
    completed = subprocess.run(
        [
            venv_tool("ansible-playbook"),
            "-i",
            "localhost,",
            str(Path(__file__).parent / "pipeline_step.yml"),
            "-e",
            f"pipeline_resource_group={resource_group}",
            "-e",
            f"ansible_python_interpreter={Path(venv_tool('python'))}",
        ],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    log = requests.get(
        f"{stand_in.url}/_sim/requests",
        params={"since": since},
        verify=stand_in.ca_file,
        timeout=30,
    ).json()
    writes = [entry for entry in log if entry["kind"] == "arm" and entry["method"] == "PUT"]
    assert writes, "the playbook made no gallery"
    assert {entry["principal"] for entry in writes} == {stand_in.client_id}
