"""Start, describe and stop one Azurite (the Azure Storage emulator) for a test session.

Everything goes through hack/azurite.sh, the script `make demo` uses: it installs Azurite
with npm into .tmp/azurite when missing, serves the blob service over HTTPS on loopback and
writes env.sh with the endpoint, the account, its well-known development key and the CA file.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import azsim_session

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "hack" / "azurite.sh"
# The first start may install Azurite with npm (about 30 s on a quiet machine).
START_TIMEOUT_SECONDS = 300
STOP_TIMEOUT_SECONDS = 30


class AzuriteUnavailable(RuntimeError):
    """Azurite could not be installed or started; the reason is the script's own output."""


@dataclass(frozen=True)
class Azurite:
    directory: Path
    blob_endpoint: str
    account: str
    key: str
    ca_file: str

    @property
    def environment(self) -> dict[str, str]:
        return {
            "AZURITE_BLOB_ENDPOINT": self.blob_endpoint,
            "AZURITE_ACCOUNT": self.account,
            "AZURITE_KEY": self.key,
            "AZURITE_CA_FILE": self.ca_file,
        }


def start(directory: Path) -> Azurite:
    try:
        completed = subprocess.run(
            # Bearer tokens too: image_build reads customization.log with its own identity.
            [str(SCRIPT), "start", str(directory), "--oauth"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AzuriteUnavailable(f"hack/azurite.sh start: {exc}") from exc
    if completed.returncode != 0:
        output = (completed.stderr or completed.stdout).strip()
        raise AzuriteUnavailable(f"hack/azurite.sh start exited {completed.returncode}: {output}")
    return describe(directory)


def describe(directory: Path) -> Azurite:
    exports = azsim_session.read_exports(directory / "env.sh")
    return Azurite(
        directory=directory,
        blob_endpoint=exports["AZURITE_BLOB_ENDPOINT"],
        account=exports["AZURITE_ACCOUNT"],
        key=exports["AZURITE_KEY"],
        ca_file=exports["AZURITE_CA_FILE"],
    )


def stop(directory: Path) -> None:
    """Stop it if it runs; safe to call when start failed half way."""
    subprocess.run(
        [str(SCRIPT), "stop", str(directory)],
        cwd=REPO_ROOT,
        capture_output=True,
        timeout=STOP_TIMEOUT_SECONDS,
        check=False,
    )
