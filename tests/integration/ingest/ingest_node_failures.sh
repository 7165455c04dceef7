#!/usr/bin/env bash
# ingest_node_failures: a node down (exit 4, named; the others still get the
# release), a node that comes up late (connection errors retried), a node
# answering 503 then recovering (5xx retried), a 400 (never retried), and a
# wrong token (exit 4, 401 named, token never printed); the same for prune.
. "$(dirname "$0")/ingest_lib.sh"

start_nodes 2
S="$WORK/site"
mkdir -p "$S/js"
for i in $(seq 1 30); do printf 'var v%d = "%0500d";\n' "$i" "$i" >"$S/js/f$i.js"; done

# 1. A node down: exit 4 naming it; the live node has the whole release.
refused_port # held for the whole test: no other test can start listening there
DEAD="http://127.0.0.1:$REFUSED_PORT"
run_ingest push --node "${ADMIN[0]}" --node "$DEAD" --token-file "$TOKEN_FILE" --release r1 \
    --retries 2 --json "$S"
expect_eq "node down exit" "$RC" 4
grep -q "node $DEAD: failed:.*after retries" "$WORK/err" || fail "dead node not named: $(cat "$WORK/err")"
expect_eq "dead outcome" "$(json_get "$WORK/out" "d['nodes'][1]['outcome']")" failed
expect_eq "live outcome" "$(json_get "$WORK/out" "d['nodes'][0]['outcome']")" published
ingest verify --node "${ADMIN[0]}" --token-file "$TOKEN_FILE" --release r1 2>/dev/null || fail "live node incomplete"
run_ingest verify --node "${ADMIN[0]}" --node "$DEAD" --token-file "$TOKEN_FILE" --release r1 --retries 1
expect_eq "verify with a dead node" "$RC" 4
grep -q "$DEAD" "$WORK/err" || fail "verify did not name the dead node"
ok "node down: exit 4, named; the other node has the release"

# 2. A node that starts 1.5 s after the push began: the retries reach it.
PORT=$(reserve_port) # held for this test: nothing else listens there before the late node
LATE="http://127.0.0.1:$PORT"
(sleep 1.5; exec "$ORIGIND" serve --store "$WORK/late" --listen 127.0.0.1:0 \
    --admin-listen "127.0.0.1:$PORT" --admin-token-file "$TOKEN_FILE" 2>"$WORK/late.err") &
LATE_PID=$!
_origind_pids+=("$LATE_PID")
run_ingest push --node "${ADMIN[1]}" --node "$LATE" --token-file "$TOKEN_FILE" --release r1 --json "$S"
[ "$RC" = 0 ] || fail "late node: exit $RC: $(cat "$WORK/err")"
[ "$(json_get "$WORK/out" "d['nodes'][1]['retries']")" -ge 1 ] || fail "late node: no retry recorded"
expect_eq "late node outcome" "$(json_get "$WORK/out" "d['nodes'][1]['outcome']")" published
ok "node that comes up late: connection errors retried, push succeeds"

# 3. 503 three times, then the real node: retried with backoff, succeeds.
python3 "$(dirname "$0")/flaky_proxy.py" "${ADMIN[1]##*:}" 503 3 "$WORK/p503" "$WORK/c503" &
_origind_pids+=("$!")
for i in $(seq 50); do [ -s "$WORK/p503" ] && break; sleep 0.1; done
printf 'var fresh = 1;\n' >"$S/js/fresh.js"
run_ingest push --node "http://127.0.0.1:$(cat "$WORK/p503")" --token-file "$TOKEN_FILE" --release r2 --json "$S"
[ "$RC" = 0 ] || fail "503 node: exit $RC: $(cat "$WORK/err")"
expect_eq "503 retries" "$(json_get "$WORK/out" "d['nodes'][0]['retries']")" 3
ok "node answering 503 then recovering: retried, push succeeds"

# 4. A 400 is never retried.
python3 "$(dirname "$0")/flaky_proxy.py" "${ADMIN[1]##*:}" 400 1 "$WORK/p400" "$WORK/c400" &
_origind_pids+=("$!")
for i in $(seq 50); do [ -s "$WORK/p400" ] && break; sleep 0.1; done
run_ingest push --node "http://127.0.0.1:$(cat "$WORK/p400")" --token-file "$TOKEN_FILE" --release r3 "$S"
expect_eq "400 exit" "$RC" 4
expect_eq "400 requests" "$(cat "$WORK/c400")" 1
grep -q "HTTP 400: injected failure" "$WORK/err" || fail "400 reason not shown: $(cat "$WORK/err")"
# this push sent the real token and failed: its report must not show it
! grep -qF "$(tr -d ' \r\n\t' <"$TOKEN_FILE")" "$WORK/err" "$WORK/out" || fail "token printed on a failed push"
ok "4xx: not retried, exit 4 with the node's reason, token not printed"

# 5. Wrong token: 401, exit 4, no retry; the token is never printed.
printf 'not-the-token-0123456789\n' >"$WORK/wrong"
run_ingest push --node "${ADMIN[0]}" --node "${ADMIN[1]}" --token-file "$WORK/wrong" --release r4 --json "$S"
expect_eq "wrong token exit" "$RC" 4
grep -q "node ${ADMIN[0]}: failed: 401" "$WORK/err" || fail "401 not reported: $(cat "$WORK/err")"
expect_eq "401 retries" "$(json_get "$WORK/out" "d['nodes'][0]['retries']")" 0
# the token this push sent (and the node refused) is never printed
! grep -q "not-the-token" "$WORK/err" "$WORK/out" || fail "token printed"
ok "wrong token: exit 4, 401 named, no retry, token not printed"

# 6. prune goes through the same client: 503 retried, 4xx not, 401 named.
python3 "$(dirname "$0")/flaky_proxy.py" "${ADMIN[1]##*:}" 503 2 "$WORK/q503" "$WORK/d503" &
_origind_pids+=("$!")
python3 "$(dirname "$0")/flaky_proxy.py" "${ADMIN[1]##*:}" 400 1 "$WORK/q400" "$WORK/d400" &
_origind_pids+=("$!")
for i in $(seq 50); do [ -s "$WORK/q503" ] && [ -s "$WORK/q400" ] && break; sleep 0.1; done
run_ingest prune --node "http://127.0.0.1:$(cat "$WORK/q503")" --token-file "$TOKEN_FILE" \
    --keep-last 1 --dry-run --json
[ "$RC" = 0 ] || fail "prune via a 503 node: exit $RC: $(cat "$WORK/err")"
expect_eq "prune 503: requests (2 refused, listing, promotions, prune)" "$(cat "$WORK/d503")" 5
expect_eq "prune 503: the node's answer" "$(json_get "$WORK/out" "d['nodes'][0]['ok']")" True
run_ingest prune --node "http://127.0.0.1:$(cat "$WORK/q400")" --token-file "$TOKEN_FILE" --keep-last 1
expect_eq "prune 400 exit" "$RC" 4
expect_eq "prune 400 requests" "$(cat "$WORK/d400")" 1
grep -q "listing releases: .*HTTP 400: injected failure; nothing pruned" "$WORK/err" ||
    fail "prune 400 reason not shown: $(cat "$WORK/err")"
run_ingest prune --node "${ADMIN[0]}" --token-file "$WORK/wrong" --keep-last 1
expect_eq "prune wrong token exit" "$RC" 4
grep -q "node ${ADMIN[0]}: listing releases: 401" "$WORK/err" || fail "prune 401: $(cat "$WORK/err")"
! grep -q "not-the-token" "$WORK/err" "$WORK/out" || fail "prune printed the token"
ok "prune: 503 retried, 400 and 401 not (named, nothing pruned), token not printed"
