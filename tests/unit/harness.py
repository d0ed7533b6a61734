# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's ``main()`` in-process and capture the JSON it would print.

The module goes through the real ``AnsibleModule`` (argument validation, no_log masking,
exit_json / fail_json), so tests see exactly what Ansible would receive::

    result = run_module(gallery.main, {"name": "g1", "resource_group": "rg"}, check_mode=True)
    assert result.changed and not result.failed
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ansible.module_utils import basic
from ansible.module_utils.common import warnings as ansible_warnings


@dataclass
class ModuleResult:
    """What a module returned: the parsed JSON and how it exited."""

    result: dict[str, Any]
    exit_code: int

    @property
    def failed(self) -> bool:
        return bool(self.result.get("failed")) or self.exit_code != 0

    @property
    def changed(self) -> bool:
        return bool(self.result.get("changed"))

    @property
    def msg(self) -> str:
        return str(self.result.get("msg", ""))

    @property
    def warnings(self) -> list[str]:
        return [str(warning) for warning in self.result.get("warnings", [])]

    def __getitem__(self, key: str) -> Any:
        return self.result[key]


@contextlib.contextmanager
def module_args(
    params: dict[str, Any], *, check_mode: bool = False, diff: bool = False
) -> Iterator[None]:
    """Hand ``params`` to the next AnsibleModule the way the controller does."""
    payload = {
        "ANSIBLE_MODULE_ARGS": {
            **params,
            "_ansible_check_mode": check_mode,
            "_ansible_diff": diff,
            "_ansible_remote_tmp": tempfile.gettempdir(),
            "_ansible_keep_remote_files": False,
        }
    }
    saved = {name: getattr(basic, name, None) for name in ("_ANSIBLE_ARGS", "_ANSIBLE_PROFILE")}
    basic._ANSIBLE_ARGS = json.dumps(payload).encode("utf-8")
    if hasattr(basic, "_ANSIBLE_PROFILE"):  # ansible-core 2.19 and later
        basic._ANSIBLE_PROFILE = "legacy"
    _clear_warnings()
    try:
        yield
    finally:
        for name, value in saved.items():
            if hasattr(basic, name):
                setattr(basic, name, value)
        _clear_warnings()


def _clear_warnings() -> None:
    # Warnings are process-global in ansible-core; one run must not leak into the next.
    for name in ("_global_warnings", "_global_deprecations"):
        store = getattr(ansible_warnings, name, None)
        if store is not None:
            store.clear()


def run_module(
    main: Callable[[], Any], params: dict[str, Any], *, check_mode: bool = False, diff: bool = False
) -> ModuleResult:
    """Call ``main()`` with ``params``; return the result it printed and its exit code."""
    output = io.StringIO()
    exit_code = 0
    with module_args(params, check_mode=check_mode, diff=diff), contextlib.redirect_stdout(output):
        try:
            main()
        except SystemExit as exc:
            exit_code = exc.code if isinstance(exc.code, int) else 1
    text = output.getvalue().strip()
    if not text:
        raise AssertionError("The module exited without printing a result.")
    return ModuleResult(result=json.loads(text.splitlines()[-1]), exit_code=exit_code)
