#!/usr/bin/env bash
# peer_mixed_zstd: a fleet upgrading to zstd and dcz. The build before them
# (commit ORIGIND_COMPAT_ZSTD_COMMIT, node API 2, no Origind-Encodings) is
# built from git into ORIGIND_COMPAT_DIR (kept between runs) and run beside
# this build. This origin-ingest pushes --compress br,gzip,zstd and deltas to
# both: the old node gets gzip and br only (nothing it would refuse), the new
# one zstd and deltas too. An old node catches up from a new peer (whose blob
# listing carries extra_variants and deltas) and its own fsck passes; a new
# node catches up from an old peer. Every answer the nodes share (identity,
# gzip, br) is byte-identical across them.
. "$(dirname "$0")/peer_lib.sh"

COMMIT="${ORIGIND_COMPAT_ZSTD_COMMIT:-b072e03}"
SRC="$(cd "$PEER_DIR/../../.." && pwd)"
OUT="${ORIGIND_COMPAT_DIR:-$WORK/compat}"
if [ ! -x "$OUT/build/bin/origind" ]; then
    if ! git -C "$SRC" cat-file -e "$COMMIT^{commit}" 2>/dev/null; then
        echo "SKIP: commit $COMMIT is not in this clone (shallow?)"
        exit 77
    fi
    rm -rf "$OUT" && mkdir -p "$OUT/src"
    git -C "$SRC" archive "$COMMIT" | tar -x -C "$OUT/src"
    cmake -S "$OUT/src" -B "$OUT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DORIGIND_WERROR=OFF \
        >"$OUT/cmake.log" 2>&1 || { cat "$OUT/cmake.log" >&2; fail "cmake of $COMMIT"; }
    cmake --build "$OUT/build" --target origind -j2 >"$OUT/build.log" 2>&1 ||
        { tail -30 "$OUT/build.log" >&2; fail "build of $COMMIT"; }
fi
OLD_ORIGIND="$OUT/build/bin/origind"
NEW_ORIGIND="$ORIGIND"
start_old() { # as start, with the previous build
    ORIGIND="$OLD_ORIGIND"
    start "$@"
    ORIGIND="$NEW_ORIGIND"
}

start_old O "$WORK/o"
start N "$WORK/n"
python3 - "$WORK/s" <<'PY'
import os, random, sys
root = sys.argv[1]
rnd = random.Random(11)
os.makedirs(f"{root}/js", exist_ok=True)
for i in range(6):
    open(f"{root}/js/m{i}.js", "w").write("".join(
        f"export const k{j} = {rnd.randint(0, 10**9)};\n" for j in range(400)))
PY
push_both() { # push_both RELEASE
    "$ORIGIN_INGEST" push --node "$ADMIN_O" --node "$ADMIN_N" --token-file "$TOKEN_FILE" \
        --release "$1" --compress br,gzip,zstd --json "$WORK/s" >"$WORK/push-$1.json" 2>"$WORK/push.err" ||
        fail "push $1 to an old and a new node: $(cat "$WORK/push.err")"
}
push_both r1
for f in "$WORK"/s/js/*.js; do echo "/* r2 */" >>"$f"; done
push_both r2
read -r kept sent refused < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["deltas"]; print(d["kept"], d["sent"], d["refused"])' "$WORK/push-r2.json")
[ "$kept" -ge 6 ] || fail "push r2 kept $kept deltas"
expect_eq "deltas sent to the new node only" "$sent" "$kept"
expect_eq "none refused" "$refused" 0
expect_eq "old node: no delta" "$(curl -s -H "Authorization: Bearer $TOKEN" "$ADMIN_O/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["store"].get("deltas", "absent"))')" absent
"$OLD_ORIGIND" fsck --store "$WORK/o" >"$WORK/fsck-o" 2>&1 || fail "old node's fsck after a new push: $(cat "$WORK/fsck-o")"
out="$(PEER_CHECK_BASIC=1 check_releases "$ADMIN_N" "$PUBLIC_O")" || fail "old vs new node: $out"
ok "new push to an old and a new node: the old one gets gzip and br only, its fsck passes; shared answers identical ($out)"

start_old P "$WORK/p" --peer "$ADMIN_N" --peer-interval 1
wait_healthy "$PUBLIC_P" 60 || fail "old node did not catch up from a new peer: $(tail -5 "$ERR_P")"
out="$(PEER_CHECK_BASIC=1 check_releases "$ADMIN_N" "$PUBLIC_P")" || fail "old node from a new peer: $out"
"$OLD_ORIGIND" fsck --store "$WORK/p" >"$WORK/fsck-p" 2>&1 || fail "old node's fsck after catching up from a new peer: $(cat "$WORK/fsck-p")"
ok "old node catches up from a new peer (extra_variants, deltas in its listing), fsck passes ($out)"

start M "$WORK/m" --peer "$ADMIN_O" --peer-interval 1
wait_healthy "$PUBLIC_M" 60 || fail "new node did not catch up from an old peer: $(tail -5 "$ERR_M")"
out="$(PEER_CHECK_BASIC=1 check_releases "$ADMIN_O" "$PUBLIC_M")" || fail "new node from an old peer: $out"
ok "new node catches up from an old peer ($out)"
