#!/usr/bin/env bash
# ingest_manifest: `origin-ingest manifest` gives, from what a node knows, the
# manifest push --manifest-out wrote, byte for byte (flat and full, hashed
# names and --keep-names, a --public-base, another --prefix), and fails with
# a reason on a wrong --prefix / --keep-names or an unknown release.
. "$(dirname "$0")/ingest_lib.sh"

start_nodes 2
mapfile -t NODES < <(node_args)
S="$WORK/site"
cp -r "$(dirname "$0")/../../../sample-site" "$S"
# names whose walk order differs from the published paths' order, and every
# place the hash can go (before the last extension, appended, a trailing '.')
mkdir -p "$S/a" "$S/js"
printf 'x\n' >"$S/a/b.txt"
printf 'y\n' >"$S/a-c.txt"
printf '{}' >"$S/js/app.js.map"
printf 'lic\n' >"$S/LICENSE"
printf 'dot\n' >"$S/trailing."
printf 'tgz\n' >"$S/archive.tar.gz"
cp "$S/css/app.css" "$S/css/copy.css" # the same bytes under two names
: >"$S/empty.txt"                       # size 0 in the full manifest

B=https://cdn.example.com/
push() { # push RELEASE FORMAT OUT ARGS...
    local rel=$1 fmt=$2 out=$3
    shift 3
    run_ingest push "${NODES[@]}" --token-file "$TOKEN_FILE" --release "$rel" \
        --manifest-out "$out" --manifest-format "$fmt" --public-base "$B" "$@" "$S"
    [ "$RC" = 0 ] || fail "push $rel $fmt: exit $RC: $(cat "$WORK/err")"
}
regen() { # regen RELEASE FORMAT OUT ARGS...
    local rel=$1 fmt=$2 out=$3
    shift 3
    run_ingest manifest "${NODES[@]}" --token-file "$TOKEN_FILE" --release "$rel" \
        --manifest-format "$fmt" --public-base "$B" --out "$out" "$@"
    [ "$RC" = 0 ] || fail "manifest $rel $fmt: exit $RC: $(cat "$WORK/err")"
}

push r1 flat "$WORK/p1-flat.json"
push r1 full "$WORK/p1-full.json" # the same release again: a no-op on the nodes
push r2 flat "$WORK/p2-flat.json" --keep-names --prefix /static
push r2 full "$WORK/p2-full.json" --keep-names --prefix /static
push r3 full "$WORK/p3-full.json" --prefix /

regen r1 flat "$WORK/m1-flat.json"
regen r1 full "$WORK/m1-full.json"
regen r2 flat "$WORK/m2-flat.json" --keep-names --prefix /static
regen r2 full "$WORK/m2-full.json" --keep-names --prefix /static
regen r3 full "$WORK/m3-full.json" --prefix /
for m in 1-flat 1-full 2-flat 2-full 3-full; do
    cmp "$WORK/p$m.json" "$WORK/m$m.json" || fail "manifest $m differs from push's"
done
ok "regenerated manifests are byte-identical (flat, full, --keep-names, --prefix)"

# stdout without --out, from one node, with the environment variables
set +e
ORIGIN_INGEST_RELEASE=r1 ORIGIN_INGEST_MANIFEST_FORMAT=full ORIGIN_INGEST_PUBLIC_BASE="$B" \
    ORIGIN_INGEST_TOKEN_FILE="$TOKEN_FILE" "$ORIGIN_INGEST" manifest --node "${ADMIN[1]}" \
    >"$WORK/stdout.json" 2>"$WORK/err"
RC=$?
set -e
[ "$RC" = 0 ] || fail "manifest to stdout: exit $RC: $(cat "$WORK/err")"
cmp "$WORK/p1-full.json" "$WORK/stdout.json" || fail "stdout manifest differs"
ok "stdout and environment variables"

# --nodes-dns, and a node without the release next to one with it
origind_start "$WORK/store-empty" --admin-token-file "$TOKEN_FILE" >/dev/null ||
    fail "the empty node did not start"
EMPTY=$NODE_ADMIN
PORT0=${ADMIN[0]##*:}
run_ingest manifest --node "$EMPTY" --nodes-dns "127.0.0.1:$PORT0" --token-file "$TOKEN_FILE" \
    --release r1 --manifest-format full --public-base "$B" --out "$WORK/dns.json"
[ "$RC" = 0 ] || fail "manifest --nodes-dns: exit $RC: $(cat "$WORK/err")"
cmp "$WORK/p1-full.json" "$WORK/dns.json" || fail "--nodes-dns manifest differs"
grep -q "release r1 not found" "$WORK/err" || fail "the node without r1 is not named: $(cat "$WORK/err")"
ok "--nodes-dns; a node without the release is named, another gives the manifest"

# a wrong --prefix: named, with the flag to give; no file written
run_ingest manifest "${NODES[@]}" --token-file "$TOKEN_FILE" --release r2 --keep-names \
    --out "$WORK/bad.json"
[ "$RC" = 2 ] || fail "wrong --prefix: exit $RC, want 2: $(cat "$WORK/err")"
grep -q 'published path /static/.* is not under --prefix /assets (give the --prefix' "$WORK/err" ||
    fail "wrong --prefix: no reason: $(cat "$WORK/err")"
[ "$(wc -l <"$WORK/err")" = 1 ] || fail "wrong --prefix: not one line: $(cat "$WORK/err")"
[ ! -e "$WORK/bad.json" ] || fail "wrong --prefix wrote a manifest"
# names pushed as they are (--keep-names) read without --keep-names: refused
run_ingest manifest "${NODES[@]}" --token-file "$TOKEN_FILE" --release r2 --prefix /static \
    --out "$WORK/bad.json"
[ "$RC" = 2 ] || fail "missing --keep-names: exit $RC, want 2: $(cat "$WORK/err")"
grep -q 'has no content-hash segment .* give --keep-names' "$WORK/err" ||
    fail "missing --keep-names: no reason: $(cat "$WORK/err")"
ok "a wrong --prefix or a missing --keep-names fails with the reason"

# an unknown release
run_ingest manifest "${NODES[@]}" --token-file "$TOKEN_FILE" --release nope --out "$WORK/bad.json"
[ "$RC" = 4 ] || fail "unknown release: exit $RC, want 4: $(cat "$WORK/err")"
grep -q 'release nope not found on any of the 2 nodes' "$WORK/err" ||
    fail "unknown release: no reason: $(cat "$WORK/err")"
[ "$(wc -l <"$WORK/err")" = 1 ] || fail "unknown release: not one line: $(cat "$WORK/err")"
[ ! -e "$WORK/bad.json" ] || fail "unknown release wrote a manifest"
# usage errors
run_ingest manifest "${NODES[@]}" --token-file "$TOKEN_FILE"
[ "$RC" = 2 ] || fail "no --release: exit $RC, want 2"
run_ingest manifest "${NODES[@]}" --token-file "$TOKEN_FILE" --release r1 --manifest-format x
[ "$RC" = 2 ] || fail "bad --manifest-format: exit $RC, want 2"
run_ingest manifest --help
[ "$RC" = 0 ] || fail "manifest --help: exit $RC"
grep -q -- '--out FILE' "$WORK/out" || fail "manifest --help: no --out"
grep -q ORIGIN_INGEST_OUT "$WORK/out" || fail "manifest --help: no ORIGIN_INGEST_OUT"
ok "unknown release and usage errors"
