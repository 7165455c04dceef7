#!/usr/bin/env bash
# ingest_push: first push to 3 nodes, a re-push that sends nothing, a release
# sharing most files with the last, verify, manifest URLs serving the right
# bytes on every node, precompressed variants, and the compression cache.
. "$(dirname "$0")/ingest_lib.sh"

start_nodes 3
mapfile -t NODES < <(node_args)
S="$WORK/site"
mkdir -p "$S/css" "$S/js" "$S/img" "$S/sub dir"
python3 - "$S" <<'PY'
import os, sys, random
root = sys.argv[1]
rnd = random.Random(4)
for i in range(40):
    open(f"{root}/js/m{i}.js", "w").write(("var x%d = %d;\n" % (i, i)) * (50 + 40 * i))
for i in range(20):
    open(f"{root}/img/p{i}.png", "wb").write(bytes(rnd.getrandbits(8) for _ in range(3000 + i * 500)))
open(f"{root}/css/app.css", "w").write("body{margin:0}\n" * 2000)
open(f"{root}/sub dir/ünï köde.txt", "w").write("hello wörld\n" * 50)
open(f"{root}/empty.json", "w").write("")
open(f"{root}/big.bin", "wb").write(os.urandom(9 << 20))   # > bundle size: sent alone
open(f"{root}/big.txt", "w").write("some text line\n" * (700 << 10))  # big, compressible
PY
NFILES=$(find "$S" -type f | wc -l)

run_ingest push "${NODES[@]}" --token-file "$TOKEN_FILE" --release r1 --json \
    --manifest-out "$WORK/m1.json" --manifest-format full "$S"
[ "$RC" = 0 ] || fail "first push: exit $RC: $(cat "$WORK/err")"
cp "$WORK/out" "$WORK/push1.json"
for i in 0 1 2; do
    expect_eq "node $i outcome" "$(json_get "$WORK/push1.json" "d['nodes'][$i]['outcome']")" published
    expect_eq "node $i blobs" "$(json_get "$WORK/push1.json" "d['nodes'][$i]['blobs_sent']")" "$NFILES"
    [ "$(json_get "$WORK/push1.json" "d['nodes'][$i]['variants_sent']")" -gt 40 ] || fail "no variants sent"
done
for i in 0 1 2; do
    check_manifest "$WORK/m1.json" "$S" "${PUBLIC[$i]}" >/dev/null || fail "manifest URLs on node $i"
done
ok "first push: every node has every blob; every manifest URL serves the right bytes on every node"

# The node serves the br variant uploaded for a compressible file, with the right type.
url=$(json_get "$WORK/m1.json" 'd["js/m39.js"]["url"]')
curl -sS -H 'Accept-Encoding: br' -D "$WORK/h" -o "$WORK/body.br" "${PUBLIC[1]}$url"
expect_eq "content-encoding" "$(header_of "$WORK/h" Content-Encoding)" br
expect_eq "content-type" "$(header_of "$WORK/h" Content-Type)" "text/javascript; charset=utf-8"
[ "$(stat -c %s "$WORK/body.br")" -lt "$(stat -c %s "$S/js/m39.js")" ] || fail "br variant not smaller"
url=$(json_get "$WORK/m1.json" 'd["big.txt"]["url"]')
curl -sS -H 'Accept-Encoding: gzip' -D "$WORK/h" "${PUBLIC[2]}$url" | gzip -dc | cmp - "$S/big.txt" ||
    fail "gzip variant of the big text file"
ok "br and gzip variants served (small and big files)"

ingest verify "${NODES[@]}" --token-file "$TOKEN_FILE" --release r1 2>/dev/null || fail "verify r1"

# Re-push of the same tree: sends no blob, publishes nothing new, compresses nothing.
run_ingest push "${NODES[@]}" --token-file "$TOKEN_FILE" --release r1 --json "$S"
[ "$RC" = 0 ] || fail "re-push: exit $RC: $(cat "$WORK/err")"
for i in 0 1 2; do
    expect_eq "re-push $i sent" "$(json_get "$WORK/out" "d['nodes'][$i]['bytes_sent']")" 0
    expect_eq "re-push $i outcome" "$(json_get "$WORK/out" "d['nodes'][$i]['outcome']")" unchanged
done
expect_eq "re-push compression" "$(json_get "$WORK/out" "d['compression']['blobs']")" 0
# the nodes were skipped on their release digest (HEAD /v1/releases/<id>): the same as the build's
want=$(json_get "$WORK/out" "d['digest']")
for i in 0 1 2; do
    expect_eq "re-push $i digest" "$(json_get "$WORK/out" "d['nodes'][$i]['digest']")" "$want"
    expect_eq "re-push $i missing" "$(json_get "$WORK/out" "d['nodes'][$i]['missing']")" 0
    curl -sS -I -H "Authorization: Bearer $(cat "$TOKEN_FILE")" "${ADMIN[$i]}/v1/releases/r1" \
        >"$WORK/head" || fail "HEAD release on node $i"
    expect_eq "HEAD release $i status" "$(status_of "$WORK/head")" 200
    expect_eq "HEAD release $i digest" "$(header_of "$WORK/head" Origind-Release-Digest)" "$want"
    expect_eq "HEAD release $i files" "$(header_of "$WORK/head" Origind-Release-Files)" \
        "$(json_get "$WORK/out" "d['files']")"
done
curl -sS -I -H "Authorization: Bearer $(cat "$TOKEN_FILE")" "${ADMIN[0]}/v1/releases/nope" \
    >"$WORK/head" || fail "HEAD of an unknown release"
expect_eq "HEAD unknown release" "$(status_of "$WORK/head")" 404
ok "re-push sends nothing: every node already held the build's release digest"

# A release sharing most files: only the two changed files are sent.
printf 'var changed = 1;\n' >>"$S/js/m3.js"
head -c 5000 /dev/urandom >"$S/img/new.png"
run_ingest push "${NODES[@]}" --token-file "$TOKEN_FILE" --release r2 --json \
    --manifest-out "$WORK/m2.json" "$S"
[ "$RC" = 0 ] || fail "r2 push: exit $RC: $(cat "$WORK/err")"
for i in 0 1 2; do
    expect_eq "r2 node $i blobs" "$(json_get "$WORK/out" "d['nodes'][$i]['blobs_sent']")" 2
done
check_manifest "$WORK/m2.json" "$S" "${PUBLIC[0]}" >/dev/null || fail "r2 manifest URLs"
# Old URLs keep serving (nothing is deleted).
url=$(json_get "$WORK/m1.json" 'd["js/m3.js"]["url"]')
curl -sSf -o /dev/null "${PUBLIC[0]}$url" || fail "r1 URL of a changed file gone"
ingest verify "${NODES[@]}" --token-file "$TOKEN_FILE" --release r1 --release r2 2>/dev/null ||
    fail "verify r2"
ok "release sharing most files sends only what changed; old URLs still served"

# Compression cache: a fresh node needs every blob again, but nothing is recompressed.
origind_start "$WORK/store-new" --admin-token-file "$TOKEN_FILE" >/dev/null
run_ingest push --node "$NODE_ADMIN" --token-file "$TOKEN_FILE" --release r2 --json "$S"
[ "$RC" = 0 ] || fail "push to fresh node: exit $RC: $(cat "$WORK/err")"
expect_eq "cache: computed" "$(json_get "$WORK/out" "d['compression']['computed']")" 0
[ "$(json_get "$WORK/out" "d['compression']['cached']")" -gt 40 ] || fail "cache not used"
ls "$ORIGIN_INGEST_CACHE"/*/*.br >/dev/null || fail "no cache entries"
ok "compression cache: a later push never recompresses the same bytes"

# verify names a node that lacks the release.
run_ingest verify "${NODES[@]}" --node "$NODE_ADMIN" --token-file "$TOKEN_FILE" --release r1
expect_eq "verify incomplete" "$RC" 4
grep -q "$NODE_ADMIN.*not found" "$WORK/err" || fail "verify did not name the node: $(cat "$WORK/err")"
ok "verify exits 4 naming the node without the release"
