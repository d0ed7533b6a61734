# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make the collection importable as ``ansible_collections.goldenimage.azure`` for pytest.

The Makefile creates ``.tmp/collections/ansible_collections/goldenimage/azure`` as a symlink to
the repository root; this does the same when the tests run on their own.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS_ROOT = REPOSITORY_ROOT / ".tmp" / "collections"


def _ensure_collection_link() -> None:
    link = COLLECTIONS_ROOT / "ansible_collections" / "goldenimage" / "azure"
    if link.is_symlink() and not link.exists():
        link.unlink()  # a dangling link left by a moved checkout
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # created meanwhile by a parallel run
            link.symlink_to(REPOSITORY_ROOT, target_is_directory=True)
    if str(COLLECTIONS_ROOT) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS_ROOT))


_ensure_collection_link()

from ansible_collections.goldenimage.azure.tests.unit.harness import (  # noqa: E402
    ModuleResult,
    run_module,
)


@pytest.fixture
def module_runner() -> Callable[..., ModuleResult]:
    """Run a module's ``main()`` in-process: ``module_runner(main, params, check_mode=True)``."""

    def run(main: Callable[[], Any], params: dict[str, Any], **flags: Any) -> ModuleResult:
        return run_module(main, params, **flags)

    return run


@pytest.fixture(autouse=True)
def private_cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: Any) -> None:
    """Each test gets its own collection cache, so no test sees what another one cached."""
    monkeypatch.setenv("GOLDENIMAGE_AZURE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
