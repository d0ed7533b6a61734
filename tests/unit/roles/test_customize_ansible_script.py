# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The customize role's Ansible customizer, run for real on this machine under a temporary root.

The script is rendered from the role's template, the sample playbook is packed with the role's
pack.py, and the script runs with GI_ROOT (and GI_HOME, GI_ARCHIVE) pointing into a temporary
directory: it installs ansible-core from wheels downloaded once into .tmp, runs the playbook
with a local connection, and must leave nothing behind but the playbook's own effects.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
ROLE = REPO / "roles" / "customize"
PLAYBOOK_DIR = REPO / "playbooks" / "files" / "harden"
CORE_VERSION = "2.16.19"
WHEELS = REPO / ".tmp" / f"ansible-core-{CORE_VERSION}-wheels"
BIN = Path(sys.executable).parent


def pack(tmp_path: Path, name: str) -> tuple[Path, str]:
    archive = tmp_path / name
    output = subprocess.run(
        [sys.executable, str(ROLE / "files" / "pack.py"), str(PLAYBOOK_DIR), str(archive)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return archive, output.stdout.strip()


def test_archive_is_deterministic(tmp_path: Path) -> None:
    first, digest = pack(tmp_path, "a.tar.gz")
    os.utime(PLAYBOOK_DIR / "harden.yml")  # a new date changes nothing
    second, again = pack(tmp_path, "b.tar.gz")
    assert digest == again == hashlib.sha256(first.read_bytes()).hexdigest()
    assert first.read_bytes() == second.read_bytes()


def render(tmp_path: Path, archive_sha256: str) -> Path:
    script = tmp_path / "harden.sh"
    variables = {
        "customize_ansible": {
            "name": "harden",
            "playbook_name": "harden.yml",
            "requirements_name": "requirements.yml",
            "extra_vars": {"harden_motd": "Tested by the unit suite"},
            "core_version": CORE_VERSION,
            "archive_path": "/tmp/goldenimage-harden.tar.gz",
            "archive_sha256": archive_sha256,
        }
    }
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps(variables), encoding="utf-8")
    subprocess.run(
        [
            str(BIN / "ansible"),
            "localhost",
            "-i",
            "localhost,",
            "-c",
            "local",
            "-m",
            "ansible.builtin.template",
            "-a",
            f"src={ROLE / 'templates' / 'ansible.sh.j2'} dest={script} mode=0755",
            "-e",
            f"@{vars_file}",
            "-e",
            f"ansible_python_interpreter={sys.executable}",
        ],
        check=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_HOME": str(tmp_path / "ah")},
    )
    return script


def wheels() -> Path:
    """ansible-core and its dependencies as wheels, downloaded from PyPI once per checkout."""
    if not (WHEELS / f"ansible_core-{CORE_VERSION}-py3-none-any.whl").exists():
        partial = WHEELS.with_name(WHEELS.name + f".{os.getpid()}")
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"]
            + [f"ansible-core=={CORE_VERSION}", "-d", str(partial)],
            check=True,
            timeout=240,
        )
        if not WHEELS.exists():
            partial.rename(WHEELS)
        else:
            shutil.rmtree(partial)
    return WHEELS


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="needs coreutils")
def test_script_runs_the_playbook_and_leaves_no_trace(tmp_path: Path) -> None:
    archive, digest = pack(tmp_path, "packed.tar.gz")
    script = render(tmp_path, digest)
    root, home = tmp_path / "root", tmp_path / "home"
    (home / ".ansible").mkdir(parents=True)  # a cache from an earlier run, which must go too
    (root / "tmp").mkdir(parents=True)
    staged = root / "tmp" / "goldenimage-harden.tar.gz"
    shutil.copy(archive, staged)
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")
    }
    environment.update(
        GI_ROOT=str(root),
        GI_ARCHIVE=str(staged),
        GI_HOME=str(home),
        GI_PYTHON=sys.executable,
        GI_PIP_ARGS=f"--no-index --find-links {wheels()}",
        HOME=str(home),
    )
    completed = subprocess.run(
        ["bash", str(script)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert (root / "etc" / "motd").read_text() == "Tested by the unit suite\n"
    assert "net.ipv4.ip_forward = 0" in (root / "etc" / "sysctl.d" / "90-harden.conf").read_text()
    # Only the playbook's effects remain under the root: no archive, virtual environment or
    # work directory; and no Ansible cache in the home directory.
    left = sorted(str(path.relative_to(root)) for path in root.rglob("*"))
    assert left == [
        "etc",
        "etc/motd",
        "etc/sysctl.d",
        "etc/sysctl.d/90-harden.conf",
        "tmp",
        "var",
        "var/tmp",
    ], left
    assert not (home / ".ansible").exists()


def test_wrong_archive_checksum_stops_before_running(tmp_path: Path) -> None:
    archive = pack(tmp_path, "packed.tar.gz")[0]
    script = render(tmp_path, "0" * 64)
    root = tmp_path / "root"
    root.mkdir()
    completed = subprocess.run(
        ["bash", str(script)],
        env={
            **os.environ,
            "GI_ROOT": str(root),
            "GI_ARCHIVE": str(archive),
            "GI_HOME": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode != 0
    assert not (root / "etc").exists()
    assert not archive.exists()  # removed all the same
