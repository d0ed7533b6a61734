#!/usr/bin/env bash
# Sanity findings are fixed, not ignored: tests/sanity/ignore-*.txt must be absent or empty.
set -euo pipefail

status=0
for ignore_file in tests/sanity/ignore-*.txt; do
    [[ -e $ignore_file ]] || continue
    if grep -qv '^[[:space:]]*$' "$ignore_file"; then
        echo "$ignore_file has entries; fix the findings instead:" >&2
        grep -v '^[[:space:]]*$' "$ignore_file" >&2
        status=1
    fi
done
if [[ $status -eq 0 ]]; then
    echo "no sanity ignore entries"
fi
exit $status
