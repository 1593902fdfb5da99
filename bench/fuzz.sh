#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/fuzz: every libFuzzer target of the project for a fixed number of executions; prints,
# per target, the executions done and the coverage reached, as a table.
#
# Targets: the lists fuzz_targets, fuzz_netlink_targets and fuzz_xml_targets of
# tests/fuzz/meson.build (all of them, or the TARGETs named). Build: build-fuzz at the top of the
# checkout (VNIC_FUZZ_BUILD_DIR to use another), set up with 'CC=clang meson setup build-fuzz
# -Dfuzz=true' when it is not configured yet (tools/install-deps.sh first if clang is missing:
# as root it installs it), then only the fuzz binaries are built. Each target runs as
#   fuzz-NAME -runs=RUNS -seed=1 -print_final_stats=1 [-dict=D] -artifact_prefix=TMP/ TMP/corpus
# on a copy of tests/fuzz/corpus/NAME/ in a temporary directory, so new inputs never reach the
# repository's corpus. D is the tests/fuzz/*.dict whose first line names fuzz-NAME (qmp.dict for
# qmp-stream and rx-filter, hmp.dict for hmp-network, config.dict for config-file). UBSAN_OPTIONS
# as in 'meson test --suite fuzz'. -seed=1 fixes libFuzzer's own random choices, not all it feeds
# on: values the targets compare (pointers among them) become mutation material, and json-c and
# libxml2 seed their hash functions at random in each process, so two runs of one build differ by
# a few percent in cov, ft and corpus (link-info, bridge-port and fdb-entry repeated exactly).
#
# Columns (from libFuzzer's status lines and -print_final_stats=1):
#   execs    stat::number_of_executed_units (the corpus load counts)
#   exec/s   execs / seconds (libFuzzer's own figure rounds to 0 on short runs)
#   cov      edges covered at the end (the DONE line, or the last status line before a crash)
#   ft       features (edges with hit counts, value profiles...) at the end
#   corpus   corpus units kept after loading the seeds (INITED) -> at the end
#   new      stat::new_units_added
#   crash    0, or the input that crashed (crash-*, leak-*, timeout-*, oom-*), moved to
#            build-fuzz/fuzz-artifacts/NAME/ with the target's log before the temporary
#            directory goes; "exit N" if the target failed without writing one
#   s        wall seconds of the target
# Exits 1 if any target crashed or failed, naming the input and the sanitizer's SUMMARY line.
# Not a pass/fail test (not in meson's suites): a bench run by hand. With -j JOBS, JOBS targets
# run at once (each is one process); seconds are comparable only between runs with the same -j.
#
#   bench/fuzz.sh                         (every target, 20000 executions each, one at a time)
#   bench/fuzz.sh -n 200000 -j 4 qmp-stream rx-filter
set -u
export LC_ALL=C # "." in $EPOCHREALTIME and in awk's numbers
top=$(cd "$(dirname "$0")/.." && pwd)
fuzzdir=$top/tests/fuzz
: "${VNIC_FUZZ_BUILD_DIR:=$top/build-fuzz}"
build=$VNIC_FUZZ_BUILD_DIR

usage() { echo "usage: $0 [-n RUNS] [-j JOBS] [TARGET...]"; }
runs=20000
njobs=1
while getopts n:j:h opt; do
        case $opt in
        n) runs=$OPTARG ;;
        j) njobs=$OPTARG ;;
        h) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
        esac
done
shift $((OPTIND - 1))
[[ $runs =~ ^[0-9]+$ ]] || { usage >&2; exit 2; }
[[ $njobs =~ ^[1-9][0-9]*$ ]] || { usage >&2; exit 2; }

# The targets, in the order meson.build lists them.
mapfile -t all < <(grep -E "^fuzz_[a-z_]*targets = \[" "$fuzzdir/meson.build" | grep -oE "'[^']+'" | tr -d "'")
[ "${#all[@]}" -gt 0 ] || { echo "fuzz: no targets found in tests/fuzz/meson.build" >&2; exit 1; }
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=("${all[@]}")
for t in "${targets[@]}"; do
        [[ " ${all[*]} " == *" $t "* ]] || { echo "fuzz: unknown target '$t'; targets: ${all[*]}" >&2; exit 2; }
done

rel() { echo "${1#"$top"/}"; } # a path as printed: relative to the checkout when inside it

tmp=$(mktemp -d -t vnic-fuzz.XXXXXX) || exit 1
# shellcheck disable=SC2317  # called through the trap
cleanup() {
        local p
        for p in "$tmp"/*/pid; do
                [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
        done
        for p in $(jobs -p); do kill "$p" 2>/dev/null; done
        wait 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ ! -f "$build/build.ninja" ]; then
        command -v clang >/dev/null || bash "$top/tools/install-deps.sh" || exit 1
        echo "fuzz: setting up $(rel "$build") (CC=clang, -Dfuzz=true)" >&2
        CC=clang meson setup "$build" "$top" -Dfuzz=true >"$tmp/setup.log" 2>&1 ||
                { cat "$tmp/setup.log" >&2; exit 1; }
fi
grep -q '"name": "fuzz", "value": true' "$build/meson-info/intro-buildoptions.json" 2>/dev/null || {
        echo "fuzz: $(rel "$build") is not a -Dfuzz=true build; remove it or: meson configure $(rel "$build") -Dfuzz=true" >&2
        exit 1
}
ninja -C "$build" "${targets[@]/#/tests/fuzz/fuzz-}" >"$tmp/build.log" 2>&1 ||
        { cat "$tmp/build.log" >&2; echo "fuzz: build failed" >&2; exit 1; }

run_one() { # NAME: writes $tmp/NAME/{log,status}
        local name=$1 d=$tmp/$1 dict=() f t0 rc
        mkdir -p "$d/corpus" "$d/artifacts"
        cp -- "$fuzzdir/corpus/$name"/* "$d/corpus/"
        for f in "$fuzzdir"/*.dict; do
                [ -f "$f" ] || continue
                if head -n 1 "$f" | grep -qE "(^|[^a-z-])fuzz-$name([^a-z-]|\$)"; then
                        dict=("-dict=$f")
                        break
                fi
        done
        t0=$EPOCHREALTIME
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$build/tests/fuzz/fuzz-$name" \
                -runs="$runs" -seed=1 -print_final_stats=1 "${dict[@]}" \
                -artifact_prefix="$d/artifacts/" "$d/corpus" >"$d/log" 2>&1 &
        echo $! >"$d/pid"
        wait $!
        rc=$?
        rm -f "$d/pid"
        echo "$rc $t0 $EPOCHREALTIME" >"$d/status"
}

echo "fuzz: ${#targets[@]} targets, -runs=$runs -seed=1, $njobs at a time, build $(rel "$build")"
for t in "${targets[@]}"; do
        while [ "$(jobs -rp | wc -l)" -ge "$njobs" ]; do wait -n; done
        run_one "$t" &
done
wait

fmt='%-12s %9s %9s %6s %7s %11s %6s %7s  %s\n'
# shellcheck disable=SC2059  # the format is the constant above
printf "$fmt" target execs exec/s cov ft corpus new s crash
report=()
for t in "${targets[@]}"; do
        d=$tmp/$t
        read -r rc t0 t1 <"$d/status" || { rc=1 t0=0 t1=0; }
        secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
        # execs cov ft corpus-at-INITED corpus-at-end new
        read -r execs cov ft c0 c1 new < <(awk '
                function field(name,   i) { for (i = 1; i < NF; i++) if ($i == name) return $(i + 1); return "-" }
                /^#[0-9]+[ \t]+[A-Z]+[ \t]+cov: / {
                        n = substr($1, 2); cov = field("cov:"); ft = field("ft:")
                        c = field("corp:"); sub(/\/.*/, "", c)
                        if ($2 == "INITED") c0 = c
                        c1 = c
                }
                /^stat::number_of_executed_units:/ { execs = $2 }
                /^stat::new_units_added:/ { new = $2 }
                END {
                        if (execs == "") execs = (n == "" ? "-" : n)
                        print execs, (cov == "" ? "-" : cov), (ft == "" ? "-" : ft),
                                (c0 == "" ? "-" : c0), (c1 == "" ? "-" : c1), (new == "" ? "-" : new)
                }' "$d/log")
        rate=$(awk -v n="$execs" -v a="$t0" -v b="$t1" \
                'BEGIN { if (n ~ /^[0-9]+$/ && b > a) printf "%d", n / (b - a); else print "-" }')
        crash=0
        mapfile -t arts < <(find "$d/artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' \
                -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
        if [ "${#arts[@]}" -gt 0 ] || [ "$rc" -ne 0 ]; then
                keep=$build/fuzz-artifacts/$t
                mkdir -p "$keep"
                cp -- "$d/log" "$keep/fuzz.log"
                crash="exit $rc"
                summary=$(grep -m 1 '^SUMMARY:' "$d/log" || tail -n 1 "$d/log")
                report+=("fuzz-$t FAILED: $summary")
                for a in "${arts[@]}"; do
                        mv -- "$a" "$keep/"
                        a=$(rel "$keep/$(basename "$a")")
                        [ "$crash" != "exit $rc" ] || crash=$a
                        report+=("  input:  $a" "  replay: $(rel "$build")/tests/fuzz/fuzz-$t $a")
                done
                report+=("  log:    $(rel "$keep/fuzz.log")")
        fi
        # shellcheck disable=SC2059
        printf "$fmt" "$t" "$execs" "$rate" "$cov" "$ft" "$c0->$c1" "$new" "$secs" "$crash"
done

[ "${#report[@]}" -eq 0 ] && exit 0
echo
printf '%s\n' "${report[@]}"
exit 1
