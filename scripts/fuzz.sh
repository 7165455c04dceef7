#!/usr/bin/env bash
# fuzz.sh: long libFuzzer runs of every driver in tests/fuzz (not part of CI).
# Builds build-fuzz with clang (-DORIGIND_FUZZ=ON), then runs each driver in
# turn (one core at a time) for SECONDS (default 600), starting from the
# committed corpus. A crash is copied into tests/fuzz/corpus/<target>/ as a
# regression case (ctest replays it from then on) and the run goes on with
# the next driver. One line per driver is appended to build-fuzz/fuzz-results.txt:
#   target seconds execs exec/s cov ft corpus crashes
# Usage: scripts/fuzz.sh [--seconds N] [--merge] [TARGET ...]
#   --merge   also merge new coverage-increasing inputs into the committed corpus
set -euo pipefail
cd "$(dirname "$0")/.."
secs=600
merge=0
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
    --seconds) secs="$2"; shift 2 ;;
    --merge) merge=1; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=(target release_body bundle range if_none_match
                                      accept_encoding missing_body list_params answer)

CC=clang cmake -S . -B build-fuzz -DORIGIND_FUZZ=ON -DORIGIND_WERROR=OFF >/dev/null
for t in "${targets[@]}"; do
    cmake --build build-fuzz -j2 --target "fuzz_$t" >/dev/null
done
mkdir -p build-fuzz/fuzz-work build-fuzz/fuzz-artifacts
results=build-fuzz/fuzz-results.txt
for t in "${targets[@]}"; do
    work=build-fuzz/fuzz-work/$t
    log=build-fuzz/fuzz-work/$t.log
    mkdir -p "$work"
    cp -n tests/fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
    echo "== fuzz_$t for ${secs}s (log $log)"
    rc=0
    # artifacts of earlier runs were copied into the corpus then: count only new ones
    rm -f build-fuzz/fuzz-artifacts/"$t"-*
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ASAN_OPTIONS=detect_leaks=1 \
        nice -n 5 build-fuzz/bin/fuzz_"$t" -max_total_time="$secs" -max_len=16384 \
        -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix=build-fuzz/fuzz-artifacts/"$t"- "$work" >"$log" 2>&1 || rc=$?
    crashes=0
    for a in build-fuzz/fuzz-artifacts/"$t"-*; do
        [ -e "$a" ] || continue
        crashes=$((crashes + 1))
        cp "$a" tests/fuzz/corpus/"$t"/regress-"$(basename "$a" | sed "s/^$t-//")"
        echo "   crash kept as tests/fuzz/corpus/$t/regress-$(basename "$a" | sed "s/^$t-//")"
    done
    execs=$(awk '/stat::number_of_executed_units/ {print $NF}' "$log" | tail -1)
    rate=$(awk '/stat::average_exec_per_sec/ {print $NF}' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
    echo "$t ${secs} ${execs:-?} ${rate:-?} ${cov:-?} ${ft:-?} ${corp:-?} $crashes rc=$rc $(date -u +%FT%TZ)" \
        | tee -a "$results"
    if [ "$merge" = 1 ]; then
        build-fuzz/bin/fuzz_"$t" -merge=1 -max_len=16384 tests/fuzz/corpus/"$t" "$work" \
            >>"$log" 2>&1 || true
    fi
done
