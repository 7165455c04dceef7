#!/usr/bin/env bash
# quickstart.sh (test) - the README's first five minutes, as a new user runs them,
# in a temporary copy of the tree (ctest: e2e_quickstart):
#   scripts/quickstart.sh           -> prints a `curl -I URL` line; that URL answers 200;
#                                      the printed page URL (another origin) works in a
#                                      real headless Chromium (open_sample_page.py)
#   scripts/quickstart.sh (again)   -> still fine, nothing new published
#   scripts/quickstart.sh --cdn     -> the printed x-cache lines give MISS, then HIT
#   scripts/quickstart.sh --stop    -> the node and nginx are gone
# Uses ORIGIND_BIN_DIR (set by ctest) instead of building the copy again.
set -euo pipefail
. "$(dirname "$0")/e2e_lib.sh"
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "SKIP: nginx not installed"; exit 77; }
: "${ORIGIND_BIN_DIR:=$E2E_REPO/build/bin}"
[ -x "$ORIGIND_BIN_DIR/origind" ] && [ -x "$ORIGIND_BIN_DIR/origin-ingest" ] ||
    { echo "FAIL: binaries not built in $ORIGIND_BIN_DIR" >&2; exit 1; }
export ORIGIND_BIN_DIR

T="$(mktemp -d "${TMPDIR:-/tmp}/origind-quickstart.XXXXXX")"
# origin-ingest's compression cache: this run's own, not $HOME/.cache shared
# with the other e2e tests running at the same time
export XDG_CACHE_HOME="$T/cache"
cleanup() {
    local rc=$?
    (cd "$T/repo" 2>/dev/null && scripts/quickstart.sh --stop >/dev/null 2>&1) || true
    rm -rf "$T"
    exit $rc
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ ! -f "$T/out" ] || sed 's/^/    | /' "$T/out" >&2; exit 1; }

# A copy of the tree as a clone would have it (no build dirs, no store).
mkdir -p "$T/repo"
tar -C "$E2E_REPO" --exclude='./build*' --exclude=./.store --exclude=./.git -cf - . | tar -C "$T/repo" -xf -
cd "$T/repo"

scripts/quickstart.sh </dev/null >"$T/out" 2>&1 || fail "scripts/quickstart.sh exited $?"
url="$(sed -n 's/^  curl -I \(http[^ ]*\)$/\1/p' "$T/out" | head -1)"
[ -n "$url" ] || fail "no 'curl -I URL' line printed"
curl -sS -D "$T/h" -o "$T/body" "$url" || fail "curl $url"
status="$(awk '/^HTTP\//{s=$2} END{print s}' "$T/h")"
[ "$status" = 200 ] || fail "$url answered $status"
cmp -s "$T/body" sample-site/css/app.css || fail "$url did not return sample-site/css/app.css"
grep -qi '^cache-control:.*immutable' "$T/h" || fail "$url: no immutable Cache-Control"
echo "ok: quickstart printed $url and it serves sample-site/css/app.css"

# The 404 line.
nf="$(sed -n 's/^  curl -sI \(http[^ ]*app\.0000000000000000\.css\).*/\1/p' "$T/out")"
[ -n "$nf" ] || fail "no 404 example printed"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$nf")" = 404 ] || fail "$nf is not a 404"

# Every printed URL answers with the source file's bytes (the file with a space too).
n=0
while IFS=$'\t' read -r src u; do
    curl -sS -o "$T/b" "$u" && cmp -s "$T/b" "sample-site/$src" || fail "$u is not sample-site/$src"
    n=$((n + 1))
done < <(python3 -c 'import json,sys,urllib.parse
for k, v in json.load(open(sys.argv[1])).items(): print(k + "\t" + sys.argv[2] + urllib.parse.quote(urllib.parse.unquote(v["url"])))' \
    .store/quickstart/manifest.json "$(sed -n 's/^PUBLIC=//p' .store/quickstart/node.env)")
[ "$n" -ge 7 ] || fail "only $n files in the manifest"
echo "ok: all $n published files serve their exact bytes"

# The page a person opens: on its own origin, its assets cross-origin from the node.
page="$(grep -A1 '^Open in a browser' "$T/out" | sed -n 's/^  \(http[^ ]*\)$/\1/p')"
[ -n "$page" ] || fail "no page URL printed"
command -v chromium >/dev/null || fail "chromium not installed (scripts/setup.sh installs it)"
PYTHONDONTWRITEBYTECODE=1 python3 "$E2E_DIR/open_sample_page.py" "$page" >"$T/page" 2>&1 ||
    { cat "$T/page" >&2; fail "the sample page does not work in Chromium"; }
sed 's/^/    | /' "$T/page"
echo "ok: $page works in headless Chromium: stylesheet, module script, menu JSON, logo, cross-origin"

# Again: idempotent.
scripts/quickstart.sh </dev/null >"$T/out" 2>&1 || fail "second run exited $?"
grep -q 'already running' "$T/out" || fail "second run did not reuse the node"
url2="$(sed -n 's/^  curl -I \(http[^ ]*\)$/\1/p' "$T/out" | head -1)"
[ "$url2" = "$url" ] || fail "second run printed another URL ($url2)"
echo "ok: re-running reuses the node and publishes the same URLs"

# The CDN stand-in.
scripts/quickstart.sh --cdn </dev/null >"$T/out" 2>&1 || fail "--cdn exited $?"
mapfile -t xc < <(sed -n 's/^  \(curl -sI http[^ ]* | grep -i x-cache\)$/\1/p' "$T/out")
[ "${#xc[@]}" = 2 ] || fail "--cdn did not print two x-cache lines"
first="$(bash -c "${xc[0]}" | tr -d '\r')"
second="$(bash -c "${xc[1]}" | tr -d '\r')"
[ "$first" = "X-Cache: MISS" ] || fail "first request through nginx: '$first', want MISS"
[ "$second" = "X-Cache: HIT" ] || fail "second request through nginx: '$second', want HIT"
echo "ok: --cdn: MISS then HIT through nginx"
page="$(grep -A1 '^Open in a browser' "$T/out" | sed -n 's/^  \(http[^ ]*\)$/\1/p')"
PYTHONDONTWRITEBYTECODE=1 python3 "$E2E_DIR/open_sample_page.py" "$page" >"$T/page" 2>&1 ||
    { cat "$T/page" >&2; fail "the sample page through the CDN stand-in does not work in Chromium"; }
grep -q "$(sed -n 's/^  curl -sI \(http[^/]*\/\/[^/]*\)\/.* | grep -i x-cache$/\1/p' "$T/out" | head -1)/assets/" "$T/repo/.store/quickstart/site/index.html" ||
    fail "with --cdn the page does not name the CDN's URLs"
echo "ok: --cdn: the page loads its assets through nginx in Chromium"

scripts/quickstart.sh --stop >"$T/out" 2>&1 || fail "--stop exited $?"
[ ! -e .store/quickstart/origind.pid ] && [ ! -e .store/quickstart/nginx/nginx.pid ] &&
    [ ! -e .store/quickstart/site.pid ] || fail "--stop left pid files"
echo "ok: --stop stopped the node, nginx and the site"
