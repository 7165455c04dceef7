#!/usr/bin/env bash
# crash-test.sh: kill -9 a store writer at random moments, then check that the
# store opens, fsck passes, and everything reported committed is there.
# Usage: crash-test.sh CRASH_WRITER CRASH_CHECK [ITERATIONS]   (default 60)
set -euo pipefail
writer=$1 check=$2 iterations=${3:-60}
work=$(mktemp -d /tmp/origind-crash-XXXXXX)
trap 'rm -rf "$work"' EXIT
store=$work/store
logs=()
start=$SECONDS
for ((i = 1; i <= iterations; i++)); do
    log=$work/log.$i
    logs+=("$log")
    # Created here, not by the child's redirection: a kill that lands before the
    # forked child has opened them (a loaded machine) must leave empty files.
    : >"$log"
    : >"$work/err.$i"
    "$writer" "$store" "$i" >"$log" 2>"$work/err.$i" &
    pid=$!
    # 20..220 ms: from mid-open to dozens of commits in.
    sleep "0.$(printf '%03d' $((20 + RANDOM % 200)))"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null && { echo "writer exited by itself:"; cat "$work/err.$i"; exit 1; }
    if [ -s "$work/err.$i" ]; then echo "writer $i complained:"; cat "$work/err.$i"; exit 1; fi
    if ! out=$("$check" "$store" "${logs[@]}"); then
        echo "iteration $i: check failed"; echo "$out"; exit 1
    fi
done
# the run proves something only if the writers committed work before their
# kills: every committed line in the logs was checked above
committed=$(cat "${logs[@]}" | wc -l)
[ "$committed" -gt 0 ] || { echo "no writer reported a commit before its kill: nothing was tested"; exit 1; }
case "$out" in
*"verified 0 blobs"*) echo "the store holds no verified blob after $iterations writers: $out"; exit 1 ;;
esac
echo "$iterations kills in $((SECONDS - start)) s; $committed commits reported and checked; last check: $out"
