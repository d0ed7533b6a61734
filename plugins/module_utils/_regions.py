# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Refuse a region the subscription does not offer, naming the option, before any write.

ARM refuses an unknown region only once the PUT is sent (and Image Builder names another
cause). Runners call :func:`check_regions` when a write is about to happen (also in check
mode, so the prediction matches the real run), with only the region values the resource does
not already have: a no-op run never reads the region list. The list is read once per module
run, through the module's raw ARM client.
"""

from __future__ import annotations

import difflib
import weakref
from collections.abc import Iterable
from typing import Any

from ansible_collections.goldenimage.azure.plugins.module_utils._diff import normalize_location
from ansible_collections.goldenimage.azure.plugins.module_utils._errors import status_of

LOCATIONS_API_VERSION = "2022-12-01"

# Region lists per module run: normalised name -> the name ARM uses; None when unreadable.
_CATALOGS: weakref.WeakKeyDictionary[Any, dict[str, str] | None] = weakref.WeakKeyDictionary()


def region_key(value: Any) -> str:
    """``"East US"``, ``"east-us"`` and ``"eastus"`` are one region."""
    return normalize_location(str(value or "").strip()) or ""


def regions_of(locations: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Normalised names (and display names) -> ARM name, from a ``locations`` list answer."""
    catalog: dict[str, str] = {}
    for location in locations:
        name = location.get("name")
        if not name:
            continue
        for spelling in (name, location.get("displayName")):
            if spelling:
                catalog.setdefault(region_key(spelling), str(name))
    return catalog


def subscription_regions(module: Any) -> dict[str, str] | None:
    """The subscription's regions, read once per module run.

    ``None`` when the identity may not list them (a 403, e.g. a role on one resource group
    only) or the answer is empty: then ARM judges the region, as it would anyway.
    """
    if module in _CATALOGS:
        return _CATALOGS[module]
    path = f"/subscriptions/{module.subscription_id}/locations"
    try:
        answer = module.arm.get(path, LOCATIONS_API_VERSION) or {}
    except Exception as exc:
        if status_of(exc) != 403:
            raise
        answer = {}
    catalog = regions_of(answer.get("value") or []) or None
    _CATALOGS[module] = catalog
    return catalog


def unknown_region_message(option: str, value: str, catalog: dict[str, str]) -> str:
    """``Invalid location 'atlantis': not a region of this subscription (did you mean ...)``."""
    names = sorted(set(catalog.values()))
    close = difflib.get_close_matches(region_key(value), names, n=3, cutoff=0.6)
    quoted = [repr(name) for name in close]
    choices = " or ".join([", ".join(quoted[:-1]), quoted[-1]] if len(quoted) > 1 else quoted)
    hint = f"; did you mean {choices}?" if close else "."
    return f"Invalid {option} {value!r}: not a region this subscription offers{hint}"


def check_regions(
    module: Any, wanted: Iterable[tuple[str, Any]], existing: Iterable[Any] = ()
) -> None:
    """Fail naming the option of the first unknown region in ``wanted`` (``(option, value)``).

    Regions in ``existing`` (those the resource already has) and empty values are not checked;
    when nothing is left to check, nothing is read.
    """
    known_already = {region_key(value) for value in existing if value}
    pending = [
        (option, str(value))
        for option, value in wanted
        if value and region_key(value) not in known_already
    ]
    if not pending:
        return
    catalog = subscription_regions(module)
    if catalog is None:
        return
    for option, value in pending:
        if region_key(value) not in catalog:
            module.fail(unknown_region_message(option, value, catalog), option=option)
