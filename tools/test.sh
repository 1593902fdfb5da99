#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The README's second command: installs what is missing, builds, and runs the whole test suite
# twice: a normal build, then an ASan+UBSan build. Ends with one line 'N passed, N failed, N skipped'
# over both runs. Needs root (network namespaces, macvtap, QEMU guests).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash tools/install-deps.sh || exit 1
# One kernel cache for both builds (the .deb is ~70 MB, unpacked ~480 MB).
: "${VNIC_GUEST_CACHE:=$top/.cache/guest}"
export VNIC_GUEST_CACHE

status=0
total_pass=0 total_fail=0 total_skip=0

run_suite() {
        local dir=$1; shift
        echo "=== build $dir: meson setup $* ==="
        if [ ! -d "$dir" ]; then
                meson setup "$dir" "$@" >/dev/null || { echo "meson setup $dir failed"; status=1; return; }
        fi
        ninja -C "$dir" || { echo "build $dir failed"; status=1; total_fail=$((total_fail + 1)); return; }
        echo "=== test $dir ==="
        meson test -C "$dir" --print-errorlogs --num-processes 2 || status=1
        local log=$dir/meson-logs/testlog.json
        if [ -f "$log" ]; then
                local p f s
                p=$(jq -s '[.[] | select(.result == "OK" or .result == "EXPECTEDFAIL")] | length' "$log")
                f=$(jq -s '[.[] | select(.result == "FAIL" or .result == "TIMEOUT" or .result == "ERROR" or .result == "UNEXPECTEDPASS")] | length' "$log")
                s=$(jq -s '[.[] | select(.result == "SKIP")] | length' "$log")
                jq -rs '.[] | select(.result == "SKIP") | "skipped: \(.name): \(.stdout // "" | split("\n") | map(select(test("SKIP"))) | first // "no reason printed")"' "$log"
                total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + s))
        fi
}

run_suite build-test
run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false

echo "${total_pass} passed, ${total_fail} failed, ${total_skip} skipped"
[ "$total_fail" -eq 0 ] || status=1
exit "$status"
