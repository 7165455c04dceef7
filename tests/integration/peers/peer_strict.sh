#!/usr/bin/env bash
# peer_strict: a peer's answers are read by the node API's strict decoders.
# A peer that sends a truncated release (a file dropped, count and digest
# kept), a renamed field, or a file whose digest does not match the release
# digest is refused: nothing is published, the reason is logged, and
# /metrics counts it. A peer answering 500 on a variant (a store error
# there) does not make the variant absent for ever: anti-entropy rechecks.
. "$(dirname "$0")/peer_lib.sh"

# code_of URL: the status of an authorized GET of URL
code_of() {
    curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$1" || true
}

start A "$WORK/a"
make_site "$WORK/s1" 1 12
push r1 "$WORK/s1" "$ADMIN_A"

# --- hostile releases: origind sync ------------------------------------------
for mode in truncate rename digest; do
    python3 "$PEER_DIR/hostile_peer.py" "$WORK/port.$mode" "$ADMIN_A" - --release "$mode" &
    _origind_pids+=("$!")
    for i in $(seq 1 100); do [ -s "$WORK/port.$mode" ] && break; sleep 0.05; done
    H="http://127.0.0.1:$(cat "$WORK/port.$mode")"
    set +e
    "$ORIGIND" sync --store "$WORK/x.$mode" --from "$H" --token-file "$TOKEN_FILE" \
        >"$WORK/x.$mode.out" 2>"$WORK/x.$mode.err"
    rc=$?
    set -e
    expect_eq "sync from a peer sending a $mode release" "$rc" 1
    expect_eq "releases published ($mode)" "$("$ORIGIND" stats --store "$WORK/x.$mode" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["releases"])')" 0
    grep -q "release r1 refused" "$WORK/x.$mode.err" || fail "$mode: no refusal logged: $(cat "$WORK/x.$mode.err")"
    ok "$mode release refused, nothing published: $(grep -o 'refused: .*' "$WORK/x.$mode.err" | head -1)"
done

# --- serve --peer: counted in /metrics ---------------------------------------
start D "$WORK/d" --peer "http://127.0.0.1:$(cat "$WORK/port.digest")" --peer-interval 1 --peer-timeout 1
for i in $(seq 1 100); do
    [ "$(metric "$ADMIN_D" origind_peer_refused_total)" -ge 1 ] 2>/dev/null && break
    sleep 0.1
done
[ "$(metric "$ADMIN_D" origind_peer_refused_total)" -ge 1 ] || fail "refusal not counted in /metrics"
expect_eq "releases on D" "$(stat_of "$ADMIN_D" releases)" 0
ok "serve --peer: refused release counted (origind_peer_refused_total), nothing published"

# --- a variant answered 500 is fetched again later ---------------------------
python3 "$PEER_DIR/hostile_peer.py" "$WORK/port.v" "$ADMIN_A" - --variant-500 2 --arm "$WORK/arm" &
_origind_pids+=("$!")
for i in $(seq 1 100); do [ -s "$WORK/port.v" ] && break; sleep 0.05; done
HV="http://127.0.0.1:$(cat "$WORK/port.v")"
start E "$WORK/e" --peer "$HV" --peer-interval 1
wait_healthy "$PUBLIC_E" 30 || fail "E did not catch up"
touch "$WORK/arm"
make_site "$WORK/s2" 2 1 # one css file: a blob with br and gzip variants
push r2 "$WORK/s2" "$ADMIN_A"
HEX=$(curl -sS -H "Authorization: Bearer $TOKEN" "$ADMIN_A/v1/releases/r2" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["files"][0]["sha256"])')
expect_eq "A has the br variant" "$(code_of "$ADMIN_A/v1/blobs/$HEX/br")" 200
for i in $(seq 1 150); do
    [ "$(code_of "$ADMIN_E/v1/blobs/$HEX/br")" = 200 ] && [ "$(code_of "$ADMIN_E/v1/blobs/$HEX/gzip")" = 200 ] && break
    sleep 0.1
done
expect_eq "500s served on variants" "$(cat "$WORK/port.v.v500" 2>/dev/null)" 2
expect_eq "E's br variant after the 500s" "$(code_of "$ADMIN_E/v1/blobs/$HEX/br")" 200
expect_eq "E's gzip variant after the 500s" "$(code_of "$ADMIN_E/v1/blobs/$HEX/gzip")" 200
ok "variants answered 500 by the peer arrive on a later anti-entropy round"
