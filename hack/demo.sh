#!/usr/bin/env bash
# `make demo`: run the example playbook against a fresh local stand-in.
# Usage: hack/demo.sh VENV_DIR
# The pipeline demo also starts Azurite, which holds the files the customize role uploads.
set -euo pipefail

venv_dir=$(cd "$1" && pwd)
state_dir=.azsim/demo
with_azurite=false

if [[ -f playbooks/build_image.yml && -f playbooks/vars/build_image.example.yml ]]; then
    playbook_args=(playbooks/build_image.yml -e @playbooks/vars/build_image.example.yml
        -e @playbooks/vars/build_image.demo.yml)
    with_azurite=true
elif [[ -f playbooks/demo.yml ]]; then
    playbook_args=(playbooks/demo.yml)
else
    echo "no demo playbook yet: expected playbooks/build_image.yml with" \
        "playbooks/vars/build_image.example.yml, or playbooks/demo.yml" >&2
    exit 1
fi

"$venv_dir/bin/azsim" stop --dir "$state_dir" >/dev/null 2>&1 || true
hack/azurite.sh stop "$state_dir/azurite" >/dev/null 2>&1 || true
rm -rf "$state_dir"
stand_in_args=(--dir "$state_dir" --time-scale 600)
if $with_azurite; then
    hack/azurite.sh start "$state_dir/azurite"
    # shellcheck disable=SC1091  # written by hack/azurite.sh above
    source "$state_dir/azurite/env.sh"
    stand_in_args+=(--blob-endpoint "$AZURITE_BLOB_ENDPOINT")
fi
"$venv_dir/bin/azsim" start "${stand_in_args[@]}"
trap '"$venv_dir/bin/azsim" stop --dir "$state_dir"; hack/azurite.sh stop "$state_dir/azurite" >/dev/null 2>&1 || true' EXIT

# shellcheck disable=SC1091  # written by `azsim start` above
source "$state_dir/env.sh"
if $with_azurite; then
    # Clients talk to both the stand-in and Azurite over HTTPS: trust both certificates.
    cat "$REQUESTS_CA_BUNDLE" "$AZURITE_CA_FILE" >"$state_dir/ca-bundle.pem"
    export REQUESTS_CA_BUNDLE=$PWD/$state_dir/ca-bundle.pem
fi
status=0
ANSIBLE_COLLECTIONS_PATH="$(pwd)/.tmp/collections" PATH="$venv_dir/bin:$PATH" \
    ansible-playbook -i localhost, -c local \
    -e "ansible_python_interpreter=$venv_dir/bin/python" \
    "${playbook_args[@]}" || status=$?
echo "demo playbook finished with exit status $status"
exit $status
