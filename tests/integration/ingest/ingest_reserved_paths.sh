#!/usr/bin/env bash
# ingest_reserved_paths: a file whose published path (after --prefix and
# naming) would be /healthz or under /.well-known/origind/ (the server
# answers those itself, api_path_reserved) is refused by push, --dry-run
# included, with exit 2 naming the file, before anything is published; the
# manifest command refuses such a path from a node that published it.
. "$(dirname "$0")/ingest_lib.sh"

S="$WORK/site"
mkdir -p "$S/.well-known/origind" "$S/sub"
printf 'not the health check\n' >"$S/healthz"
printf 'sub\n' >"$S/sub/healthz"
printf '{"live":"evil"}\n' >"$S/.well-known/origind/release"
printf 'a{}\n' >"$S/app.css"

refused() { # refused WHAT FILE PATH ARGS...: exit 2, FILE and PATH named, no manifest
    local what=$1 file=$2 path=$3
    shift 3
    rm -f "$WORK/m.json"
    run_ingest push --dry-run --quiet --manifest-out "$WORK/m.json" "$@" "$S"
    [ "$RC" = 2 ] || fail "$what: exit $RC, want 2: $(cat "$WORK/err")"
    grep -qF "$file would publish at $path, a path the server answers itself" "$WORK/err" ||
        fail "$what: $file not named: $(cat "$WORK/err")"
    [ ! -e "$WORK/m.json" ] || fail "$what: manifest written"
}
accepted() { # accepted WHAT ARGS...
    local what=$1
    shift
    run_ingest push --dry-run --quiet --manifest-out "$WORK/m.json" "$@" "$S"
    [ "$RC" = 0 ] || fail "$what: exit $RC: $(cat "$WORK/err")"
}

refused "healthz at the root" healthz /healthz --prefix / --keep-names
refused "empty prefix" healthz /healthz --prefix "" --keep-names
refused "the release document" .well-known/origind/release /.well-known/origind/release \
    --prefix / --keep-names --include-hidden
grep -qF "healthz would publish at /healthz" "$WORK/err" || fail "both files: healthz not named too"
h16() { sha256sum "$S/$1" | cut -c1-16; }
refused "a prefix inside the reserved tree" app.css "/.well-known/origind/app.$(h16 app.css).css" \
    --prefix /.well-known/origind
ok "/healthz and /.well-known/origind/... refused (exit 2, each file named, no manifest)"

accepted "default prefix, hashed"
accepted "root prefix, hashed names" --prefix /
expect_eq "hashed healthz" "$(json_get "$WORK/m.json" 'd["healthz"]')" "/healthz.$(h16 healthz)"
accepted "kept names under /assets" --keep-names --include-hidden
expect_eq "kept healthz" "$(json_get "$WORK/m.json" 'd["healthz"]')" "/assets/healthz"
expect_eq "kept release" "$(json_get "$WORK/m.json" 'd[".well-known/origind/release"]')" \
    "/assets/.well-known/origind/release"
accepted "sub/healthz at the root" --prefix /sub --keep-names
expect_eq "sub/healthz" "$(json_get "$WORK/m.json" 'd["sub/healthz"]')" "/sub/sub/healthz"
ok "the same files elsewhere are published"

# A real push: refused before anything is published; /healthz stays the
# server's own answer.
start_nodes 1
mapfile -t NODES < <(node_args)
run_ingest push "${NODES[@]}" --token-file "$TOKEN_FILE" --release r1 --quiet --prefix / \
    --keep-names "$S"
[ "$RC" = 2 ] || fail "push: exit $RC, want 2: $(cat "$WORK/err")"
grep -qF "healthz would publish at /healthz" "$WORK/err" || fail "push: not named: $(cat "$WORK/err")"
expect_eq "nothing published" "$(admin_curl -o /dev/null -w '%{http_code}' "${ADMIN[0]}/v1/releases/r1")" 404
expect_eq "/healthz" "$(curl -sS "${PUBLIC[0]}/healthz")" ok
ok "push: exit 2, nothing published, /healthz is the server's"

# manifest: a release that holds /healthz (a node from before publish
# refused reserved paths) has no URL that serves it: refused, named.
H=$(sha256sum "$S/healthz" | cut -c1-64)
admin_curl -o /dev/null -X PUT --data-binary @"$S/healthz" "${ADMIN[0]}/v1/blobs/$H"
code=$(admin_curl -o "$WORK/pub.out" -w '%{http_code}' -X PUT --data-binary \
    "{\"files\":[{\"path\":\"/healthz\",\"sha256\":\"$H\",\"type\":\"application/octet-stream\"}]}" \
    "${ADMIN[0]}/v1/releases/old")
if [ "$code" = 422 ]; then
    ok "manifest: skipped, this node refuses to publish /healthz (422: $(cat "$WORK/pub.out"))"
else
    expect_eq "old node publishes /healthz" "$code" 201
    run_ingest manifest "${NODES[@]}" --token-file "$TOKEN_FILE" --release old --prefix / \
        --keep-names --out "$WORK/old.json"
    [ "$RC" = 2 ] || fail "manifest: exit $RC, want 2: $(cat "$WORK/err")"
    grep -qF "/healthz (from healthz) is a path the server answers itself" "$WORK/err" ||
        fail "manifest: not named: $(cat "$WORK/err")"
    [ ! -e "$WORK/old.json" ] || fail "manifest: written"
    ok "manifest: a reserved path from a node is refused (exit 2, named)"
fi
