#!/usr/bin/env bash
# peer_dictionary: zstd variants and dcz deltas travel to peers. Node A gets
# two releases pushed with --compress br,gzip,zstd (and deltas, the default);
# `origind sync` into an empty store, and a live node B started with --peer A,
# then answer every path in identity, gzip, br, zstd and every dcz delta A
# holds exactly as A does (peer_check.py: same bytes, same ETag, Vary,
# Use-As-Dictionary), each delta verified by the receiving store first.
. "$(dirname "$0")/peer_lib.sh"

start A "$WORK/a"
# 30 JS and CSS files of random-ish code (a delta must beat br by 10%), 10 binaries
python3 - "$WORK/s" <<'PY'
import os, random, sys
root = sys.argv[1]
rnd = random.Random(5)
for d in ("js", "css", "bin"):
    os.makedirs(os.path.join(root, d), exist_ok=True)
for i in range(15):
    open(f"{root}/js/m{i}.js", "w").write("".join(
        f"export const k{j} = {rnd.randint(0, 10**9)} + {rnd.randint(0, 10**9)};\n" for j in range(300)))
    open(f"{root}/css/s{i}.css", "w").write("".join(
        f".c{j} {{ margin: {rnd.randint(0, 99)}px {rnd.randint(0, 99)}px; }}\n" for j in range(300)))
for i in range(10):
    open(f"{root}/bin/b{i}.bin", "wb").write(os.urandom(500 + 100 * i))
PY
push_z() { # push_z RELEASE DIR: with zstd variants and the default deltas
    "$ORIGIN_INGEST" push --node "$ADMIN_A" --token-file "$TOKEN_FILE" --release "$1" \
        --compress br,gzip,zstd --json "$2" >"$WORK/push-$1.json" 2>"$WORK/push.err" ||
        { cat "$WORK/push.err" >&2; fail "push $1"; }
}
# hashed names, so that the files of two releases are versions of one another
push_z r1 "$WORK/s"
for f in "$WORK"/s/js/*.js "$WORK"/s/css/*.css; do echo "/* release 2 */" >>"$f"; done
push_z r2 "$WORK/s"
kept=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["deltas"]["kept"])' "$WORK/push-r2.json")
[ "$kept" -gt 10 ] || fail "push r2 kept only $kept deltas"

"$ORIGIND" sync --store "$WORK/c" --from "$ADMIN_A" --token-file "$TOKEN_FILE" >"$WORK/sync.out" 2>"$WORK/sync.err" ||
    { cat "$WORK/sync.out" "$WORK/sync.err"; fail "sync"; }
"$ORIGIND" fsck --store "$WORK/c" >/dev/null || fail "fsck after sync"
start C "$WORK/c"
out="$(check_releases "$ADMIN_A" "$PUBLIC_C")" || fail "synced node: $out"
case "$out" in *" 0 dcz answers"*) fail "synced node: no dcz compared: $out" ;; esac
ok "origind sync copies zstd variants and deltas: $out"

start B "$WORK/b" --peer "$ADMIN_A"
wait_healthy "$PUBLIC_B" 30 || fail "B did not catch up"
out="$(check_releases "$ADMIN_A" "$PUBLIC_B")" || fail "live peer: $out"
case "$out" in *" 0 dcz answers"*) fail "live peer: no dcz compared: $out" ;; esac
ok "a node catching up from a peer answers zstd and dcz as the pushed node does: $out"

# anti-entropy: a node with every release and blob but fewer deltas than its
# peer (a delta uploaded to one node only, or a heal, which copies no delta)
# catches up on its next check
start E "$WORK/e" --peer "$ADMIN_A" --peer-interval 1
wait_healthy "$PUBLIC_E" 30 || fail "E did not catch up"
mkdir -p "$WORK/s3"
cp -r "$WORK/s/." "$WORK/s3/"
echo "/* release 3 */" >>"$WORK/s3/js/m0.js"
for n in A E; do
    v="ADMIN_$n"
    "$ORIGIN_INGEST" push --node "${!v}" --token-file "$TOKEN_FILE" --release r3 --dict-deltas 0 \
        --manifest-out "$WORK/m3.json" --manifest-format full "$WORK/s3" >/dev/null 2>&1 || fail "push r3 to $n"
done
H3="$(sha256sum "$WORK/s3/js/m0.js" | cut -c1-64)"
H2="$(sha256sum "$WORK/s/js/m0.js" | cut -c1-64)"
zstd -q -19 -D "$WORK/s/js/m0.js" -c "$WORK/s3/js/m0.js" >"$WORK/d.zst"
{ printf '\x5e\x2a\x4d\x18\x20\x00\x00\x00'; printf '%s' "$H2" | tr a-f A-F | basenc --base16 -d; cat "$WORK/d.zst"; } >"$WORK/d.dcz"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -X PUT \
    --data-binary @"$WORK/d.dcz" "$ADMIN_A/v1/blobs/$H3/dcz/$H2")
expect_eq "delta to A only" "$code" 201
for _ in $(seq 1 100); do
    code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$ADMIN_E/v1/blobs/$H3/dcz/$H2")
    [ "$code" = 200 ] && break
    sleep 0.1
done
expect_eq "E copied the delta by anti-entropy" "$code" 200
out="$(check_releases "$ADMIN_A" "$PUBLIC_E")" || fail "E after anti-entropy: $out"
ok "anti-entropy copies a delta its peer has and it lacks: $out"
