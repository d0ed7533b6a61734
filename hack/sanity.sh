#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection content, placed where ansible-test
# expects a collection: .tmp/ansible_collections/goldenimage/azure.
# Usage: hack/sanity.sh VENV_DIR [extra ansible-test sanity arguments...]
set -euo pipefail

venv_dir=$(cd "$1" && pwd)
shift
copy_dir=.tmp/ansible_collections/goldenimage/azure

# ansible-test bootstraps pip from a script it cannot download here; give it one.
"$venv_dir/bin/python" hack/get_pip_shim.py

# One copy serves every run in this checkout: wait for a run already using it.
mkdir -p .tmp/locks "$copy_dir"
exec 9>.tmp/locks/sanity.lock
flock 9
rsync -a --delete --delete-excluded \
    --exclude=/.git --exclude=/.venv --exclude='/.venv-*' --exclude=/.tmp \
    --exclude=/.azsim --exclude=/emulator --exclude=/benchmarks --exclude=/tests/output \
    --exclude=__pycache__ --exclude=.pytest_cache --exclude=.mypy_cache \
    --exclude=.ruff_cache --exclude='*.egg-info' --exclude='*.tar.gz' \
    --exclude=node_modules \
    ./ "$copy_dir/"

cd "$copy_dir"
# ansible-test lists content with git from the nearest repository upwards; the
# outer repository ignores .tmp/, so the copy gets a repository of its own.
if [[ ! -d .git ]]; then
    git init --quiet .
fi
started=$(date +%s)
status=0
PATH="$venv_dir/bin:$PATH" ansible-test sanity --local --python 3.11 --color no "$@" || status=$?
echo "ansible-test sanity took $(( $(date +%s) - started )) s (exit $status)"
exit $status
