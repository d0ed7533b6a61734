# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print a blob that the stand-in wrote to Azurite, read beside the module with Azurite's key."""

from __future__ import annotations

import os
import sys

from azure.storage.blob import BlobClient

blob = BlobClient.from_blob_url(
    sys.argv[1],
    credential={
        "account_name": os.environ["AZURITE_ACCOUNT"],
        "account_key": os.environ["AZURITE_KEY"],
    },
    api_version="2025-01-05",
    connection_verify=os.environ["AZURITE_CA_FILE"],
)
sys.stdout.write(blob.download_blob().readall().decode("utf-8"))
