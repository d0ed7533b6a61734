"""Run the collection's modules and playbooks against the stand-in and read what they did.

A module runs the way Ansible runs it on localhost, as its own Python process with its
arguments in a JSON file, so each case costs one process and no playbook overhead. Roles and
verbosity-dependent output go through ansible-playbook (`run_playbook`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS_DIR = REPO_ROOT / ".tmp" / "collections"
COLLECTION_LINK = COLLECTIONS_DIR / "ansible_collections" / "goldenimage" / "azure"
OUTPUT_DIR = REPO_ROOT / "tests" / "output" / "reliability"
MODULE_PACKAGE = "ansible_collections.goldenimage.azure.plugins.modules"
WRITE_METHODS = frozenset({"PUT", "PATCH", "DELETE", "POST"})

sys.path.insert(0, str(REPO_ROOT / "tests" / "integration"))
import azsim_session  # noqa: E402  (shared with the integration runner)

from azsim.client import AdminClient  # noqa: E402

StandIn = azsim_session.StandIn


def ensure_collection_link() -> None:
    COLLECTION_LINK.parent.mkdir(parents=True, exist_ok=True)
    if not COLLECTION_LINK.is_symlink():
        COLLECTION_LINK.symlink_to(REPO_ROOT, target_is_directory=True)


def transcript_path(label: str) -> Path:
    """Where one run's full output is kept; the secret scan reads every file there."""
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in label)[:120]
    handle, name = tempfile.mkstemp(prefix=f"{safe}-", suffix=".log", dir=OUTPUT_DIR)
    os.close(handle)
    return Path(name)


@dataclass
class ModuleRun:
    """One module run: its result, its raw output and the ARM requests it sent."""

    result: dict[str, Any]
    stdout: str
    stderr: str
    requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.result.get("failed"))

    @property
    def changed(self) -> bool:
        return bool(self.result.get("changed"))

    @property
    def msg(self) -> str:
        return str(self.result.get("msg", ""))

    @property
    def arm(self) -> list[dict[str, Any]]:
        return [entry for entry in self.requests if entry["kind"] == "arm"]

    @property
    def writes(self) -> list[dict[str, Any]]:
        return [entry for entry in self.arm if entry["method"] in WRITE_METHODS]

    @property
    def tokens(self) -> list[dict[str, Any]]:
        return [entry for entry in self.requests if entry["kind"] == "token"]

    def describe(self) -> str:
        return json.dumps(self.result, indent=1, default=str)[:4000] + self.stderr[-2000:]


class Sim:
    """One running stand-in, its admin API and the environment clients need to reach it.

    `python` is the interpreter of the ansible-core that runs modules and playbooks: this
    suite's own by default, another virtual environment's through `with_python`."""

    def __init__(self, stand_in: StandIn, python: Path | None = None) -> None:
        self.stand_in = stand_in
        self.admin = AdminClient(stand_in.url, stand_in.ca_file)
        self.python = python or Path(sys.executable)

    def with_python(self, python: Path) -> Sim:
        """The same stand-in, driven by another ansible-core (a module server of its own)."""
        return Sim(self.stand_in, python)

    @property
    def subscription_id(self) -> str:
        return self.stand_in.subscription_id

    def group_id(self, group: str) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{group}"

    def environment(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("AZURE_", "ANSIBLE_", "AZSIM"))
        }
        env.update(self.stand_in.environment)
        env.update(
            PYTHONPATH=str(COLLECTIONS_DIR),
            ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_DIR),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_RETRY_FILES_ENABLED="0",
            ANSIBLE_LOCALHOST_WARNING="0",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
        )
        env.update(extra or {})
        return env

    _server: subprocess.Popen[str] | None = None

    def _server_run(
        self,
        module: str,
        args_file: str,
        env: dict[str, str] | None,
        transcript: Path,
        timeout: float,
    ) -> tuple[str, str]:
        """Run the module in a fresh child of the warm module server (see module_server.py)."""
        if self._server is None or self._server.poll() is not None:
            self._server = subprocess.Popen(
                [str(self.python), str(Path(__file__).with_name("module_server.py"))],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=self.environment(),
                cwd=REPO_ROOT,
            )
        out, err = transcript.with_suffix(".out"), transcript.with_suffix(".err")
        request = {
            "module": module,
            "args_file": args_file,
            "env": self.environment(env),
            "stdout": str(out),
            "stderr": str(err),
        }
        assert self._server.stdin and self._server.stdout
        self._server.stdin.write(json.dumps(request) + "\n")
        self._server.stdin.flush()
        if not self._server.stdout.readline():
            raise RuntimeError("the module server stopped")
        try:
            return out.read_text(encoding="utf-8"), err.read_text(encoding="utf-8")
        finally:
            out.unlink(missing_ok=True)
            err.unlink(missing_ok=True)

    def close(self) -> None:
        if self._server is not None:
            self._server.stdin.close() if self._server.stdin else None
            self._server.wait(timeout=30)
            self._server = None

    def mark(self) -> int:
        return self.admin.last_seq()

    def since(self, seq: int) -> list[dict[str, Any]]:
        # The restart scenarios read the log while the stand-in may still be coming back.
        for attempt in range(60):
            try:
                return [entry for entry in self.admin.requests(seq) if entry["seq"] > seq]
            except OSError:
                if attempt == 59:
                    raise
                time.sleep(0.5)
        raise AssertionError("unreachable")

    def run(
        self,
        module: str,
        args: dict[str, Any],
        *,
        check: bool = False,
        diff: bool = False,
        env: dict[str, str] | None = None,
        timeout: float = 240,
        label: str | None = None,
    ) -> ModuleRun:
        """Run one module with `args` as Ansible would; its output is kept for the secret scan."""
        ensure_collection_link()
        seq = self.mark()
        payload = {
            "ANSIBLE_MODULE_ARGS": {
                **args,
                "_ansible_check_mode": check,
                "_ansible_diff": diff,
                "_ansible_verbosity": 4,
            }
        }
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(payload, handle)
            args_file = handle.name
        transcript = transcript_path(label or module)
        try:
            stdout, stderr = self._server_run(module, args_file, env, transcript, timeout)
        finally:
            os.unlink(args_file)
        transcript.write_text(stdout + "\n" + stderr, encoding="utf-8")
        completed = subprocess.CompletedProcess([], 0, stdout, stderr)
        try:
            result = json.loads(completed.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            result = {"failed": True, "msg": f"no JSON result: {completed.stdout[-2000:]}"}
        return ModuleRun(result, completed.stdout, completed.stderr, self.since(seq))

    def run_playbook(
        self,
        playbook: list[dict[str, Any]],
        *,
        extra_args: list[str] | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 600,
        label: str = "playbook",
    ) -> tuple[int, str, list[dict[str, Any]]]:
        """Run a playbook (JSON is YAML) on localhost; returns exit code, output and requests."""
        ensure_collection_link()
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        seq = self.mark()
        with tempfile.NamedTemporaryFile(
            "w", suffix=".yml", delete=False, dir=OUTPUT_DIR
        ) as handle:
            json.dump(playbook, handle)
            playbook_file = handle.name
        command = [
            str(self.python.parent / "ansible-playbook"),
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            json.dumps({"ansible_python_interpreter": str(self.python)}),
            *(extra_args or []),
            playbook_file,
        ]
        extra_env = {"ANSIBLE_ROLES_PATH": str(REPO_ROOT / "roles"), **(env or {})}
        try:
            completed = subprocess.run(
                command,
                capture_output=True,
                text=True,
                env=self.environment(extra_env),
                timeout=timeout,
                check=False,
                cwd=OUTPUT_DIR,
            )
        finally:
            os.unlink(playbook_file)
        output = completed.stdout + "\n" + completed.stderr
        transcript_path(label).write_text(output, encoding="utf-8")
        return completed.returncode, output, self.since(seq)

    # --- state ----------------------------------------------------------------------------------

    def state(self) -> set[str]:
        return {resource_id.lower() for resource_id in self.admin.state()}

    def seed(self, resources: list[dict[str, Any]]) -> None:
        self.admin.seed(resources)
