#!/usr/bin/env bash
# ingest_changing_dir: files that change, shrink or vanish after they were
# hashed stop the push with exit 5 and nothing is published; a file created
# during the push is simply not part of the release. ORIGIN_INGEST_TEST_PAUSE_MS
# (tests only) opens a window after hashing, before any node is contacted.
. "$(dirname "$0")/ingest_lib.sh"

start_nodes 1
S="$WORK/site"
mkdir -p "$S"
for i in $(seq 1 20); do printf 'file %02d %0800d\n' "$i" "$i" >"$S/f$i.txt"; done

push_while() { # push_while RELEASE SHELL-COMMAND-RUN-DURING-THE-PAUSE
    ORIGIN_INGEST_TEST_PAUSE_MS=1500 "$ORIGIN_INGEST" push --node "${ADMIN[0]}" \
        --token-file "$TOKEN_FILE" --release "$1" --manifest-out "$WORK/m.json" ${EXTRA:-} "$S" \
        >"$WORK/out" 2>"$WORK/err" &
    local pid=$! i
    # the push says when it pauses (after hashing, before uploading)
    for i in $(seq 1 200); do
        grep -q "test pause" "$WORK/err" 2>/dev/null && break
        sleep 0.02
    done
    grep -q "test pause" "$WORK/err" || fail "the push never reached its test pause: $(cat "$WORK/err")"
    eval "$2"
    set +e
    wait "$pid"
    RC=$?
    set -e
}
not_published() {
    expect_eq "$1 published?" "$(curl -s -o /dev/null -w '%{http_code}' \
        -H "Authorization: Bearer $(cat "$TOKEN_FILE")" "${ADMIN[0]}/v1/releases/$1")" 404
}

# Same size, other bytes, in a file the node lacks: the node's digest check
# refuses the upload, origin-ingest re-hashes and reports the local change.
EXTRA="--compress none" push_while r1 'printf "file 03 %0800d\n" 7 >"$S/f3.txt"'
expect_eq "same-size change" "$RC" 5
grep -q "f3.txt changed during the push" "$WORK/err" || fail "f3 not named: $(cat "$WORK/err")"
not_published r1
[ ! -e "$WORK/m.json" ] || fail "manifest written"
# With compression, the re-hash before compressing catches it first.
push_while r1 'printf "file 03 %0800d\n" 8 >"$S/f3.txt"'
expect_eq "same-size change (compress)" "$RC" 5
grep -q "f3.txt: changed during the push" "$WORK/err" || fail "f3 not named: $(cat "$WORK/err")"
not_published r1
ok "content changed after hashing (same size): exit 5, not published"

# Grown file: caught while streaming it.
push_while r2 'printf "more\n" >>"$S/f4.txt"'
expect_eq "grown file" "$RC" 5
grep -q "f4.txt" "$WORK/err" || fail "f4 not named: $(cat "$WORK/err")"
not_published r2
ok "file grew after hashing: exit 5, not published"

# Everything uploaded now; then a change to a file the node already has is
# caught by the re-check before publishing.
ingest push --node "${ADMIN[0]}" --token-file "$TOKEN_FILE" --release base "$S" 2>/dev/null
push_while r3 'touch "$S/f5.txt"'
expect_eq "touched file" "$RC" 5
grep -q "f5.txt changed during the push" "$WORK/err" || fail "f5 not named: $(cat "$WORK/err")"
not_published r3
ok "file touched after hashing (blob already on node): exit 5, not published"

push_while r4 'rm "$S/f6.txt"'
expect_eq "vanished file" "$RC" 5
grep -q "f6.txt" "$WORK/err" || fail "f6 not named: $(cat "$WORK/err")"
not_published r4
ok "file deleted after hashing: exit 5, not published"

push_while r5 'printf "late\n" >"$S/late.txt"'
[ "$RC" = 0 ] || fail "new file during push: exit $RC: $(cat "$WORK/err")"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); assert "late.txt" not in m and "f1.txt" in m' "$WORK/m.json" ||
    fail "late file in the release"
ok "file created during the push: not part of the release, push succeeds"
