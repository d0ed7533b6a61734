#!/usr/bin/env bash
# `make bench-peer`: a separate environment holding the azure.azcollection peer, so the
# benchmark can run the same tasks with its gallery modules. It comes with the `ansible`
# package; its Azure SDK requirements come from the requirements file it ships.
# Usage: benchmarks/peer_venv.sh [VENV_DIR]   (default .venv-azcollection)
set -euo pipefail

venv_dir=${1:-.venv-azcollection}
stamp="$venv_dir/.bench-peer-ready"

if [[ -f "$stamp" ]]; then
    echo "peer environment ready: $venv_dir ($(cat "$stamp"))"
    exit 0
fi

python3 -m venv "$venv_dir"
"$venv_dir/bin/python" -m pip install --quiet --upgrade pip
"$venv_dir/bin/python" -m pip install --quiet ansible

# The collection is a namespace package: its first path entry is its directory.
collection_dir=$("$venv_dir/bin/python" -c \
    'import ansible_collections.azure.azcollection as c; print(list(c.__path__)[0])')
requirements=""
for name in requirements.txt requirements-azure.txt; do
    if [[ -f "$collection_dir/$name" ]]; then
        requirements="$collection_dir/$name"
        break
    fi
done
if [[ -z "$requirements" ]]; then
    echo "no requirements file found in $collection_dir" >&2
    exit 1
fi
"$venv_dir/bin/python" -m pip install --quiet -r "$requirements"

version=$("$venv_dir/bin/python" -c 'import json, sys
print(json.load(open(sys.argv[1]))["collection_info"]["version"])' "$collection_dir/MANIFEST.json")
echo "azure.azcollection $version" >"$stamp"
echo "peer environment ready: $venv_dir (azure.azcollection $version)"
