#!/usr/bin/env bash
# Collection consistency checks; runs them all and fails at the end.
# Usage: hack/checks.sh VENV_DIR
set -uo pipefail

venv_dir=$1
failed=()

check() {
    local name=$1
    shift
    echo "--- $name"
    "$@" || failed+=("$name")
}

check "action group" "$venv_dir/bin/python" hack/check_action_group.py
check "collection version" "$venv_dir/bin/python" hack/check_version.py
check "sanity ignores" hack/check_no_sanity_ignores.sh
check "changelog fragments" "$venv_dir/bin/antsibull-changelog" lint
check "changelog fragment names" "$venv_dir/bin/python" hack/check_fragment_names.py
check ansible-lint hack/ansible_lint.sh "$venv_dir"
check "collection docs" hack/docs_lint.sh "$venv_dir"

if [[ ${#failed[@]} -gt 0 ]]; then
    echo "checks failed: ${failed[*]}" >&2
    exit 1
fi
