#!/usr/bin/env bash
# `make test`: run every stage, keep going past failures so one run reports them
# all, print per-stage timings, and end with the pytest totals on one line.
set -uo pipefail

stages=(lint sanity units emulator-tests integration reliability checks packaging ecosystem)
report_dir=tests/output/junit
rm -rf "$report_dir"
mkdir -p "$report_dir"

timings=()
failed_stages=()

run_stage() {
    local stage=$1 started status
    echo
    echo "===== $stage"
    started=$(date +%s)
    make --no-print-directory "$stage"
    status=$?
    local elapsed=$(( $(date +%s) - started ))
    local outcome=ok
    if [[ $status -ne 0 ]]; then
        outcome=FAILED
        failed_stages+=("$stage")
    fi
    timings+=("$(printf '%-16s %5d s  %s' "$stage" "$elapsed" "$outcome")")
    return $status
}

all_started=$(date +%s)
if run_stage venvs; then
    for stage in "${stages[@]}"; do
        run_stage "$stage"
    done
else
    echo "virtual environments could not be prepared; no other stage can run" >&2
fi

echo
echo "===== stage timings"
printf '%s\n' "${timings[@]}"
echo "total            $(( $(date +%s) - all_started )) s"
if [[ ${#failed_stages[@]} -gt 0 ]]; then
    echo "failed stages: ${failed_stages[*]}"
fi
python3 hack/junit_summary.py "$report_dir"
[[ ${#failed_stages[@]} -eq 0 ]]
