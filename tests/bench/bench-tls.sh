#!/usr/bin/env bash
# bench-tls.sh - what TLS costs per request on the public listener: two nodes
# from the same build, one plain HTTP, one --tls-cert (a P-256 certificate
# made here), the same 2 KiB and 1 MiB assets. A small measurement, not a
# load test: 100 new connections per case with curl (time_total: connect +
# handshake + request), then ab keep-alive at 4 connections.
# Usage: tests/bench/bench-tls.sh [BUILD_DIR]   (default build)
set -euo pipefail
cd "$(dirname "$0")/../.."
export ORIGIND_BIN_DIR="$PWD/${1:-build}/bin"
. tests/lib.sh
W="$(origind_tmpdir)"
tls_make_certs "$W/c"
mkdir -p "$W/site"
head -c 2048 /dev/urandom >"$W/site/small.bin"
head -c 1048576 /dev/urandom >"$W/site/big.bin"
origind_start "$W/plain" >/dev/null
PP="$NODE_PUBLIC"
"$ORIGIN_INGEST" push --node "$NODE_ADMIN" --token-file "$NODE_TOKEN_FILE" --release b --keep-names \
    --cache-dir none --quiet "$W/site"
origind_start "$W/tls" --tls-cert "$W/c/server.pem" --tls-key "$W/c/server.key" >/dev/null
TP="$NODE_PUBLIC"
"$ORIGIN_INGEST" push --node "$NODE_ADMIN" --token-file "$NODE_TOKEN_FILE" --release b --keep-names \
    --cache-dir none --quiet "$W/site"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for f in small.bin big.bin; do
    for u in "$PP" "$TP"; do
        for _ in $(seq 1 100); do
            curl -s -o /dev/null --cacert "$W/c/ca.pem" -w '%{time_total}\n' "$u/assets/$f"
        done | sort -n | awk -v l="$f ${u%%:*}" '{a[NR] = $1}
            END {printf "%-15s new connection each: median %.2f ms, p90 %.2f ms\n", l, a[int(NR / 2)] * 1000, a[int(NR * 0.9)] * 1000}'
    done
done
for f in small.bin big.bin; do
    n=3000
    [ "$f" = big.bin ] && n=400
    for u in "$PP" "$TP"; do
        ab -q -k -n "$n" -c 4 "$u/assets/$f" 2>&1 | awk -v l="$f ${u%%:*}" '
            /^Requests per second/ {r = $4} /^Failed requests/ {e = $3}
            /^Time per request:.*\(mean\)$/ {t = $4}
            END {printf "%-15s keep-alive, ab -k -c 4: %.0f req/s, %.3f ms mean, %s failed\n", l, r, t, e}'
    done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
