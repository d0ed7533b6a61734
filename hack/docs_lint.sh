#!/usr/bin/env bash
# antsibull-docs lint-collection-docs: module and role documentation that renders,
# references that resolve, and extra docs that parse, as on docs.ansible.com.
# Usage: hack/docs_lint.sh VENV_DIR
set -euo pipefail

venv_dir=$(cd "$1" && pwd)
collections_dir="$(pwd)/.tmp/collections"
cd "$collections_dir/ansible_collections/goldenimage/azure"
# antsibull-docs runs ansible-doc: the venv's, found on PATH.
PATH="$venv_dir/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$collections_dir" \
    antsibull-docs lint-collection-docs --plugin-docs .
