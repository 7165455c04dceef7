#!/usr/bin/env bash
# peer_promote: `origin-ingest promote` on a fleet, the promotion record on
# every node, the public release document, and peers carrying promotions.
#   - before any promotion: GET /.well-known/origind/release is 404 no-store
#     with CORS, GET /v1/promotion says null;
#   - bad input (unknown, incomplete, pruned or differing release, a floor
#     that does not exist or is newer, a node that cannot be reached): one
#     line, exit 4, nothing recorded on any node;
#   - promote: exit 0, the same document bytes and ETag on every node,
#     max-age <= 15, 304 on If-None-Match, CORS; a re-run is a no-op; verify
#     reports it; a rollback is a newer generation;
#   - a promotion that reached one node only: verify names the other and
#     exits 4; the same promote again finishes it with the same bytes;
#   - an older record is refused by a node holding a newer one (409);
#   - a node that was down adopts the newer promotion from its peer; a node
#     that joins later adopts it too, with identical document bytes.
. "$(dirname "$0")/peer_lib.sh"

DOC=/.well-known/origind/release

promote() {
    set +e
    "$ORIGIN_INGEST" promote --token-file "$TOKEN_FILE" --retries 1 "$@" >"$WORK/out" 2>"$WORK/err"
    RC=$?
    set -e
}

# nothing_recorded WHAT URL...: no promotion on any of the admin URLs.
nothing_recorded() {
    local what="$1" a
    shift
    for a in "$@"; do
        expect_eq "$what: promotion on $a" \
            "$(curl -sS -H "Authorization: Bearer $TOKEN" "$a/v1/promotion" | jq -c .promotion)" null
    done
}

# one_line WHAT: the refusal is exactly one line on stderr, nothing on stdout.
one_line() {
    expect_eq "$1: stderr lines" "$(wc -l <"$WORK/err")" 1
    expect_eq "$1: stdout" "$(cat "$WORK/out")" ""
}

start A "$WORK/a"
start B "$WORK/b"
for r in 0 1 2 3; do
    mkdir -p "$WORK/s$r"
    printf 'release %s js' "$r" >"$WORK/s$r/app$r.js"
    printf 'shared' >"$WORK/s$r/common.css"
    push "r$r" "$WORK/s$r" "$ADMIN_A" "$ADMIN_B"
    sleep 1.1 # distinct publish seconds: the floor check orders by time
done

# ---- before any promotion
for n in A B; do
    pub="PUBLIC_$n"
    curl -sS -D "$WORK/h" -o /dev/null "${!pub}$DOC"
    expect_eq "$n doc before promotion" "$(status_of "$WORK/h")" 404
    expect_eq "$n doc 404 no-store" "$(header_of "$WORK/h" Cache-Control)" no-store
    expect_eq "$n doc 404 CORS" "$(header_of "$WORK/h" Access-Control-Allow-Origin)" '*'
done
nothing_recorded "fresh" "$ADMIN_A" "$ADMIN_B"
ok "before any promotion: 404 no-store with CORS, no record"

# ---- bad input: one line, exit 4, nothing anywhere
promote --node "$ADMIN_A" --node "$ADMIN_B" --release nope
expect_eq "unknown release: exit" "$RC" 4
one_line "unknown release"
grep -q 'release nope is not on' "$WORK/err" || fail "unknown release: $(cat "$WORK/err")"
nothing_recorded "unknown release" "$ADMIN_A" "$ADMIN_B"

mkdir -p "$WORK/sa"
printf 'only on A' >"$WORK/sa/onlya.js"
push ra "$WORK/sa" "$ADMIN_A"
promote --node "$ADMIN_A" --node "$ADMIN_B" --release ra
expect_eq "release on one node only: exit" "$RC" 4
one_line "release on one node only"
grep -q "release ra is not on $ADMIN_B" "$WORK/err" || fail "incomplete: $(cat "$WORK/err")"
nothing_recorded "release on one node only" "$ADMIN_A" "$ADMIN_B"

# the same id with other content on each node
mkdir -p "$WORK/sx1" "$WORK/sx2"
printf 'x one' >"$WORK/sx1/x1.js"
printf 'x two' >"$WORK/sx2/x2.js"
push rx "$WORK/sx1" "$ADMIN_A"
push rx "$WORK/sx2" "$ADMIN_B"
promote --node "$ADMIN_A" --node "$ADMIN_B" --release rx
expect_eq "differing release: exit" "$RC" 4
one_line "differing release"
grep -q 'differs between nodes' "$WORK/err" || fail "differing: $(cat "$WORK/err")"
nothing_recorded "differing release" "$ADMIN_A" "$ADMIN_B"

"$ORIGIN_INGEST" prune --node "$ADMIN_A" --node "$ADMIN_B" --token-file "$TOKEN_FILE" \
    --keep r1 --keep r2 --keep r3 --keep ra --keep rx >/dev/null 2>&1 || fail "prune r0"
promote --node "$ADMIN_A" --node "$ADMIN_B" --release r0
expect_eq "pruned release: exit" "$RC" 4
one_line "pruned release"
nothing_recorded "pruned release" "$ADMIN_A" "$ADMIN_B"

promote --node "$ADMIN_A" --node "$ADMIN_B" --release r2 --floor nope
expect_eq "missing floor: exit" "$RC" 4
one_line "missing floor"
grep -q 'floor nope is not on' "$WORK/err" || fail "missing floor: $(cat "$WORK/err")"
nothing_recorded "missing floor" "$ADMIN_A" "$ADMIN_B"

promote --node "$ADMIN_A" --node "$ADMIN_B" --release r1 --floor r2
expect_eq "floor newer than release: exit" "$RC" 4
one_line "floor newer"
grep -q 'floor r2 is newer than release r1' "$WORK/err" || fail "floor newer: $(cat "$WORK/err")"
nothing_recorded "floor newer" "$ADMIN_A" "$ADMIN_B"

promote --node "$ADMIN_A" --node "http://127.0.0.1:1" --release r2
expect_eq "unreachable node: exit" "$RC" 4
one_line "unreachable node"
nothing_recorded "unreachable node" "$ADMIN_A"

# a node's own check: it refuses a record naming a digest it does not hold
curl -sS -o "$WORK/resp" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -X POST --data \
    "{\"generation\":1,\"release\":\"r2\",\"digest\":\"$(printf '0%.0s' $(seq 1 64))\",\"floor\":null,\"promoted_at\":1700000000}" \
    "$ADMIN_A/v1/promotion" >"$WORK/code"
expect_eq "node refuses a wrong digest" "$(cat "$WORK/code")" 422
nothing_recorded "wrong digest" "$ADMIN_A"
ok "unknown, incomplete, differing, pruned release, missing or newer floor, unreachable node, wrong digest: one line, exit 4, nothing recorded"

# a node that passes every check and then refuses to record (store full): the
# others recorded it, the refusing node is named, exit 4; the same command
# against the healthy node finishes it with the same record
python3 "$PEER_DIR/refusing_proxy.py" "${ADMIN_B##*:}" "$WORK/rport" &
_origind_pids+=("$!")
for i in $(seq 50); do [ -s "$WORK/rport" ] && break; sleep 0.1; done
RPROXY="http://127.0.0.1:$(cat "$WORK/rport")"
promote --node "$ADMIN_A" --node "$RPROXY" --release r1
expect_eq "refusing node: exit" "$RC" 4
grep -q "node $RPROXY: refused the promotion: HTTP 507: store full" "$WORK/err" ||
    fail "refusing node not named: $(cat "$WORK/err")"
grep -q "run the same command again" "$WORK/err" || fail "no hint to run again: $(cat "$WORK/err")"
nothing_recorded "refused by B" "$ADMIN_B"
promote --node "$ADMIN_A" --node "$ADMIN_B" --release r1
expect_eq "re-run after the refusal: exit" "$RC" 0
grep -q "$ADMIN_A: release r1 already promoted (generation 1" "$WORK/out" || fail "A: $(cat "$WORK/out")"
grep -q "$ADMIN_B: release r1 promoted (generation 1" "$WORK/out" || fail "B: $(cat "$WORK/out")"
ok "a node that refuses to record is named (exit 4); the same command finishes the job"

# ---- promote
promote --node "$ADMIN_A" --node "$ADMIN_B" --release r2 --floor r1
expect_eq "promote exit" "$RC" 0
expect_eq "promote lines" "$(grep -c 'release r2 promoted (generation 2, floor r1)' "$WORK/out")" 2
for n in A B; do
    pub="PUBLIC_$n"
    curl -sS -D "$WORK/h$n" -o "$WORK/doc$n" "${!pub}$DOC"
    expect_eq "$n doc status" "$(status_of "$WORK/h$n")" 200
    expect_eq "$n doc type" "$(header_of "$WORK/h$n" Content-Type)" application/json
    expect_eq "$n doc CORS" "$(header_of "$WORK/h$n" Access-Control-Allow-Origin)" '*'
    cc="$(header_of "$WORK/h$n" Cache-Control)"
    age="$(sed -n 's/.*max-age=\([0-9]*\).*/\1/p' <<<"$cc")"
    [ -n "$age" ] && [ "$age" -le 15 ] || fail "$n doc Cache-Control: $cc"
done
cmp -s "$WORK/docA" "$WORK/docB" || fail "documents differ: $(cat "$WORK/docA") / $(cat "$WORK/docB")"
etag="$(header_of "$WORK/hA" ETag)"
expect_eq "ETag identical" "$(header_of "$WORK/hB" ETag)" "$etag"
case "$etag" in \"*\") ;; *) fail "ETag not strong: $etag" ;; esac
digest="$(curl -sS -I -H "Authorization: Bearer $TOKEN" "$ADMIN_A/v1/releases/r2" |
    tr -d '\r' | sed -n 's/^[Oo]rigind-[Rr]elease-[Dd]igest: //p')"
expect_eq "document keys" "$(jq -r 'keys_unsorted | join(",")' "$WORK/docA")" "live,digest,floor,promoted_at"
expect_eq "document live" "$(jq -r .live "$WORK/docA")" r2
expect_eq "document digest" "$(jq -r .digest "$WORK/docA")" "$digest"
expect_eq "document floor" "$(jq -r .floor "$WORK/docA")" r1
grep -Eq '"promoted_at":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"' "$WORK/docA" ||
    fail "promoted_at is not RFC 3339: $(cat "$WORK/docA")"
: >"$WORK/b304"
curl -sS -D "$WORK/h304" -o "$WORK/b304" -H "If-None-Match: $etag" "$PUBLIC_B$DOC"
expect_eq "If-None-Match" "$(status_of "$WORK/h304")" 304
expect_eq "304 ETag" "$(header_of "$WORK/h304" ETag)" "$etag"
expect_eq "304 CORS" "$(header_of "$WORK/h304" Access-Control-Allow-Origin)" '*'
expect_eq "304 body" "$(wc -c <"$WORK/b304")" 0
expect_eq "HEAD doc" "$(curl -sS -o /dev/null -w '%{http_code}' -I "$PUBLIC_A$DOC")" 200
grep -q "action=promote subject=r2 status=201" "$ERR_A" || fail "no audit line for the promotion"
# a read token may read the promotion, never record one
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/read.token"
chmod 600 "$WORK/read.token"
start R "$WORK/r" --read-token-file "$WORK/read.token"
RT="$(cat "$WORK/read.token")"
expect_eq "read token reads" "$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $RT" "$ADMIN_R/v1/promotion")" 200
expect_eq "read token cannot promote" "$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $RT" \
    -H 'Content-Type: application/json' -X POST --data '{}' "$ADMIN_R/v1/promotion")" 403
grep -q "action=promote .*status=403" "$ERR_R" || fail "no audit line for the refused promotion"
origind_stop "$PID_R" || true
ok "promote: identical bytes and ETag on both nodes, max-age <= 15, 304, CORS, audited"

promote --node "$ADMIN_A" --node "$ADMIN_B" --release r2 --floor r1
expect_eq "re-run exit" "$RC" 0
expect_eq "re-run lines" "$(grep -c 'release r2 already promoted (generation 2' "$WORK/out")" 2
curl -sS -o "$WORK/doc2" "$PUBLIC_A$DOC"
cmp -s "$WORK/docA" "$WORK/doc2" || fail "re-run changed the document"
set +e
"$ORIGIN_INGEST" verify --node "$ADMIN_A" --node "$ADMIN_B" --token-file "$TOKEN_FILE" \
    --release r2 >"$WORK/vout" 2>"$WORK/verr"
vrc=$?
set -e
expect_eq "verify exit" "$vrc" 0
expect_eq "verify reports" "$(grep -c 'promoted release r2 (generation 2, floor r1)' "$WORK/verr")" 2
ok "a re-run is a no-op; verify reports the promotion of each node"

# ---- a promotion that reached one node only, finished by a re-run
curl -sS -H "Authorization: Bearer $TOKEN" "$ADMIN_A/v1/promotion" | jq -c .promotion >"$WORK/cur"
rec="$(jq -c --arg d "$(curl -sS -I -H "Authorization: Bearer $TOKEN" "$ADMIN_A/v1/releases/r3" |
    tr -d '\r' | sed -n 's/^[Oo]rigind-[Rr]elease-[Dd]igest: //p')" \
    '{generation: (.generation + 1), release: "r3", digest: $d, floor: null, promoted_at: (.promoted_at + 5)}' "$WORK/cur")"
expect_eq "partial: A records" "$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -X POST --data "$rec" "$ADMIN_A/v1/promotion")" 201
set +e
"$ORIGIN_INGEST" verify --node "$ADMIN_A" --node "$ADMIN_B" --token-file "$TOKEN_FILE" \
    --release r3 >"$WORK/vout" 2>"$WORK/verr"
vrc=$?
set -e
expect_eq "verify with disagreeing promotions: exit" "$vrc" 4
grep -q "node $ADMIN_B: promotion differs" "$WORK/verr" || fail "verify did not name B: $(cat "$WORK/verr")"
promote --node "$ADMIN_A" --node "$ADMIN_B" --release r3
expect_eq "finishing re-run: exit" "$RC" 0
grep -q "$ADMIN_A: release r3 already promoted (generation 3" "$WORK/out" || fail "A: $(cat "$WORK/out")"
grep -q "$ADMIN_B: release r3 promoted (generation 3" "$WORK/out" || fail "B: $(cat "$WORK/out")"
curl -sS -o "$WORK/docA" "$PUBLIC_A$DOC"
curl -sS -o "$WORK/docB" "$PUBLIC_B$DOC"
cmp -s "$WORK/docA" "$WORK/docB" || fail "after the finishing run: $(cat "$WORK/docA") / $(cat "$WORK/docB")"
# the older record is refused where the newer one is
expect_eq "an older record is refused" "$(curl -sS -o "$WORK/resp" -w '%{http_code}' \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -X POST \
    --data "$(cat "$WORK/cur")" "$ADMIN_A/v1/promotion")" 409
expect_eq "still r3" "$(jq -r .live "$(curl -sS -o "$WORK/d" "$PUBLIC_A$DOC"; echo "$WORK/d")")" r3
ok "a promotion on one node only: verify names the other (exit 4), a re-run finishes it with the same bytes; an older record is refused"

# ---- peers: B down during a rollback adopts it from A; C joins later
origind_stop "$PID_B" || true
promote --node "$ADMIN_A" --release r1
expect_eq "rollback exit" "$RC" 0
grep -q 'release r1 promoted (generation 4' "$WORK/out" || fail "rollback: $(cat "$WORK/out")"
start B "$WORK/b" --peer "$ADMIN_A" --peer-interval 1
wait_healthy "$PUBLIC_B" 30 || fail "B did not come back"
curl -sS -o "$WORK/docA" "$PUBLIC_A$DOC"
for i in $(seq 1 50); do
    curl -sS -o "$WORK/docB" "$PUBLIC_B$DOC"
    cmp -s "$WORK/docA" "$WORK/docB" && break
    sleep 0.2
done
cmp -s "$WORK/docA" "$WORK/docB" || fail "B did not adopt the rollback: $(cat "$WORK/docB")"
expect_eq "B live after rollback" "$(jq -r .live "$WORK/docB")" r1
start C "$WORK/c" --peer "$ADMIN_B" --peer-interval 1
wait_healthy "$PUBLIC_C" 30 || fail "C did not catch up"
for i in $(seq 1 50); do
    curl -sS -o "$WORK/docC" "$PUBLIC_C$DOC"
    cmp -s "$WORK/docA" "$WORK/docC" && break
    sleep 0.2
done
cmp -s "$WORK/docA" "$WORK/docC" || fail "C did not adopt the promotion: $(cat "$WORK/docC")"
expect_eq "C ETag" "$(curl -sS -D - -o /dev/null "$PUBLIC_C$DOC" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')" \
    "$(curl -sS -D - -o /dev/null "$PUBLIC_A$DOC" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')"
# and a peer holding an older promotion never takes a node back
curl -sS -H "Authorization: Bearer $TOKEN" "$ADMIN_C/v1/promotion" | jq -c .promotion >"$WORK/pc"
expect_eq "C generation" "$(jq -r .generation "$WORK/pc")" 4
set +e
"$ORIGIN_INGEST" verify --node "$ADMIN_A" --node "$ADMIN_B" --node "$ADMIN_C" \
    --token-file "$TOKEN_FILE" --release r1 --json >"$WORK/vout" 2>"$WORK/verr"
vrc=$?
set -e
expect_eq "verify of three nodes: exit" "$vrc" 0
expect_eq "verify --json promotions" "$(jq -r '[.promotions[].promotion.release] | join(",")' "$WORK/vout")" r1,r1,r1
for n in A B C; do
    adm="ADMIN_$n"
    expect_eq "$n metrics generation" "$(curl -sS -H "Authorization: Bearer $TOKEN" "${!adm}/metrics" |
        sed -n 's/^origind_promotion_generation //p')" 4
done
"$ORIGIND" fsck --store "$WORK/c" >"$WORK/fsck" 2>&1 || fail "fsck of a promoted store: $(cat "$WORK/fsck")"
ok "a node down during a rollback adopts it from its peer; a node joining later adopts it; identical bytes and ETag"
