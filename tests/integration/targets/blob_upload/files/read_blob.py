# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read a container and a blob straight from Azurite, beside the module: prints JSON."""

from __future__ import annotations

import hashlib
import json
import os
import sys

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import BlobServiceClient

container, name = sys.argv[1], sys.argv[2]
service = BlobServiceClient(
    os.environ["AZURITE_BLOB_ENDPOINT"],
    credential={
        "account_name": os.environ["AZURITE_ACCOUNT"],
        "account_key": os.environ["AZURITE_KEY"],
    },
    api_version="2025-01-05",
    connection_verify=os.environ["AZURITE_CA_FILE"],
)
client = service.get_container_client(container)
result: dict[str, object] = {"container": client.exists()}
if result["container"]:
    result["public_access"] = client.get_container_properties().public_access
    try:
        blob = client.get_blob_client(name)
        result["metadata"] = blob.get_blob_properties().metadata
        result["sha256"] = hashlib.sha256(blob.download_blob().readall()).hexdigest()
    except ResourceNotFoundError:
        result["sha256"] = None
print(json.dumps(result))
