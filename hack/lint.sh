#!/usr/bin/env bash
# Static checks: ruff (lint and format), yamllint, mypy on the module utilities.
# Runs every check and fails at the end, so one run shows every finding.
# Usage: hack/lint.sh VENV_DIR
set -uo pipefail

venv_dir=$1
failed=()

check() {
    local name=$1
    shift
    echo "--- $name"
    "$@" || failed+=("$name")
}

lint_dirs=()
for dir in plugins tests emulator benchmarks hack; do
    [[ -d $dir ]] && lint_dirs+=("$dir")
done

check "ruff check" "$venv_dir/bin/ruff" check "${lint_dirs[@]}"
check "ruff format" "$venv_dir/bin/ruff" format --check --output-format concise "${lint_dirs[@]}"
check yamllint "$venv_dir/bin/yamllint" --strict .
if [[ -d plugins/module_utils ]]; then
    # Through the symlinked collection, so imports resolve as ansible_collections.goldenimage.azure.
    check mypy "$venv_dir/bin/mypy" .tmp/collections/ansible_collections/goldenimage/azure/plugins/module_utils
else
    echo "SKIP mypy: plugins/module_utils does not exist yet"
fi

if [[ ${#failed[@]} -gt 0 ]]; then
    echo "lint failed: ${failed[*]}" >&2
    exit 1
fi
