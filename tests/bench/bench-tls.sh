#!/usr/bin/env bash
# bench-tls.sh - origind vs nginx vs h2o over HTTPS, side by side: bench-serve.sh with
# BENCH_TLS=1 (the same ECDSA P-256 certificate for all three, TLS 1.2/1.3, session
# resumption off for all, one server core, wrk on the other), at the sizes CloudFront
# fetches most (2 KiB, 100 KiB, 1 MiB), keep-alive with 32 connections and a new
# connection per request (handshakes/s).
#
#   tests/bench/bench-tls.sh [--record]    (writes "## Serving over HTTPS" in RESULTS.md)
#
# Every variable of bench-serve.sh applies; these defaults differ: BENCH_SIZES="2k 100k 1m",
# BENCH_KINDS=png, BENCH_MODES="keepalive close", BENCH_CONNS=32.
set -euo pipefail
export BENCH_TLS=1
export BENCH_SIZES="${BENCH_SIZES:-2k 100k 1m}"
export BENCH_KINDS="${BENCH_KINDS:-png}"
export BENCH_MODES="${BENCH_MODES:-keepalive close}"
export BENCH_CONNS="${BENCH_CONNS:-32}"
exec "$(dirname "$0")/bench-serve.sh" "$@"
