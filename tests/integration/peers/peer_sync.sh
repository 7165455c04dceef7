#!/usr/bin/env bash
# peer_sync: `origind sync` catches an empty store up from a live peer (every
# blob, variant and release, byte-exact), a second run fetches nothing, a run
# killed half way resumes from its cursor and completes; `origind backup` of a
# live node restored as DIR/data.mdb seeds a node that serves everything.
. "$(dirname "$0")/peer_lib.sh"

start A "$WORK/a"
make_site "$WORK/s1" 1 4000
make_site "$WORK/s2" 2 300
push r1 "$WORK/s1" "$ADMIN_A"
push r2 "$WORK/s2" "$ADMIN_A"
BLOBS_A=$(stat_of "$ADMIN_A" blobs)

# one-shot catch-up
"$ORIGIND" sync --store "$WORK/c" --from "$ADMIN_A" --token-file "$TOKEN_FILE" >"$WORK/sync.out" 2>"$WORK/sync.err" ||
    { cat "$WORK/sync.out" "$WORK/sync.err"; fail "sync exit $?"; }
grep -q "$BLOBS_A fetched" "$WORK/sync.out" || fail "sync: $(cat "$WORK/sync.out")"
grep -q "2 releases published" "$WORK/sync.out" || fail "sync: $(cat "$WORK/sync.out")"
grep -q ': complete$' "$WORK/sync.out" || fail "sync: $(cat "$WORK/sync.out")"
"$ORIGIND" fsck --store "$WORK/c" >/dev/null || fail "fsck after sync"
ok "sync: $(cat "$WORK/sync.out")"

"$ORIGIND" sync --store "$WORK/c" --from "$ADMIN_A/" --token-file "$TOKEN_FILE" >"$WORK/sync2.out" 2>/dev/null ||
    fail "second sync"
grep -q " 0 fetched (0 bytes), 0 variants, 0 releases published" "$WORK/sync2.out" || fail "second sync: $(cat "$WORK/sync2.out")"
ok "second sync fetches nothing"

start C "$WORK/c"
check_releases "$ADMIN_A" "$PUBLIC_C" >/dev/null || fail "synced node serves other bytes"
# the same Last-Modified (the peer's publish time) on both nodes
P=$(curl -sS -H "Authorization: Bearer $TOKEN" "$ADMIN_A/v1/releases/r2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["files"][0]["path"])')
expect_eq "Last-Modified" "$(curl -sI "$PUBLIC_C$P" | grep -i '^last-modified' | tr -d '\r')" \
    "$(curl -sI "$PUBLIC_A$P" | grep -i '^last-modified' | tr -d '\r')"
ok "synced node serves every release byte-exact, same validators"
origind_stop "$PID_C"

# wrong token: refused, non-zero
echo wrong >"$WORK/bad.token"
if "$ORIGIND" sync --store "$WORK/x" --from "$ADMIN_A" --token-file "$WORK/bad.token" >/dev/null 2>&1; then
    fail "sync with a wrong token succeeded"
fi
ok "sync with a wrong token fails"

# killed half way, then resumed
"$ORIGIND" sync --store "$WORK/d" --from "$ADMIN_A" --token-file "$TOKEN_FILE" --peer-jobs 1 \
    >"$WORK/k.out" 2>"$WORK/k.err" &
SPID=$!
for i in $(seq 1 600); do
    ls "$WORK"/d/peer-*.cursor >/dev/null 2>&1 && break
    sleep 0.01
done
kill -KILL "$SPID" 2>/dev/null || true
wait "$SPID" 2>/dev/null || true
ls "$WORK"/d/peer-*.cursor >/dev/null 2>&1 || fail "no cursor file before the kill"
"$ORIGIND" sync --store "$WORK/d" --from "$ADMIN_A" --token-file "$TOKEN_FILE" >"$WORK/r.out" 2>"$WORK/r.err" ||
    fail "resumed sync: $(cat "$WORK/r.out" "$WORK/r.err")"
grep -q "resuming after" "$WORK/r.err" || fail "resumed sync did not resume: $(cat "$WORK/r.err")"
grep -q ': complete$' "$WORK/r.out" || fail "resumed sync: $(cat "$WORK/r.out")"
FETCHED=$(sed -n 's/.* \([0-9]*\) fetched .*/\1/p' "$WORK/r.out")
[ "$FETCHED" -lt "$BLOBS_A" ] || fail "resumed sync fetched everything again ($FETCHED)"
ls "$WORK"/d/peer-*.cursor >/dev/null 2>&1 && fail "cursor file left after a complete pass"
"$ORIGIND" fsck --store "$WORK/d" >/dev/null || fail "fsck after the resumed sync"
expect_eq "blobs after resume" "$("$ORIGIND" stats --store "$WORK/d" | python3 -c 'import json,sys; print(json.load(sys.stdin)["blobs"])')" "$BLOBS_A"
start D "$WORK/d"
check_releases "$ADMIN_A" "$PUBLIC_D" >/dev/null || fail "resumed node serves other bytes"
origind_stop "$PID_D"
ok "sync killed half way resumes ($FETCHED of $BLOBS_A fetched the second time) and completes"

# hot backup of the live node, restored as data.mdb of a new store
"$ORIGIND" backup --store "$WORK/a" --out "$WORK/a.backup" 2>/dev/null || fail "backup"
mkdir -p "$WORK/e"
cp "$WORK/a.backup" "$WORK/e/data.mdb"
"$ORIGIND" fsck --store "$WORK/e" >/dev/null || fail "fsck of the restored store"
start E "$WORK/e" --peer "$ADMIN_A"
wait_healthy "$PUBLIC_E" 20 || fail "restored node never healthy"
check_releases "$ADMIN_A" "$PUBLIC_E" >/dev/null || fail "restored node serves other bytes"
expect_eq "restored node fetched" "$(metric "$ADMIN_E" origind_peer_blobs_fetched_total)" 0
ok "backup restored as data.mdb serves everything, catch-up fetches nothing"
