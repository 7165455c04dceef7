#!/usr/bin/env bash
# peer_bad_peer: a peer that answers wrong bytes under a digest (a real
# client against a hostile admin API) is refused every time: `sync` from it
# stores everything else and exits non-zero; a node catching up from it and a
# good peer ends complete and byte-exact; a heal reads through the hostile
# peer, refuses its bytes and serves the good peer's.
. "$(dirname "$0")/peer_lib.sh"

start A "$WORK/a"
start B "$WORK/b"
make_site "$WORK/s1" 1 200
push r1 "$WORK/s1" "$ADMIN_A" "$ADMIN_B"
"$ORIGIND" backup --store "$WORK/b" --out "$WORK/b.backup" 2>/dev/null || fail "backup"
make_site "$WORK/s2" 2 9
push r2 "$WORK/s2" "$ADMIN_A" "$ADMIN_B"
set -- $(curl -sS -H "Authorization: Bearer $TOKEN" "$ADMIN_A/v1/releases/r2" |
    python3 -c 'import json,sys; f=[f for f in json.load(sys.stdin)["files"] if f["path"].endswith(".bin")][0]; print(f["path"], f["sha256"])')
BADPATH="$1" BAD="$2"
python3 "$PEER_DIR/hostile_peer.py" "$WORK/hport" "$ADMIN_A" "$BAD" &
HPID=$!
trap 'kill $HPID 2>/dev/null || true; origind_cleanup' EXIT
for i in $(seq 1 100); do [ -s "$WORK/hport" ] && break; sleep 0.05; done
HOSTILE="http://127.0.0.1:$(cat "$WORK/hport")"
BLOBS=$(stat_of "$ADMIN_A" blobs)

# sync from the hostile peer alone
set +e
"$ORIGIND" sync --store "$WORK/x" --from "$HOSTILE" --token-file "$TOKEN_FILE" >"$WORK/x.out" 2>"$WORK/x.err"
rc=$?
set -e
[ "$rc" != 0 ] || fail "sync from a hostile peer exited 0"
grep -q " [1-9] bad," "$WORK/x.out" || fail "bad blob not counted: $(cat "$WORK/x.out")"
grep -q "do not verify as $BAD" "$WORK/x.err" || fail "no log line naming the bad digest"
"$ORIGIND" fsck --store "$WORK/x" >/dev/null || fail "fsck after a hostile sync"
expect_eq "blobs from the hostile peer" "$("$ORIGIND" stats --store "$WORK/x" | python3 -c 'import json,sys; print(json.load(sys.stdin)["blobs"])')" $((BLOBS - 1))
# the release naming the bad blob was not published (invariant 3)
expect_eq "releases from the hostile peer" "$("$ORIGIND" stats --store "$WORK/x" | python3 -c 'import json,sys; print(json.load(sys.stdin)["releases"])')" 1
ok "sync from a hostile peer refuses its wrong bytes, stores the rest, exits $rc"

# catch-up from the hostile peer first, then the good one
start C "$WORK/c" --peer "$HOSTILE" --peer "$ADMIN_B"
wait_healthy "$PUBLIC_C" 30 || fail "never healthy"
[ "$(metric "$ADMIN_C" origind_peer_bad_blobs_total)" -ge 1 ] || fail "bad blob not in /metrics"
expect_eq "blobs" "$(stat_of "$ADMIN_C" blobs)" "$BLOBS"
check_releases "$ADMIN_A" "$PUBLIC_C" >/dev/null || fail "other bytes after a hostile catch-up"
"$ORIGIND" fsck --store "$WORK/c" >/dev/null || fail "fsck of C"
ok "catch-up refuses the hostile peer's bytes and completes from the next peer"

# a node restored from an old backup, asked at once for the path whose blob
# the hostile (first) peer corrupts: whether the heal or the concurrent
# catch-up gets there first, the hostile bytes are refused and the good
# peer's served
mkdir -p "$WORK/h"
cp "$WORK/b.backup" "$WORK/h/data.mdb"
start H "$WORK/h" --peer "$HOSTILE" --peer "$ADMIN_B" --peer-interval 3600
code=$(curl -s -o "$WORK/healed" -w '%{http_code}' -H 'Accept-Encoding: identity' "$PUBLIC_H$BADPATH")
expect_eq "path whose blob the hostile peer corrupts" "$code" 200
expect_eq "bytes served" "$(sha256sum <"$WORK/healed" | cut -d' ' -f1)" "$BAD"
[ "$(metric "$ADMIN_H" origind_peer_bad_blobs_total)" -ge 1 ] || fail "H never met the bad bytes"
"$ORIGIND" fsck --store "$WORK/h" >/dev/null || fail "fsck of H"
ok "a read-through on a restored node refuses the hostile peer's bytes and serves the next peer's"
