# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument specs of the shared option groups, one per doc fragment.

``AUTH_ARGUMENT_SPEC`` matches ``plugins/doc_fragments/auth.py``, ``WAIT_ARGUMENT_SPEC``
``wait.py`` and ``TAGS_ARGUMENT_SPEC`` ``tags.py``; validate-modules compares them.
Defaults that come from the environment are resolved at run time (see ``_auth.py``), so the
specs carry no ``fallback`` and the documentation stays honest.
"""

from __future__ import annotations

from typing import Any

AUTH_SOURCES = ["auto", "env", "credential_file", "cli", "msi"]

AUTH_ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "auth_source": {"type": "str", "default": "auto", "choices": AUTH_SOURCES},
    "profile": {"type": "str"},
    "subscription_id": {"type": "str"},
    "client_id": {"type": "str"},
    "secret": {"type": "str", "no_log": True},
    "tenant": {"type": "str"},
    "client_certificate_path": {"type": "path", "aliases": ["x509_certificate_path"]},
    "client_certificate_password": {"type": "str", "no_log": True},
    "federated_token_file": {"type": "path", "no_log": False},  # a path, not the token
    "cloud_environment": {"type": "str"},
    "ca_bundle": {"type": "path"},
    "validate_certs": {"type": "bool", "default": True},
}

DEFAULT_WAIT_TIMEOUT = 1800

WAIT_ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": DEFAULT_WAIT_TIMEOUT},
}

TAGS_ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "tags": {"type": "dict"},
    "purge_tags": {"type": "bool", "default": True},
}


def merged_spec(*specs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Merge argument specs; a module's own option may not silently redefine a shared one."""
    merged: dict[str, dict[str, Any]] = {}
    for spec in specs:
        clash = set(merged) & set(spec)
        if clash:
            raise ValueError(f"Options defined twice: {', '.join(sorted(clash))}")
        merged.update({name: dict(option) for name, option in spec.items()})
    return merged
