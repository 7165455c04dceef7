#!/usr/bin/env bash
# crash-prune.sh: kill -9 a process that publishes and then prunes releases,
# ITERATIONS times on one store. After every kill the store opens, fsck
# passes, and every release is either whole or pruned (never a release with
# some blobs gone); at the end the same prunes run again complete, and the
# check still holds.
#
# The writer (crash_prune run) announces each phase on stdout; every line is
# kept in a journal the checker reads. Odd iterations kill at a random moment
# (0.05..1.2 s: from the open through the publishes into the prunes); even
# ones make the writer nap inside the write transaction of a random one of
# its six prunes, wait for that prune's "in-txn" line and kill it there:
# that release must then be whole (its prune never committed), and the test
# fails unless at least a third of the iterations were killed inside a prune
# transaction.
# Usage: crash-prune.sh CRASH_PRUNE [ITERATIONS]   (default 40)
set -euo pipefail
tool=$1 iterations=${2:-40}
work=$(mktemp -d /tmp/origind-crash-prune-XXXXXX)
trap 'rm -rf "$work"' EXIT
store=$work/store
journal=$work/journal
: >"$journal"
start=$SECONDS
killed=0 in_txn=0
for ((i = 1; i <= iterations; i++)); do
    out=$work/out.$i
    if ((i % 2 == 1)); then
        "$tool" run "$store" "$i" >"$out" 2>"$work/err" &
        pid=$!
        d=$((50 + RANDOM % 1150))
        sleep "$((d / 1000)).$(printf '%03d' $((d % 1000)))"
    else
        nth=$((1 + RANDOM % 6))
        "$tool" run "$store" "$i" "$nth" >"$out" 2>"$work/err" &
        pid=$!
        for ((w = 0; w < 600; w++)); do
            [ "$(grep -c '^in-txn ' "$out" || true)" -ge "$nth" ] && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
    fi
    if kill -KILL "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
    wait "$pid" 2>/dev/null || true
    if [ -s "$work/err" ]; then echo "iteration $i: writer complained:"; cat "$work/err"; exit 1; fi
    cat "$out" >>"$journal"
    last=$(tail -n 1 "$out")
    # only where the writer napped inside the transaction is the kill known to
    # have landed before its commit; a random kill just after "in-txn" may
    # have followed the commit (whole or pruned are both right then)
    case "$((i % 2)) $last" in
    "0 in-txn "*)
        in_txn=$((in_txn + 1))
        echo "killed-in-txn ${last#in-txn }" >>"$journal"
        ;;
    esac
    echo "iteration $i: killed after: ${last:-(nothing)}"
    if ! res=$("$tool" check "$store" "$i" "$journal"); then
        echo "iteration $i: check failed"; echo "$res"; exit 1
    fi
done
"$tool" finish "$store" "$iterations" >>"$journal" || { echo "the same prunes run again failed"; exit 1; }
res=$("$tool" check "$store" "$iterations" "$journal") || { echo "after finish: $res"; exit 1; }
case "$res" in *" 0 problems"*) ;; *) echo "after finish: $res"; exit 1 ;; esac
echo "$iterations runs, $killed killed mid-way ($in_txn inside a prune's write transaction)," \
    "in $((SECONDS - start)) s; final: $res"
if ((in_txn * 3 < iterations)); then
    echo "only $in_txn of $iterations kills landed inside a prune transaction (want a third)"
    exit 1
fi
