#!/usr/bin/env bash
# ingest_cli: --help/--version on every command, usage errors exit 2, env vars work.
. "$(dirname "$0")/ingest_lib.sh"

for c in "" push verify; do
    ingest $c --help >"$WORK/help" || fail "$c --help exit $?"
    grep -q "exit status" "$WORK/help" || [ -z "$c" ] || fail "$c --help lacks exit codes"
    ingest $c --version >"$WORK/version" || fail "$c --version exit $?"
    grep -q '^origin-ingest ' "$WORK/version" || fail "$c --version"
done
grep -q ORIGIN_INGEST_NODES "$WORK/help" || fail "verify --help lacks env names"
ingest push --help >"$WORK/help"
grep -q ORIGIN_INGEST_JOBS "$WORK/help" || fail "push --help lacks ORIGIN_INGEST_JOBS"
ok "help and version"

mkdir -p "$WORK/site"
echo hi >"$WORK/site/a.txt"
echo tok >"$WORK/tok"
expect_usage() {
    run_ingest "$@"
    [ "$RC" = 2 ] || fail "want exit 2 for: $* (got $RC: $(cat "$WORK/err"))"
}
expect_usage
expect_usage frobnicate
expect_usage push --node http://127.0.0.1:1 --token-file "$WORK/tok" --release r1       # no DIR
expect_usage push --token-file "$WORK/tok" --release r1 "$WORK/site"                    # no node
expect_usage push --node http://127.0.0.1:1 --release r1 "$WORK/site"                   # no token
expect_usage push --node http://127.0.0.1:1 --token-file "$WORK/tok" "$WORK/site"       # no release
expect_usage push --node http://127.0.0.1:1 --token-file "$WORK/tok" --release 'a/b' "$WORK/site"
expect_usage push --node ftp://x --token-file "$WORK/tok" --release r1 "$WORK/site"
expect_usage push --dry-run --jobs 0 "$WORK/site"
expect_usage push --dry-run --jobs x "$WORK/site"
expect_usage push --dry-run --compress deflate "$WORK/site"
expect_usage push --dry-run --compress br,br "$WORK/site"
expect_usage push --dry-run --compress br, "$WORK/site"
expect_usage push --dry-run --compress "" "$WORK/site"
expect_usage push --dry-run --dict-deltas 17 "$WORK/site"
expect_usage push --dry-run --dict-deltas -1 "$WORK/site"
expect_usage push --dry-run --manifest-format yaml "$WORK/site"
expect_usage push --dry-run --prefix assets "$WORK/site"
expect_usage push --dry-run --bogus "$WORK/site"
expect_usage push --dry-run "$WORK/site" extra
expect_usage push --dry-run "$WORK/nonexistent"
expect_usage verify --node http://127.0.0.1:1 --token-file "$WORK/tok"
ORIGIN_INGEST_JOBS=abc expect_usage push --dry-run "$WORK/site"
ORIGIN_INGEST_DRY_RUN=maybe expect_usage push "$WORK/site"
: >"$WORK/empty-token"
expect_usage push --node http://127.0.0.1:1 --token-file "$WORK/empty-token" --release r1 "$WORK/site"
ok "usage errors exit 2"

run_ingest push --node http://127.0.0.1:1 --token-file "$WORK/no-such-token" --release r1 "$WORK/site"
expect_eq "unreadable token file" "$RC" 5

# Environment variables stand for flags; the command line wins.
ORIGIN_INGEST_DRY_RUN=1 ORIGIN_INGEST_PREFIX=/static ORIGIN_INGEST_KEEP_NAMES=yes \
    ORIGIN_INGEST_MANIFEST_OUT="$WORK/m.json" ingest push "$WORK/site" 2>/dev/null
expect_eq "env prefix+keep-names" "$(json_get "$WORK/m.json" 'd["a.txt"]')" "/static/a.txt"
ORIGIN_INGEST_DRY_RUN=1 ORIGIN_INGEST_PREFIX=/static ingest push --prefix /x \
    --manifest-out "$WORK/m.json" --keep-names "$WORK/site" 2>/dev/null
expect_eq "flag beats env" "$(json_get "$WORK/m.json" 'd["a.txt"]')" "/x/a.txt"
ok "environment variables"
