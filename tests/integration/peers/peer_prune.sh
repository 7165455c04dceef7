#!/usr/bin/env bash
# peer_prune: `origin-ingest prune` on a fleet. Two nodes pruned together
# (dry run first, which changes nothing; a policy that keeps nothing is
# refused; a node that cannot list stops everything, is named, and the same
# command run again finishes); pruned paths answer 410 on both; the same
# bytes pushed again are 200, other bytes a conflict (exit 3); a peer that
# has not pruned never brings a pruned release back; a third node joining
# from a peer afterwards gets the tombstones and nothing pruned.
. "$(dirname "$0")/peer_lib.sh"

# expect_status WHAT WANT URL
expect_status() {
    expect_eq "$1" "$(curl -sS -o /dev/null -w '%{http_code}' "$3")" "$2"
}

start A "$WORK/a"
start B "$WORK/b"
for r in 1 2 3; do
    mkdir -p "$WORK/s$r"
    printf 'release %s css %.0s' "$r" $(seq 1 50) >"$WORK/s$r/app$r.css"
    printf 'shared js' >"$WORK/s$r/common.js"
    "$ORIGIN_INGEST" push --node "$ADMIN_A" --node "$ADMIN_B" --token-file "$TOKEN_FILE" \
        --release "r$r" --keep-names --prefix / "$WORK/s$r" >"$WORK/push.out" 2>&1 ||
        { cat "$WORK/push.out" >&2; fail "push r$r"; }
    sleep 1.1 # distinct publish seconds: --keep-last orders by time
done
# U: a peer that caught up before the prune and is never told about it
start U "$WORK/u" --peer "$ADMIN_A" --peer-interval 3600 --access-log "$WORK/u.access"
wait_healthy "$PUBLIC_U" 30 || fail "U did not catch up"
expect_eq "U releases" "$(stat_of "$ADMIN_U" releases)" 3

prune() {
    set +e
    "$ORIGIN_INGEST" prune "$@" --token-file "$TOKEN_FILE" >"$WORK/out" 2>"$WORK/err"
    RC=$?
    set -e
}

prune --node "$ADMIN_A" --node "$ADMIN_B"
expect_eq "keeps nothing: exit" "$RC" 2
grep -q 'keeps nothing' "$WORK/err" || fail "no reason for the refusal: $(cat "$WORK/err")"
prune --node "$ADMIN_A" --node "$ADMIN_B" --keep no-such-release
expect_eq "keeps none present: exit" "$RC" 2
ok "a policy that keeps nothing is refused"

prune --node "$ADMIN_A" --node "$ADMIN_B" --keep-last 1 --dry-run --json
expect_eq "dry run exit" "$RC" 0
expect_eq "dry prune set" "$(jq -r '.prune | sort | join(",")' "$WORK/out")" "r1,r2"
expect_eq "dry keep set" "$(jq -r '.keep | join(",")' "$WORK/out")" "r3"
expect_eq "dry nodes" "$(jq -r '[.nodes[] | .pruned] | join(",")' "$WORK/out")" "2,2"
expect_eq "dry r1 blobs" "$(jq -r '.nodes[0].releases[] | select(.id=="r1") | .blobs' "$WORK/out")" 1
expect_status "app1 after dry run" 200 "$PUBLIC_A/app1.css"
ok "dry run lists per node, changes nothing"

# a node that cannot list: nothing pruned anywhere, the node is named
prune --node "$ADMIN_A" --node "http://127.0.0.1:1" --keep-last 1
expect_eq "unreachable node: exit" "$RC" 4
grep -q '127.0.0.1:1' "$WORK/err" || fail "failing node not named: $(cat "$WORK/err")"
expect_status "app1 after failed run" 200 "$PUBLIC_A/app1.css"

prune --node "$ADMIN_A" --node "$ADMIN_B" --keep-last 1
expect_eq "prune exit" "$RC" 0
for n in A B; do
    pub="PUBLIC_$n"
    curl -sS -D "$WORK/h" -o /dev/null "${!pub}/app1.css"
    expect_eq "$n app1 status" "$(status_of "$WORK/h")" 410
    expect_eq "$n app1 no-store" "$(header_of "$WORK/h" Cache-Control)" no-store
    expect_status "$n app2" 410 "${!pub}/app2.css"
    expect_status "$n app3" 200 "${!pub}/app3.css"
    expect_status "$n common" 200 "${!pub}/common.js"
done
prune --node "$ADMIN_A" --node "$ADMIN_B" --keep-last 1
expect_eq "again: exit" "$RC" 0
grep -q 'pruning 0 of 1' "$WORK/out" || fail "second run not a no-op: $(cat "$WORK/out")"
ok "two nodes pruned together: 410 + no-store, the same command again is a no-op"

# same bytes again: 200; other bytes at a pruned path: conflict
mkdir -p "$WORK/s4"
cp "$WORK/s1/app1.css" "$WORK/s4/app1.css"
"$ORIGIN_INGEST" push --node "$ADMIN_A" --node "$ADMIN_B" --token-file "$TOKEN_FILE" \
    --release r4 --keep-names --prefix / "$WORK/s4" >"$WORK/push.out" 2>&1 || fail "re-push same bytes"
expect_status "app1 again on A" 200 "$PUBLIC_A/app1.css"
expect_status "app1 again on B" 200 "$PUBLIC_B/app1.css"
mkdir -p "$WORK/s5"
printf 'other bytes' >"$WORK/s5/app2.css"
set +e
"$ORIGIN_INGEST" push --node "$ADMIN_A" --node "$ADMIN_B" --token-file "$TOKEN_FILE" \
    --release r5 --keep-names --prefix / "$WORK/s5" >"$WORK/push.out" 2>&1
rc=$?
set -e
expect_eq "other bytes at a pruned path: exit" "$rc" 3
ok "re-publish same bytes 200, other bytes exit 3"

# B restarted with the unpruned U as its peer: r1 does not come back
origind_stop "$PID_B" || true
start B "$WORK/b" --peer "$ADMIN_U" --peer-interval 1
wait_healthy "$PUBLIC_B" 30 || fail "B did not come back"
# B's anti-entropy rounds against U (one a second) each list U's releases:
# wait until U has answered two more listings than when B came up, so at
# least one whole round ran after the catch-up (a condition, not a sleep)
lists() { grep -c ' GET /v1/releases ' "$WORK/u.access" || true; }
n0="$(lists)"
for _ in $(seq 1 300); do
    [ "$(lists)" -ge $((n0 + 2)) ] && break
    sleep 0.1
done
[ "$(lists)" -ge $((n0 + 2)) ] || fail "B listed U's releases $(($(lists) - n0)) times in 30 s, want 2"
expect_status "B app2 with an unpruned peer" 410 "$PUBLIC_B/app2.css"
curl -sS -H "Authorization: Bearer $TOKEN" "$ADMIN_B/v1/releases" >"$WORK/rb.json"
expect_eq "B releases" "$(jq -r '[.releases[].id] | sort | join(",")' "$WORK/rb.json")" "r3,r4"
ok "a peer that has not pruned never brings a pruned release back"

# C joins from A afterwards: the tombstones come along, nothing pruned does
start C "$WORK/c" --peer "$ADMIN_A" --peer-interval 1
wait_healthy "$PUBLIC_C" 30 || fail "C did not catch up"
curl -sS -H "Authorization: Bearer $TOKEN" "$ADMIN_C/v1/releases" >"$WORK/rc.json"
expect_eq "C releases" "$(jq -r '[.releases[].id] | sort | join(",")' "$WORK/rc.json")" "r3,r4"
curl -sS -H "Authorization: Bearer $TOKEN" "$ADMIN_C/v1/tombstones" >"$WORK/tc.json"
expect_eq "C tombstones" "$(jq -r '[.tombstones[].id] | join(",")' "$WORK/tc.json")" "r1,r2"
expect_status "C app3" 200 "$PUBLIC_C/app3.css"
expect_status "C app2" 404 "$PUBLIC_C/app2.css"
# and U, pointed at A, takes the tombstones over: prunes itself
origind_stop "$PID_U" || true
start U "$WORK/u" --peer "$ADMIN_A" --peer-interval 1
wait_healthy "$PUBLIC_U" 30 || fail "U did not come back"
for i in $(seq 1 50); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$PUBLIC_U/app2.css")" = 410 ] && break
    sleep 0.2
done
expect_status "U app2 after taking the tombstones over" 410 "$PUBLIC_U/app2.css"
ok "a third node joining later gets the tombstones; tombstones travel to an unpruned peer"

# every store is consistent after the prunes and the tombstones: fsck on the
# stopped stores (nothing writing), each must pass
for n in A B C U; do
    pid="PID_$n"
    origind_stop "${!pid}" || fail "node $n did not stop cleanly"
done
for s in a b c u; do
    "$ORIGIND" fsck --store "$WORK/$s" >"$WORK/fsck-$s.out" 2>&1 ||
        fail "fsck of node ${s^^}'s store: $(tail -3 "$WORK/fsck-$s.out")"
done
ok "fsck passes on all four stopped stores"
