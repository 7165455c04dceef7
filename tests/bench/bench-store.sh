#!/usr/bin/env bash
# bench-store.sh: store benchmark (not a test): commits, missing check,
# lookups at 10k vs 1M blobs, SHA-256 vs `openssl speed`.
# Usage: tests/bench/bench-store.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
cmake --build "$build" -j2 --target bench_store >/dev/null
work=$(mktemp -d /tmp/origind-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "== openssl speed -evp sha256 -bytes 16384 -seconds 3"
line=$(openssl speed -evp sha256 -bytes 16384 -seconds 3 2>/dev/null | grep -i '^sha256' | tail -1)
echo "$line"
# The figure is in 1000s of bytes per second, e.g. "1234567.89k".
kbs=$(echo "$line" | awk '{print $NF}' | tr -d 'k')
echo "== bench_store (store in $work)"
"$build/bin/bench_store" "$work" "$kbs"
