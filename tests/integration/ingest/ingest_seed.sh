#!/usr/bin/env bash
# ingest_seed: push --seed-nodes K. The runner uploads to the seeds only and
# every other node fetches from them (POST /v1/fetch), in rounds; then every
# node serves the release. --seed-nodes 0 uploads to every node as before.
# Failures, each with its fallback: a seed serving a wrong byte (refused,
# counted in /metrics, taken from the other seed), a seed dying mid-fetch
# (the other seed; with no other, a direct upload; the dead seed is named,
# exit 4), a fetching node killed mid-fetch (named, exit 4, the others
# published), a node that cannot reach any seed and a node without
# /v1/fetch (direct upload, exit 0). And the endpoint itself: write scope,
# strict body, an unreachable source.
. "$(dirname "$0")/ingest_lib.sh"
HERE="$(cd "$(dirname "$0")" && pwd)"

S="$WORK/site"
mkdir -p "$S/js" "$S/css" "$S/img"
for i in $(seq 1 24); do
    printf 'var v%d = "%0800d";\n' "$i" "$i" >"$S/js/f$i.js"
    printf '.c%d{margin:%dpx}\n%0600d\n' "$i" "$i" "$i" >"$S/css/s$i.css"
    head -c $((2000 + i * 37)) /dev/urandom >"$S/img/p$i.bin"
done

# proxy NAME UPSTREAM [OPTIONS]: starts seed_proxy.py; sets PROXY_<NAME> (URL).
PROXY_bad="" PROXY_dying="" PROXY_lone="" PROXY_slow="" PROXY_unreachable="" PROXY_old="" PROXY_hung=""
proxy() {
    local name="$1" upstream="$2" i
    shift 2
    python3 "$HERE/seed_proxy.py" "$WORK/proxy.$name" "$upstream" "$@" &
    _origind_pids+=("$!")
    for i in $(seq 100); do [ -s "$WORK/proxy.$name" ] && break; sleep 0.05; done
    [ -s "$WORK/proxy.$name" ] || fail "proxy $name did not start"
    printf -v "PROXY_$name" %s "http://127.0.0.1:$(cat "$WORK/proxy.$name")"
}

# verify_on URL...: origin-ingest verify of release $REL on those nodes.
verify_on() {
    local a args=()
    for a in "$@"; do args+=(--node "$a"); done
    ingest verify "${args[@]}" --token-file "$TOKEN_FILE" --release "$REL" --retries 1 \
        >/dev/null 2>"$WORK/verify.err" || fail "verify $REL on $*: $(cat "$WORK/verify.err")"
}

metric_of() { # metric_of ADMIN NAME
    curl -sS -H "Authorization: Bearer $TOKEN" "$1/metrics" | awk -v n="$2" '$1 == n { print $2 }'
}

role() { json_get "$WORK/out" "d['nodes'][$1].get('role', '-')"; }

start_nodes 5
TOKEN="$(cat "$TOKEN_FILE")"
NBLOBS=$(find "$S" -type f | wc -l)

# 1. --seed-nodes 0: today's push, every node uploaded to, no roles.
REL=r0
run_ingest push --node "${ADMIN[0]}" --node "${ADMIN[1]}" --token-file "$TOKEN_FILE" --release r0 \
    --prefix /zero --seed-nodes 0 --json "$S"
[ "$RC" = 0 ] || fail "seed-nodes 0: exit $RC: $(cat "$WORK/err")"
for i in 0 1; do
    expect_eq "seed-nodes 0: blobs sent to node $i" "$(json_get "$WORK/out" "d['nodes'][$i]['blobs_sent']")" "$NBLOBS"
    expect_eq "seed-nodes 0: role of node $i" "$(role $i)" -
done
grep -q "seed push" "$WORK/err" && fail "seed-nodes 0 ran a seed push"
ok "--seed-nodes 0: every node uploaded to, as before"

# 2. Four nodes, one seed: the runner uploads the blobs once; the three
# others fetch in two rounds (the first fetcher then serves the next).
REL=r1
run_ingest push --node "${ADMIN[2]}" --node "${ADMIN[3]}" --node "${ADMIN[4]}" --node "${ADMIN[0]}" \
    --token-file "$TOKEN_FILE" --release r1 --seed-nodes 1 --json "$S"
[ "$RC" = 0 ] || fail "seed push: exit $RC: $(cat "$WORK/err")"
# node 0 already held every blob (r0): the one seed costs nothing to upload
expect_eq "seed: node lacking nothing is the seed" "$(role 3)" seed
for i in 0 1 2; do
    expect_eq "seed: role of node $i" "$(role $i)" fetched
    expect_eq "seed: blobs sent to node $i" "$(json_get "$WORK/out" "d['nodes'][$i]['blobs_sent']")" 0
    expect_eq "seed: blobs fetched by node $i" "$(json_get "$WORK/out" "d['nodes'][$i]['fetched']")" "$NBLOBS"
done
grep -q "seed push: 1 seed node uploaded to, 3 nodes fetched in 2 rounds, 0 uploaded to directly" "$WORK/err" ||
    fail "seed push summary: $(cat "$WORK/err")"
expect_eq "seed: blob bytes sent in all" "$(json_get "$WORK/out" "sum(n['bytes_sent'] for n in d['nodes'])")" 0
verify_on "${ADMIN[0]}" "${ADMIN[2]}" "${ADMIN[3]}" "${ADMIN[4]}"
variants_of() { # variants_of ADMIN: the store's variant count
    curl -sS -H "Authorization: Bearer $TOKEN" "$1/v1/status" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["store"]["variants"])'
}
seed_vars=$(variants_of "${ADMIN[0]}")
[ "$seed_vars" -gt 0 ] || fail "the seed holds no variant"
for i in 2 3 4; do
    expect_eq "seed: variants fetched by node $i" "$(variants_of "${ADMIN[$i]}")" "$seed_vars"
done
for i in 2 3 4; do
    [ "$(metric_of "${ADMIN[$i]}" origind_fetch_blobs_total)" = "$NBLOBS" ] ||
        fail "node $i: origind_fetch_blobs_total is not $NBLOBS"
done
ok "one seed, three fetchers in two rounds: nothing uploaded twice, all verify"

# 3. A new build, two fresh nodes and one old: the seed (which lacks the
# new blobs) is uploaded to once, the others fetch them; bytes measured by
# libcurl: the fetchers get only JSON (missing check, fetch, publish).
# node NAME: one more node with the shared token; sets NAME (admin URL) and
# NAME_PID, NAME_ERR.
node() {
    origind_start "$WORK/store-$1" --admin-token-file "$TOKEN_FILE" "${@:2}" >/dev/null ||
        fail "node $1 did not start"
    printf -v "$1" %s "$NODE_ADMIN"
    printf -v "$1_PID" %s "$NODE_PID"
    printf -v "$1_ERR" %s "$NODE_STDERR"
}
node X
node Y
node Z
printf 'var fresh = "%02000d";\n' 7 >"$S/js/fresh.js"
REL=r2
run_ingest push --node "$X" --node "$Y" --node "$Z" \
    --token-file "$TOKEN_FILE" --release r2 --seed-nodes 1 --json "$S"
[ "$RC" = 0 ] || fail "fresh seed push: exit $RC: $(cat "$WORK/err")"
seed_up=$(json_get "$WORK/out" "[n['bytes_uploaded'] for n in d['nodes'] if n['role'] == 'seed'][0]")
most_fetcher=$(json_get "$WORK/out" "max(n['bytes_uploaded'] for n in d['nodes'] if n['role'] == 'fetched')")
[ "$most_fetcher" -lt $((seed_up / 4)) ] ||
    fail "fetchers got $most_fetcher bytes from the runner, the seed $seed_up"
verify_on "$X" "$Y" "$Z"
ok "runner's upload measured: seed $seed_up bytes, each fetcher at most $most_fetcher (JSON only)"

# 4. A seed serving a wrong byte: refused by the fetching node (counted),
# which takes everything from the other seed; exit 0.
node B
node C
node F
proxy bad "$B" --corrupt
REL=r3
run_ingest push --node "$PROXY_bad" --node "$C" --node "$F" --token-file "$TOKEN_FILE" --release r3 \
    --seed-nodes 2 --json "$S"
[ "$RC" = 0 ] || fail "wrong-byte seed: exit $RC: $(cat "$WORK/err")"
expect_eq "wrong-byte seed: fetcher role" "$(role 2)" fetched
expect_eq "wrong-byte seed: fetcher got all" "$(json_get "$WORK/out" "d['nodes'][2]['fetched']")" "$((NBLOBS + 1))"
bad=$(metric_of "$F" origind_fetch_bad_total)
[ "${bad:-0}" -ge 1 ] || fail "wrong bytes not counted (origind_fetch_bad_total=$bad)"
grep -q "sent bytes that do not verify" "$F_ERR" || fail "wrong bytes not logged by the fetcher"
verify_on "$C" "$F"
ok "a seed serving wrong bytes: $bad transfers refused and counted, taken from the other seed"

# 5. A seed dying mid-fetch: the fetcher takes the rest from the other seed;
# the dead seed is named (its publish fails): exit 4.
node D
node E
node G
proxy dying "$D" --die-after 10
REL=r3
run_ingest push --node "$PROXY_dying" --node "$E" --node "$G" --token-file "$TOKEN_FILE" --release r3 \
    --seed-nodes 2 --retries 1 --json "$S"
expect_eq "dying seed: exit" "$RC" 4
expect_eq "dying seed: outcome" "$(json_get "$WORK/out" "d['nodes'][0]['outcome']")" failed
grep -q "node $PROXY_dying: failed" "$WORK/err" || fail "dying seed not named: $(cat "$WORK/err")"
expect_eq "dying seed: fetcher role" "$(role 2)" fetched
expect_eq "dying seed: fetcher outcome" "$(json_get "$WORK/out" "d['nodes'][2]['outcome']")" published
[ "$(cat "$WORK/proxy.dying.gets")" = 10 ] || fail "the seed did not die mid-fetch"
verify_on "$E" "$G"
ok "a seed dying mid-fetch: the rest from the other seed; the dead seed named, exit 4"

# 6. The only seed dying mid-fetch: the runner uploads the rest directly.
node H
node I
proxy lone "$H" --die-after 10
run_ingest push --node "$PROXY_lone" --node "$I" --token-file "$TOKEN_FILE" --release r3 \
    --seed-nodes 1 --retries 1 --json "$S"
expect_eq "lone dying seed: exit" "$RC" 4
expect_eq "lone dying seed: fetcher role" "$(role 1)" direct
grep -q "node $I: uploaded to directly: .* could not be fetched" "$WORK/err" ||
    fail "fallback not reported: $(cat "$WORK/err")"
[ "$(json_get "$WORK/out" "d['nodes'][1]['blobs_sent']")" -ge 1 ] || fail "no direct upload"
verify_on "$I"
ok "the only seed dying mid-fetch: direct upload of the rest, the fetcher verifies"

# 7. A fetching node killed mid-fetch: named, exit 4; the other fetcher
# and the seed publish.
node J
node K
node L
proxy slow "$J" --delay-ms 40
REL=r3
set +e
"$ORIGIN_INGEST" push --node "$PROXY_slow" --node "$K" --node "$L" --token-file "$TOKEN_FILE" \
    --release r3 --seed-nodes 1 --retries 1 --json "$S" >"$WORK/out" 2>"$WORK/err" &
PUSH_PID=$!
set -e
for i in $(seq 1200); do # up to 60 s on a loaded machine; the push must still be running
    [ "$(cat "$WORK/proxy.slow.gets" 2>/dev/null || echo 0)" -ge 5 ] && break
    kill -0 "$PUSH_PID" 2>/dev/null || break
    sleep 0.05
done
[ "$(cat "$WORK/proxy.slow.gets" 2>/dev/null || echo 0)" -ge 5 ] ||
    { cat "$WORK/err" >&2; fail "no fetch started before the push ended"; }
origind_kill "$K_PID"
set +e
wait "$PUSH_PID"
RC=$?
set -e
expect_eq "fetcher killed: exit" "$RC" 4
grep -q "node $K: failed: fetch from seeds failed" "$WORK/err" || fail "killed fetcher not named: $(cat "$WORK/err")"
expect_eq "fetcher killed: other fetcher" "$(json_get "$WORK/out" "d['nodes'][2]['outcome']")" published
verify_on "$PROXY_slow" "$L"
ok "a fetching node killed mid-fetch: named, exit 4; the others published"

# 8. A node that cannot reach any seed, and a node without /v1/fetch: both
# uploaded to directly, exit 0.
node M
node N
node O
proxy unreachable "$M" --drop-blobs
proxy old "$O" --no-fetch
REL=r3
run_ingest push --node "$PROXY_unreachable" --node "$N" --node "$PROXY_old" --token-file "$TOKEN_FILE" \
    --release r3 --seed-nodes 1 --retries 1 --json "$S"
[ "$RC" = 0 ] || fail "unreachable seed: exit $RC: $(cat "$WORK/err")"
expect_eq "unreachable seed: role" "$(role 1)" direct
expect_eq "no /v1/fetch: role" "$(role 2)" direct
grep -q "node $PROXY_old: uploaded to directly: it refused the fetch: HTTP 404" "$WORK/err" ||
    fail "404 fallback not reported: $(cat "$WORK/err")"
[ "$(metric_of "$N" origind_fetch_unfetched_total)" = "$((NBLOBS + 1))" ] ||
    fail "unfetched digests not counted"
verify_on "$M" "$N" "$O"
ok "no seed reachable, and a node without /v1/fetch: direct uploads, exit 0"

# 9. The endpoint: write scope (a read token is 403), a strict body (400),
# an unreachable source (200 naming every digest missing), audited.
READ_FILE="$WORK/read.token"
echo "reader-token-0123456789abcdef0123456789" >"$READ_FILE"
chmod 600 "$READ_FILE"
node P --read-token-file "$READ_FILE"
refused_port
hex=$(sha256sum "$S/js/f1.js" | cut -c1-64)
body="{\"from\":[\"http://127.0.0.1:$REFUSED_PORT\"],\"digests\":[\"$hex\"]}"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer reader-token-0123456789abcdef0123456789" \
    --data "$body" "$P/v1/fetch")
expect_eq "fetch with a read token" "$code" 403
for bad in '{"from":[],"digests":[]}' '{"from":["ftp://x"],"digests":[]}' \
    '{"from":["http://a b"],"digests":[]}' '{"from":["http://a"],"digests":["zz"]}' \
    '{"from":["http://a"],"digests":[],"x":1}' '[]'; do
    code=$(curl -sS -o "$WORK/ans" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" --data "$bad" "$P/v1/fetch")
    expect_eq "fetch body $bad" "$code" 400
done
code=$(curl -sS -o "$WORK/ans" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" --data "$body" "$P/v1/fetch")
expect_eq "fetch from a refused port" "$code" 200
expect_eq "fetch from a refused port: missing" "$(json_get "$WORK/ans" "d['missing']")" "['$hex']"
grep -q "action=fetch .*status=200" "$P_ERR" || fail "fetch not audited"
ok "POST /v1/fetch: write scope, strict body, an unreachable source answered with the missing digest, audited"

# 10. HTTPS admin listeners: the fetching node trusts --peer-cacert and sends
# its --peer-token-file, a read token (its own first admin token is unknown
# to the seed: only the read token can work).
CERTS="$WORK/certs"
tls_make_certs "$CERTS" || fail "openssl could not make the test certificates"
node TA --admin-tls-cert "$CERTS/server.pem" --admin-tls-key "$CERTS/server.key" \
    --read-token-file "$READ_FILE"
case "$TA" in https://*) ;; *) fail "TA's admin listener is not HTTPS: $TA" ;; esac
{ head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; printf '\n%s\n' "$TOKEN"; } >"$WORK/tb.tokens"
chmod 600 "$WORK/tb.tokens"
origind_start "$WORK/store-TB" --admin-token-file "$WORK/tb.tokens" \
    --admin-tls-cert "$CERTS/server.pem" --admin-tls-key "$CERTS/server.key" \
    --peer-cacert "$CERTS/ca.pem" --peer-token-file "$READ_FILE" >/dev/null || fail "node TB"
TB="$NODE_ADMIN"
REL=r3
run_ingest push --node "$TA" --node "$TB" --token-file "$TOKEN_FILE" --cacert "$CERTS/ca.pem" \
    --release r3 --seed-nodes 1 --json "$S"
[ "$RC" = 0 ] || fail "TLS seed push: exit $RC: $(cat "$WORK/err")"
expect_eq "TLS: fetcher role" "$(role 1)" fetched
expect_eq "TLS: fetcher got all" "$(json_get "$WORK/out" "d['nodes'][1]['fetched']")" "$((NBLOBS + 1))"
ingest verify --node "$TA" --node "$TB" --token-file "$TOKEN_FILE" --cacert "$CERTS/ca.pem" \
    --release r3 >/dev/null 2>"$WORK/verify.err" || fail "TLS verify: $(cat "$WORK/verify.err")"
ok "HTTPS seeds: the fetcher verifies them with --peer-cacert and authenticates with a read token"

# 11. A seed that accepts and never answers: the fetching node (--peer-timeout
# 2) gives it up after one stall, not one per transfer or batch, and takes
# everything from the other seed.
node HS
node HG
node HF --peer-timeout 2
proxy hung "$HS" --hang-blobs
SECONDS=0
run_ingest push --node "$PROXY_hung" --node "$HG" --node "$HF" --token-file "$TOKEN_FILE" --release r3 \
    --seed-nodes 2 --json "$S"
took=$SECONDS
[ "$RC" = 0 ] || fail "hung seed: exit $RC: $(cat "$WORK/err")"
expect_eq "hung seed: fetcher role" "$(role 2)" fetched
[ "$took" -lt 20 ] || fail "hung seed: the push took $took s (one stall of 2 s expected)"
REL=r3
verify_on "$HG" "$HF"
ok "a seed that hangs: given up after one stall (push ${took} s), the rest from the other seed"
