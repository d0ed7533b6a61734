"""Run each integration target (ansible-test layout) as a role with ansible-playbook.

Every target runs once per ansible-core virtual environment, on localhost, with that
environment's Python as the module interpreter, the stand-in's credentials and the session's
Azurite in the environment (and as extra vars), and a resource group of its own. A target
whose aliases say `needs/azurite` fails, with the reason, when Azurite could not start.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import azsim_session
import azurite_session
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TARGETS_DIR = REPO_ROOT / "tests" / "integration" / "targets"
OUTPUT_DIR = REPO_ROOT / "tests" / "output" / "integration"
COLLECTIONS_DIR = REPO_ROOT / ".tmp" / "collections"
COLLECTION_LINK = COLLECTIONS_DIR / "ansible_collections" / "goldenimage" / "azure"
DEFAULT_VENVS = (".venv", ".venv-2.16")
# ansible-test's own aliases for "do not run this target".
SKIP_ALIASES = frozenset({"disabled", "unsupported"})
# ansible-test's alias for helper targets that other targets use and that are not tests.
HELPER_ALIAS = "hidden"
# The runner's own alias: the target reads or writes blob storage through the session's Azurite.
AZURITE_ALIAS = "needs/azurite"


@dataclass(frozen=True)
class AnsibleVenv:
    python: Path
    version: str

    @property
    def bin_dir(self) -> Path:
        return self.python.parent


@dataclass(frozen=True)
class Target:
    name: str
    aliases: frozenset[str]

    @property
    def skip_reason(self) -> str | None:
        reasons = sorted(self.aliases & SKIP_ALIASES)
        return f"aliases say {', '.join(reasons)}" if reasons else None


def read_aliases(target_dir: Path) -> frozenset[str]:
    aliases_file = target_dir / "aliases"
    if not aliases_file.exists():
        return frozenset()
    lines = aliases_file.read_text(encoding="utf-8").splitlines()
    return frozenset(line.split("#", 1)[0].strip() for line in lines) - {""}


def discover_targets(targets_dir: Path) -> list[Target]:
    targets = [
        Target(name=target_dir.name, aliases=read_aliases(target_dir))
        for target_dir in sorted(targets_dir.iterdir())
        if (target_dir / "tasks" / "main.yml").exists()
    ]
    return [target for target in targets if HELPER_ALIAS not in target.aliases]


def ansible_core_version(python: Path) -> str:
    """major.minor of the ansible-core installed for `python`."""
    completed = subprocess.run(
        [str(python), "-c", "from ansible.release import __version__; print(__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return ".".join(completed.stdout.strip().split(".")[:2])


def selected_venvs(config: pytest.Config) -> list[AnsibleVenv]:
    names = config.getoption("--ansible-venv") or [
        name for name in DEFAULT_VENVS if (REPO_ROOT / name).is_dir()
    ]
    pythons = [(REPO_ROOT / name / "bin" / "python").absolute() for name in names]
    return [AnsibleVenv(python, ansible_core_version(python)) for python in pythons]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" not in metafunc.fixturenames:
        return
    params = []
    for venv in selected_venvs(metafunc.config):
        for target in discover_targets(TARGETS_DIR):
            marks = [pytest.mark.skip(reason=target.skip_reason)] if target.skip_reason else []
            params.append(
                pytest.param(venv, target, id=f"{venv.version}-{target.name}", marks=marks)
            )
    metafunc.parametrize(("ansible_venv", "target"), params)


def ensure_collection_link() -> None:
    """Make the working tree importable as ansible_collections.goldenimage.azure."""
    COLLECTION_LINK.parent.mkdir(parents=True, exist_ok=True)
    if not COLLECTION_LINK.is_symlink():
        COLLECTION_LINK.symlink_to(REPO_ROOT, target_is_directory=True)


def write_playbook(path: Path, target: Target) -> None:
    play = {
        "name": f"Integration target {target.name}",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "roles": [{"role": target.name}],
    }
    # JSON is YAML: no YAML library needed in the runner.
    path.write_text(json.dumps([play], indent=2), encoding="utf-8")


def playbook_environment(
    venv: AnsibleVenv,
    stand_in: azsim_session.StandIn,
    azurite: azurite_session.Azurite | None,
    ca_bundle: Path,
) -> dict[str, str]:
    environment = dict(os.environ)
    environment.update(stand_in.environment)
    if azurite is not None:
        environment.update(azurite.environment)
    environment.update(
        # Modules talk to the stand-in and to Azurite (blob_upload, customization.log).
        REQUESTS_CA_BUNDLE=str(ca_bundle),
        PATH=f"{venv.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_DIR),
        ANSIBLE_ROLES_PATH=str(TARGETS_DIR),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_LOCALHOST_WARNING="0",
    )
    return environment


@pytest.mark.integration
def test_target(
    ansible_venv: AnsibleVenv,
    target: Target,
    stand_in: azsim_session.StandIn,
    azurite: azurite_session.Azurite | None,
    azurite_error: str | None,
    ca_bundle: Path,
    resource_group: str,
    resource_prefix: str,
    session_dir: Path,
    request: pytest.FixtureRequest,
) -> None:
    if AZURITE_ALIAS in target.aliases and azurite is None:
        pytest.fail(
            f"target {target.name} needs Azurite, which did not start: {azurite_error}",
            pytrace=False,
        )
    ensure_collection_link()
    run_dir = session_dir / ansible_venv.version
    run_dir.mkdir(parents=True, exist_ok=True)
    playbook = run_dir / f"{target.name}.playbook.yml"
    extra_vars_file = run_dir / f"{target.name}.vars.json"
    log_file = OUTPUT_DIR / ansible_venv.version / f"{target.name}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    write_playbook(playbook, target)
    extra_vars = {
        "resource_prefix": resource_prefix,
        "resource_group": resource_group,
        "azure_location": request.config.getoption("--azure-location"),
        "azure_subscription_id": stand_in.subscription_id,
        "azsim_url": stand_in.url,
        "azsim_ca_file": stand_in.ca_file,
        "ansible_python_interpreter": str(ansible_venv.python),
    }
    if azurite is not None:
        extra_vars.update(
            azurite_blob_endpoint=azurite.blob_endpoint,
            azurite_account=azurite.account,
            # Azurite's public development key, the same in every installation.
            azurite_key=azurite.key,
            azurite_ca_file=azurite.ca_file,
        )
    extra_vars_file.write_text(json.dumps(extra_vars, indent=2), encoding="utf-8")
    command = [
        str(ansible_venv.bin_dir / "ansible-playbook"),
        "-i",
        "localhost,",
        "-e",
        f"@{extra_vars_file}",
        str(playbook),
    ]
    timeout = request.config.getoption("--target-timeout")
    with log_file.open("w", encoding="utf-8") as log:
        log.write(f"$ {' '.join(command)}\n")
        log.flush()
        try:
            completed = subprocess.run(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=playbook_environment(ansible_venv, stand_in, azurite, ca_bundle),
                cwd=run_dir,
                timeout=timeout,
                check=False,
            )
            outcome = f"exit {completed.returncode}" if completed.returncode else None
        except subprocess.TimeoutExpired:
            outcome = f"no result after {timeout} s"
    if outcome:
        output = log_file.read_text(encoding="utf-8")
        pytest.fail(
            f"target {target.name} under ansible-core {ansible_venv.version}: {outcome}; "
            f"output ({log_file.relative_to(REPO_ROOT)}):\n{output}",
            pytrace=False,
        )
