# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's version, sent in the user agent (kept equal to galaxy.yml by a check)."""

from __future__ import annotations

COLLECTION_VERSION = "1.0.0"
