#!/usr/bin/env bash
# bench-fairness.sh - 10 MiB answers to 64 keep-alive connections under different
# per-connection send settings: req/s, p99, wrk timeouts (requests over 2 s) and the
# kernel's TCP memory (peak of /proc/net/sockstat samples).
#
#   tests/bench/bench-fairness.sh ["FLAGS" ...]   (not part of ctest: run it on purpose, alone)
#
# Each argument is one set of extra `origind serve` flags (default: the table of
# RESULTS.md, Serving, 2026-12-01). One origind on core 0 (--threads 1), one 10 MiB
# random png pushed with origin-ingest, wrk -t1 -c64 on core 1: 2 s warm-up, then
# BENCH_SECONDS (6) measured.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SECS="${BENCH_SECONDS:-6}"
export ORIGIND_BIN_DIR="${ORIGIND_BIN_DIR:-$REPO/build/bin}" ORIGIND_LIB_NO_TRAP=1
. "$REPO/tests/lib.sh"
for t in wrk taskset; do command -v "$t" >/dev/null || { echo "bench-fairness: $t not found" >&2; exit 1; }; done
[ $# -gt 0 ] || set -- "--sendfile-min 0 --tcp-notsent-lowat 0" \
    "--sendfile-min 0 --tcp-notsent-lowat 0 --send-buffer 256K" \
    "--sendfile-min 0 --tcp-notsent-lowat 512K" "--sendfile-min 0 --tcp-notsent-lowat 1M" \
    "--sendfile-min 64K --sendfile-max 0" ""

B="$(mktemp -d /var/tmp/origind-bench-fairness.XXXXXX)"
trap 'origind_cleanup; rm -rf "$B"' EXIT
mkdir -p "$B/site"
head -c 10485760 /dev/urandom >"$B/site/c.png"
echo "| origind flags | req/s | p99 | wrk timeouts | TCP mem pages (peak) |"
echo "|---|---:|---:|---:|---:|"
for flags in "$@"; do
    rm -rf "$B/store"
    # shellcheck disable=SC2086 # a list of flags
    origind_start "$B/store" --threads 1 --log-level warn --drain-seconds 0 $flags >/dev/null
    taskset -a -cp 0 "$NODE_PID" >/dev/null
    "$ORIGIN_INGEST" push --node "$NODE_ADMIN" --token-file "$NODE_TOKEN_FILE" --release p \
        --prefix /assets --keep-names --compress none --cache-dir none --quiet "$B/site"
    u="$NODE_PUBLIC/assets/c.png"
    taskset -c 1 wrk -t1 -c64 -d2s "$u" >/dev/null
    taskset -c 1 wrk -t1 -c64 -d"${SECS}s" --latency "$u" >"$B/wrk.txt" &
    w=$!
    peak=0
    for _ in $(seq 1 $((SECS * 2 - 2))); do
        sleep 0.5
        m="$(awk '$1 == "TCP:" { print $NF }' /proc/net/sockstat)"
        [ "$m" -gt "$peak" ] && peak="$m"
    done
    wait "$w"
    rps="$(awk '/Requests\/sec/ { print $2 }' "$B/wrk.txt")"
    p99="$(awk '$1 == "99%" { print $2 }' "$B/wrk.txt")"
    to="$(sed -n 's/.*timeout \([0-9]*\).*/\1/p' "$B/wrk.txt")"
    echo "| ${flags:-(defaults)} | $rps | $p99 | ${to:-0} | $peak |"
    origind_stop "$NODE_PID" >/dev/null 2>&1
done
