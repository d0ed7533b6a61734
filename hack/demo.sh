#!/usr/bin/env bash
# `make demo`: run the example playbook against a fresh local stand-in.
# Usage: hack/demo.sh VENV_DIR
set -euo pipefail

venv_dir=$(cd "$1" && pwd)
state_dir=.azsim/demo

if [[ -f playbooks/build_image.yml && -f playbooks/vars/build_image.example.yml ]]; then
    playbook_args=(playbooks/build_image.yml -e @playbooks/vars/build_image.example.yml)
elif [[ -f playbooks/demo.yml ]]; then
    playbook_args=(playbooks/demo.yml)
else
    echo "no demo playbook yet: expected playbooks/build_image.yml with" \
        "playbooks/vars/build_image.example.yml, or playbooks/demo.yml" >&2
    exit 1
fi

"$venv_dir/bin/azsim" stop --dir "$state_dir" >/dev/null 2>&1 || true
rm -rf "$state_dir"
"$venv_dir/bin/azsim" start --dir "$state_dir" --time-scale 600
trap '"$venv_dir/bin/azsim" stop --dir "$state_dir"' EXIT

# shellcheck disable=SC1091  # written by `azsim start` above
source "$state_dir/env.sh"
status=0
ANSIBLE_COLLECTIONS_PATH="$(pwd)/.tmp/collections" PATH="$venv_dir/bin:$PATH" \
    ansible-playbook -i localhost, -c local \
    -e "ansible_python_interpreter=$venv_dir/bin/python" \
    "${playbook_args[@]}" || status=$?
echo "demo playbook finished with exit status $status"
exit $status
