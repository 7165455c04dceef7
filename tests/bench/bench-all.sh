#!/usr/bin/env bash
# bench-all.sh - every origind benchmark, one after the other, with one command.
#
#   tests/bench/bench-all.sh [--record]
#
# Configures and builds build/ if needed (cmake -S . -B build; cmake --build build), then runs,
# each only if present:
#   bench-store.sh    store: commits, missing check, lookups at 10k vs 1M blobs, SHA-256
#   bench-ingest.sh   origin-ingest push vs rsync to 3 receivers
#   bench-serve.sh    origind vs nginx serving (wrk), origind memory
# Each one's full output goes to the terminal and to BENCH_LOG_DIR (default
# /var/tmp/origind-bench-logs-<date>). --record is passed to the scripts that accept it (they
# then update their own section of tests/bench/RESULTS.md). Environment variables are passed
# through (BENCH_SECONDS, BENCH_ROUNDS, BENCH_RUNS, ...: see each script's header).
# BENCH_ONLY="serve" (any of store ingest serve) runs only those.
# A failing benchmark does not stop the others; the exit status is non-zero if any failed.
# Run it alone: the benchmarks pin processes to cores and measure the whole machine.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
RECORD=()
for a in "$@"; do
    case "$a" in
    --record) RECORD=(--record) ;;
    -h | --help)
        sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "bench-all: unknown argument $a (try --help)" >&2
        exit 2
        ;;
    esac
done

LOGS="${BENCH_LOG_DIR:-/var/tmp/origind-bench-logs-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$LOGS"
cd "$REPO" || exit 1
if [ ! -f build/CMakeCache.txt ]; then
    echo "== configuring build/ (cmake -S . -B build)"
    cmake -S . -B build >"$LOGS/cmake.log" 2>&1 || { cat "$LOGS/cmake.log"; exit 1; }
fi
echo "== building (cmake --build build)"
cmake --build build -j"$(nproc)" >"$LOGS/build.log" 2>&1 || { tail -40 "$LOGS/build.log"; exit 1; }

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
failed=()
ran=0
for b in bench-store.sh bench-ingest.sh bench-serve.sh; do
    s="$HERE/$b"
    name="${b#bench-}"
    name="${name%.sh}"
    if [ -n "${BENCH_ONLY:-}" ] && [[ " $BENCH_ONLY " != *" $name "* ]]; then
        echo "== $b: not in BENCH_ONLY, skipped"
        continue
    fi
    if [ ! -f "$s" ]; then
        echo "== $b: not present, skipped"
        continue
    fi
    args=()
    if [ ${#RECORD[@]} -gt 0 ] && grep -q -- '--record' "$s"; then
        args=(--record)
    fi
    echo
    echo "==================== $b ${args[*]}  (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    t0=$(date +%s)
    bash "$s" "${args[@]}" 2>&1 | tee "$LOGS/${b%.sh}.log"
    rc=${PIPESTATUS[0]}
    ran=$((ran + 1))
    echo "==================== $b: exit $rc after $(($(date +%s) - t0)) s"
    [ "$rc" = 0 ] || failed+=("$b")
done
echo
echo "== done: $ran benchmark(s) run, logs in $LOGS; load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ ${#failed[@]} -gt 0 ]; then
    echo "== FAILED: ${failed[*]}" >&2
    exit 1
fi
