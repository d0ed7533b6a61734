# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets that travel inside ordinary values, masked on the way out of a module.

A SAS token is part of a URL (a VHD distribution target, a script URI, a run output's
artifact URI) and an account key can sit in a connection string; neither is an option
Ansible's ``no_log`` could mask. Every result, diff and message leaves through
``AzureModule.exit`` / ``fail``, which pass it through :func:`redact`. Comparisons and
requests keep the real values: only what is shown is masked.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "REDACTED"

# The signature is what makes a SAS a credential; the other SAS fields (expiry, permissions)
# stay readable so a user can still tell which token was used.
_SAS_SIGNATURE = re.compile(r"(?i)([?&]sig=)[^&#\s\"'<>]+")
_ACCOUNT_KEY = re.compile(r"(?i)(AccountKey=)[^;\s\"'<>]+")


def redact_text(text: str) -> str:
    """``text`` with SAS signatures and connection-string account keys masked."""
    if "=" not in text:
        return text
    return _ACCOUNT_KEY.sub(rf"\g<1>{MASK}", _SAS_SIGNATURE.sub(rf"\g<1>{MASK}", text))


def redact(value: Any) -> Any:
    """A copy of ``value`` (JSON-like data) with every string passed through :func:`redact_text`."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: redact(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(item) for item in value]
    return value


def sas_signatures(value: Any) -> set[str]:
    """Every SAS signature inside ``value``'s strings, for Ansible's ``no_log_values``.

    Registering them lets Ansible mask the options it echoes back (``invocation``) too.
    """
    if isinstance(value, str):
        return {match.group(0)[len(match.group(1)) :] for match in _SAS_SIGNATURE.finditer(value)}
    if isinstance(value, dict):
        return set().union(*(sas_signatures(item) for item in value.values()))
    if isinstance(value, (list, tuple)):
        return set().union(*(sas_signatures(item) for item in value))
    return set()
