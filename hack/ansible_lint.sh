#!/usr/bin/env bash
# ansible-lint (production profile, from .ansible-lint) on the roles and playbooks.
# Usage: hack/ansible_lint.sh VENV_DIR
set -euo pipefail

venv_dir=$(cd "$1" && pwd)
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

# ansible-lint runs ansible-playbook --syntax-check: the venv's, found on PATH.
PATH="$venv_dir/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$(pwd)/.tmp/collections" \
    ansible-lint --nocolor --strict "${targets[@]}"
