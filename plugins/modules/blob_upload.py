#!/usr/bin/python
# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: blob_upload
short_description: Upload local files to an Azure Storage blob container
version_added: 1.0.0
description:
  - Uploads local files to a blob container, such as the scripts and archives an image build
    downloads. The container is created, private, when it does not exist.
  - Each blob carries the SHA-256 of its content in its metadata (C(sha256)) and the MD5 in
    C(Content-MD5). A blob whose checksum equals the local file's is not uploaded again.
  - The returned URLs never carry a SAS token or any other query string.
author:
  - goldenimage.azure contributors (@goldenimage)
requirements:
  - azure-storage-blob
options:
  storage_account:
    description: Name of the storage account.
    type: str
    required: true
  container:
    description: Name of the container; created private when missing.
    type: str
    required: true
  blob_endpoint:
    description:
      - Blob service endpoint of the account.
      - When not set, C(https://<storage_account>.blob.<suffix>) with the storage suffix of
        O(cloud_environment). Required when O(cloud_environment) is an ARM metadata URL.
      - Azurite, the storage emulator, uses C(https://127.0.0.1:<port>/devstoreaccount1).
    type: str
  auth_mode:
    description:
      - V(credential) uses the collection's credential (see the authentication options) with a
        token for C(https://storage.azure.com/.default); the identity needs a data role such as
        Storage Blob Data Contributor on the account or container.
      - V(key) signs requests with an account key, O(account_key) or, when it is not set, the
        first key ARM C(listKeys) returns for the account in O(resource_group).
    type: str
    choices: [credential, key]
    default: credential
  account_key:
    description: Account key for O(auth_mode=key). Never returned or logged.
    type: str
  resource_group:
    description: Resource group of the account, to read its key with O(auth_mode=key) and no O(account_key).
    type: str
  files:
    description: The files to upload.
    type: list
    elements: dict
    required: true
    suboptions:
      src:
        description: Local path of the file (on the host that runs the module).
        type: path
        required: true
      name:
        description: Blob name; the file name of O(files[].src) when not set.
        type: str
extends_documentation_fragment:
  - goldenimage.azure.auth
  - goldenimage.azure.attributes
  - goldenimage.azure.attributes.ACTIONS
seealso:
  - module: goldenimage.azure.image_template
  - name: Azure Blob Storage
    description: Containers and blobs.
    link: https://learn.microsoft.com/azure/storage/blobs/storage-blobs-introduction
"""

EXAMPLES = r"""
- name: Stage a customization script for an image build
  goldenimage.azure.blob_upload:
    storage_account: stimagebuild
    container: customize
    files:
      - src: files/harden.sh
  register: staged

- name: Use its URL and checksum in a Shell customizer
  ansible.builtin.set_fact:
    customizer:
      type: Shell
      name: harden
      scriptUri: "{{ staged.files[0].url }}"
      sha256Checksum: "{{ staged.files[0].sha256 }}"

- name: Upload with the account key ARM returns
  goldenimage.azure.blob_upload:
    storage_account: stimagebuild
    resource_group: rg-images
    auth_mode: key
    container: customize
    files:
      - src: files/site.tar.gz
        name: ansible/site.tar.gz
"""

RETURN = r"""
files:
  description: One entry per file, in the order of O(files).
  returned: always
  type: list
  elements: dict
  contains:
    src:
      description: Local path.
      type: str
    name:
      description: Blob name.
      type: str
    url:
      description: URL of the blob, without any query string.
      type: str
    sha256:
      description: SHA-256 of the content, lowercase hex.
      type: str
    changed:
      description: Whether this file was (or in check mode would be) uploaded.
      type: bool
"""

from ansible_collections.goldenimage.azure.plugins.module_utils._blob_api import (  # noqa: E402
    BLOB_SPEC,
    run_blob_upload,
)
from ansible_collections.goldenimage.azure.plugins.module_utils._module import AzureModule  # noqa: E402


def main() -> None:
    module = AzureModule(BLOB_SPEC, result_key="files")
    run_blob_upload(module)


if __name__ == "__main__":
    main()
