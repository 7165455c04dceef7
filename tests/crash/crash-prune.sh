#!/usr/bin/env bash
# crash-prune.sh: kill -9 a process that publishes and then prunes releases,
# at random moments, ITERATIONS times on one store. After every kill the
# store opens, fsck passes, and every release is either whole or pruned
# (never a release with some blobs gone); at the end the same prunes run
# again complete, and the check still holds.
# Usage: crash-prune.sh CRASH_PRUNE [ITERATIONS]   (default 40)
set -euo pipefail
tool=$1 iterations=${2:-40}
work=$(mktemp -d /tmp/origind-crash-prune-XXXXXX)
trap 'rm -rf "$work"' EXIT
store=$work/store
start=$SECONDS
killed=0
for ((i = 1; i <= iterations; i++)); do
    "$tool" run "$store" "$i" >/dev/null 2>"$work/err" &
    pid=$!
    # 0.05..1.2 s: from the open through the publishes into the prunes
    d=$((50 + RANDOM % 1150))
    sleep "$((d / 1000)).$(printf '%03d' $((d % 1000)))"
    if kill -KILL "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
    wait "$pid" 2>/dev/null || true
    if [ -s "$work/err" ]; then echo "iteration $i: writer complained:"; cat "$work/err"; exit 1; fi
    if ! out=$("$tool" check "$store" "$i"); then
        echo "iteration $i: check failed"; echo "$out"; exit 1
    fi
done
"$tool" finish "$store" "$iterations" || { echo "the same prunes run again failed"; exit 1; }
out=$("$tool" check "$store" "$iterations") || { echo "after finish: $out"; exit 1; }
case "$out" in *" 0 problems"*) ;; *) echo "after finish: $out"; exit 1 ;; esac
echo "$iterations runs, $killed killed mid-way, in $((SECONDS - start)) s; final: $out"
