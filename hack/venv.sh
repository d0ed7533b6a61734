#!/usr/bin/env bash
# Create or refresh one virtual environment for `make`.
# Usage: hack/venv.sh DIR REQUIREMENT_FILE...
# The environment is rebuilt only when the requirement files (and the stand-in's
# pyproject.toml, whose dependencies it installs) change: a stamp holds their hash.
set -euo pipefail

venv_dir=$1
shift
requirement_files=("$@")
emulator_project=emulator/pyproject.toml

hash_inputs=("${requirement_files[@]}")
if [[ -f $emulator_project ]]; then
    hash_inputs+=("$emulator_project")
fi
wanted_hash=$(cat "${hash_inputs[@]}" | sha256sum | cut -c1-16)
stamp="$venv_dir/.requirements-$wanted_hash"

if [[ -f $stamp ]]; then
    exit 0
fi

# Two runs in one checkout must not build the same environment at once.
mkdir -p .tmp/locks
exec 9>".tmp/locks/$(basename "$venv_dir").lock"
flock 9
if [[ -f $stamp ]]; then
    exit 0
fi

echo "== preparing $venv_dir (requirements changed or first run)"
rm -rf "$venv_dir"
python3 -m venv "$venv_dir"
pip_install() {
    # The machine's pip configuration lists optional local indexes; their absence
    # is reported once per package and says nothing useful here.
    "$venv_dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@" \
        2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)
}
pip_install --upgrade pip
requirement_args=()
for file in "${requirement_files[@]}"; do
    requirement_args+=(-r "$file")
done
pip_install "${requirement_args[@]}"
if [[ -f $emulator_project ]]; then
    pip_install -e 'emulator[test,blob]'
else
    echo "WARNING: $emulator_project not found: the stand-in is not installed in $venv_dir" >&2
fi
touch "$stamp"
echo "== $venv_dir ready"
