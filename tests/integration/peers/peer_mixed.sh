#!/usr/bin/env bash
# peer_mixed: a rolling upgrade's mixed fleet. The previous build (commit
# ORIGIND_COMPAT_COMMIT, node API 1, no Origind-Api header) is built from git
# into ORIGIND_COMPAT_DIR (kept between runs and shared between build trees;
# its file "commit" says which commit it holds) and run beside this build.
# Either side interoperates or stops with the one-line version reason, never
# silently: this origin-ingest refuses an old node; an old origin-ingest can
# push to a new node; a new node refuses to catch up from an old peer (and
# counts it); an old node catches up from a new one.
. "$(dirname "$0")/peer_lib.sh"

COMMIT="${ORIGIND_COMPAT_COMMIT:-08693de}"
SRC="$(cd "$PEER_DIR/../../.." && pwd)"
OUT="${ORIGIND_COMPAT_DIR:-$WORK/compat}"
if [ ! -x "$OUT/build/bin/origind" ] || [ ! -x "$OUT/build/bin/origin-ingest" ] ||
    [ "$(cat "$OUT/commit" 2>/dev/null)" != "$COMMIT" ]; then
    if ! git -C "$SRC" cat-file -e "$COMMIT^{commit}" 2>/dev/null; then
        echo "SKIP: commit $COMMIT is not in this clone (shallow?)"
        exit 77
    fi
    rm -rf "$OUT" && mkdir -p "$OUT/src"
    git -C "$SRC" archive "$COMMIT" | tar -x -C "$OUT/src"
    cmake -S "$OUT/src" -B "$OUT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DORIGIND_WERROR=OFF \
        >"$OUT/cmake.log" 2>&1 || { cat "$OUT/cmake.log" >&2; fail "cmake of $COMMIT"; }
    cmake --build "$OUT/build" --target origind origin-ingest -j2 >"$OUT/build.log" 2>&1 ||
        { tail -30 "$OUT/build.log" >&2; fail "build of $COMMIT"; }
    echo "$COMMIT" >"$OUT/commit"
else
    echo "the build of $COMMIT in $OUT is reused"
fi
OLD_ORIGIND="$OUT/build/bin/origind"
OLD_INGEST="$OUT/build/bin/origin-ingest"
NEW_ORIGIND="$ORIGIND"

# start_old NAME STORE [ARGS...]: as start, with the previous build
start_old() {
    ORIGIND="$OLD_ORIGIND"
    start "$@"
    ORIGIND="$NEW_ORIGIND"
}

start_old O "$WORK/o"
start N "$WORK/n"
make_site "$WORK/s1" 1 20

# --- this origin-ingest and an old node: the one-line version reason --------
set +e
"$ORIGIN_INGEST" push --node "$ADMIN_O" --token-file "$TOKEN_FILE" --release r1 "$WORK/s1" \
    >/dev/null 2>"$WORK/p.err"
rc=$?
set -e
expect_eq "push to an old node" "$rc" 4
grep -q "node $ADMIN_O speaks node API 1 (no Origind-Api header), this build speaks 2" "$WORK/p.err" ||
    fail "no version reason: $(cat "$WORK/p.err")"
ok "new origin-ingest -> old node: exit 4, $(grep -o 'speaks node API 1.*' "$WORK/p.err" | head -1)"

# --- an old origin-ingest and a new node: interoperates ----------------------
"$OLD_INGEST" push --node "$ADMIN_N" --token-file "$TOKEN_FILE" --release r1 "$WORK/s1" \
    >/dev/null 2>"$WORK/op.err" || fail "old origin-ingest -> new node: $(cat "$WORK/op.err")"
"$OLD_INGEST" verify --node "$ADMIN_N" --token-file "$TOKEN_FILE" --release r1 \
    >/dev/null 2>&1 || fail "old verify against a new node"
"$ORIGIN_INGEST" verify --node "$ADMIN_N" --token-file "$TOKEN_FILE" --release r1 \
    >/dev/null 2>&1 || fail "new verify of what the old ingest pushed"
ok "old origin-ingest -> new node: push and verify work"

# --- a new node and an old peer: refused with the reason, counted ------------
"$OLD_INGEST" push --node "$ADMIN_O" --token-file "$TOKEN_FILE" --release r1 "$WORK/s1" \
    >/dev/null 2>&1 || fail "old push to the old node"
start M "$WORK/m" --peer "$ADMIN_O" --peer-interval 1 --peer-timeout 2
for i in $(seq 1 100); do
    grep -q "speaks node API 1" "$ERR_M" && break
    sleep 0.1
done
grep -q "peer $ADMIN_O speaks node API 1 (no Origind-Api header), this build speaks 2" "$ERR_M" ||
    fail "new node does not say why it refuses the old peer: $(tail -5 "$ERR_M")"
[ "$(metric "$ADMIN_M" origind_peer_incompatible_total)" -ge 1 ] || fail "not counted in /metrics"
expect_eq "releases taken from the old peer" "$(stat_of "$ADMIN_M" releases)" 0
expect_eq "blobs taken from the old peer" "$(stat_of "$ADMIN_M" blobs)" 0
ok "new node with an old peer: nothing taken, one-line reason logged and counted"

# --- an old node and a new peer: interoperates -------------------------------
start_old P "$WORK/p" --peer "$ADMIN_N" --peer-interval 1
wait_healthy "$PUBLIC_P" 60 || fail "old node did not catch up from a new peer: $(tail -5 "$ERR_P")"
PEER_CHECK_BASIC=1 check_releases "$ADMIN_N" "$PUBLIC_P" >/dev/null || fail "old node caught up from a new peer serves other bytes"
ok "old node with a new peer: caught up, byte-exact"
