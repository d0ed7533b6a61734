#!/usr/bin/env bash
# ansible-lint (production profile, from .ansible-lint) on the roles and playbooks.
# Usage: hack/ansible_lint.sh VENV_DIR
set -euo pipefail

venv_dir=$1
targets=()
for dir in roles playbooks; do
    if [[ -d $dir ]]; then
        targets+=("$dir")
    fi
done
if [[ ${#targets[@]} -eq 0 ]]; then
    echo "SKIP ansible-lint: neither roles/ nor playbooks/ exists yet"
    exit 0
fi

ANSIBLE_COLLECTIONS_PATH="$(pwd)/.tmp/collections" \
    "$venv_dir/bin/ansible-lint" --strict "${targets[@]}"
