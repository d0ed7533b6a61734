"""Place a pip bootstrap script where ansible-test looks before downloading one.

ansible-test bootstraps pip in every sanity-test environment with a script it
downloads from a host this network cannot reach, unless the script is already in
its cache. The script written here installs the same pip with the standard
library's ensurepip and the machine's own pip configuration.
Run it with the Python that runs ansible-test; it is idempotent.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

CACHE_DIR = Path.home() / ".ansible" / "test" / "cache"
PIP_VERSION_PATTERN = re.compile(r"\bpip='(?P<version>[0-9][0-9.]*)'")

SHIM = '''\
"""pip bootstrap for ansible-test, written by the collection's hack/get_pip_shim.py."""
import ensurepip
import os
import subprocess
import sys

# ansible-test asks for an environment without setuptools or wheel; ensurepip
# installs neither, and plain pip does not know these get-pip options.
GET_PIP_ONLY_OPTIONS = {"--no-setuptools", "--no-wheel"}

ensurepip.bootstrap(upgrade=True)
# ensurepip hides the pip configuration (package index, CA bundle) from the
# rest of this process; the real install below needs it.
os.environ.pop("PIP_CONFIG_FILE", None)
arguments = [argument for argument in sys.argv[1:] if argument not in GET_PIP_ONLY_OPTIONS]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *arguments]))
'''


def ansible_test_pip_version() -> str:
    spec = importlib.util.find_spec("ansible_test")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("ansible-test is not installed in this Python")
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    source = (package_dir / "_internal" / "python_requirements.py").read_text(encoding="utf-8")
    match = PIP_VERSION_PATTERN.search(source)
    if match is None:
        raise SystemExit("cannot find the pip version ansible-test bootstraps")
    return match.group("version")


def write_shim(pip_version: str) -> Path:
    target = CACHE_DIR / f"get_pip_{pip_version.replace('.', '_')}.py"
    if target.exists() and target.read_text(encoding="utf-8") == SHIM:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(SHIM, encoding="utf-8")
    return target


def main() -> int:
    target = write_shim(ansible_test_pip_version())
    print(f"pip bootstrap for ansible-test: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
