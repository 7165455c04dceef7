#!/usr/bin/env bash
# peer_fleet: one truth across the fleet (SPEC invariant 7, `verify`).
# A release id pushed with other content to two nodes fails `verify`, naming
# the odd node, and `verify --manifest` names the node that differs from the
# manifest; push --json and verify --json print the same release digest.
# The same build pushed to node A, then 2 s later to node B, and a node C
# caught up from A, answer every path with byte-identical status and headers
# (Last-Modified, ETag, Content-Type), conditional and range requests included.
. "$(dirname "$0")/peer_lib.sh"

start A "$WORK/a"
start B "$WORK/b"
make_site "$WORK/s1" 1 30
make_site "$WORK/s2" 2 30

# --- a split release fails verify -------------------------------------------
push R "$WORK/s1" "$ADMIN_A"
push R "$WORK/s2" "$ADMIN_B"
set +e
"$ORIGIN_INGEST" verify --node "$ADMIN_A" --node "$ADMIN_B" --token-file "$TOKEN_FILE" \
    --release R >"$WORK/v.out" 2>"$WORK/v.err"
rc=$?
set -e
expect_eq "verify of a split release" "$rc" 4
grep -q "release R differs" "$WORK/v.err" || fail "verify does not say the release differs: $(cat "$WORK/v.err")"
grep -q "node $ADMIN_B" "$WORK/v.err" || fail "verify does not name the odd node: $(cat "$WORK/v.err")"
ok "split release: verify exits 4 and names $ADMIN_B"

# --- the digest: push --json, verify --json, verify --manifest ---------------
"$ORIGIN_INGEST" push --node "$ADMIN_A" --node "$ADMIN_B" --token-file "$TOKEN_FILE" \
    --release r1 --manifest-out "$WORK/m.json" --manifest-format full --json "$WORK/s1" \
    >"$WORK/p.json" 2>/dev/null || fail "push r1"
PD=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert all(n["digest"]==d["digest"] for n in d["nodes"]), d; print(d["digest"])' "$WORK/p.json") ||
    fail "push --json: nodes' digests differ from the local one"
"$ORIGIN_INGEST" verify --node "$ADMIN_A" --node "$ADMIN_B" --token-file "$TOKEN_FILE" \
    --release r1 --manifest "$WORK/m.json" --json >"$WORK/v.json" 2>/dev/null || fail "verify r1 --manifest"
expect_eq "verify --json digest" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$WORK/v.json")" "$PD"
# the documented canonical listing, hashed by the shell
LISTED=$(curl -sS -H "Authorization: Bearer $TOKEN" "$ADMIN_A/v1/releases/r1" |
    python3 -c 'import json,sys; [print("%s\t%s\t%s" % (f["path"], f["sha256"], f["type"])) for f in json.load(sys.stdin)["files"]]' |
    LC_ALL=C sort | sha256sum | cut -c1-64)
expect_eq "digest = sha256 of the sorted listing" "$LISTED" "$PD"
set +e
"$ORIGIN_INGEST" verify --node "$ADMIN_A" --node "$ADMIN_B" --token-file "$TOKEN_FILE" \
    --release R --manifest "$WORK/m.json" >/dev/null 2>"$WORK/vm.err"
rc=$?
set -e
expect_eq "verify --manifest of another content" "$rc" 4
grep -q "differs from the manifest" "$WORK/vm.err" || fail "verify --manifest: $(cat "$WORK/vm.err")"
ok "digest $PD: push --json = verify --json = sha256 of the listing; --manifest checks it"

# --- the same answer from every node ------------------------------------------
make_site "$WORK/s3" 3 60
push r3 "$WORK/s3" "$ADMIN_A"
sleep 2.2
push r3 "$WORK/s3" "$ADMIN_B"
start C "$WORK/c" --peer "$ADMIN_A" --peer-interval 1
wait_healthy "$PUBLIC_C" 60 || fail "C did not catch up"
n=$(python3 "$PEER_DIR/fleet_headers.py" "$TOKEN" "$ADMIN_A" r3 "$PUBLIC_A" "$PUBLIC_B" "$PUBLIC_C") ||
    fail "nodes answer differently: $n"
ok "pushed at different times and caught up from a peer: $n answers identical on 3 nodes"
