#!/usr/bin/env bash
# Install the system programs the sanity stage needs and Python packages cannot
# provide: rsync (to copy the collection content) and shellcheck (ansible-test's
# shell script check). Does nothing when both are present.
set -euo pipefail

missing=()
for program in rsync shellcheck; do
    if ! command -v "$program" >/dev/null; then
        missing+=("$program")
    fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "please install: ${missing[*]} (needs root and apt-get to do it here)" >&2
    exit 1
fi
echo "== installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
