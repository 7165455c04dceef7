#!/usr/bin/env bash
# ingest_dry_run: naming, types, manifest formats and every walk behaviour,
# with --dry-run (no node is contacted: the node URL is a closed port).
. "$(dirname "$0")/ingest_lib.sh"

S="$WORK/site"
mkdir -p "$S/css" "$S/js" "$S/img" "$S/fonts" "$S/.git" "$S/dir with space" "$S/ünï"
printf 'body{color:red}\n' >"$S/css/app.css"
printf 'console.log(1)\n' >"$S/js/app.min.js"
printf 'export{}\n' >"$S/js/mod.mjs"
printf '{}' >"$S/js/app.js.map"
head -c 100 /dev/urandom >"$S/img/logo.png"
head -c 100 /dev/urandom >"$S/fonts/f.woff2"
printf 'no extension\n' >"$S/LICENSE"
: >"$S/empty.txt"
printf 'x\n' >"$S/dir with space/a b.txt"
printf 'y\n' >"$S/ünï/ñame.svg"
printf 'hidden\n' >"$S/.htaccess"
printf 'ref\n' >"$S/.git/HEAD"
printf 'tgz\n' >"$S/archive.tar.gz"
ln -s css/app.css "$S/link.css"
mkfifo "$S/a-fifo"

run_ingest push --dry-run --node http://127.0.0.1:1 --manifest-out "$WORK/m.json" \
    --manifest-format full --public-base https://cdn.example.com/ "$S"
[ "$RC" = 0 ] || fail "dry run exit $RC: $(cat "$WORK/err")"
grep -q "2 hidden" "$WORK/err" || fail "no note about hidden entries: $(cat "$WORK/err")"
grep -q "skipping a-fifo" "$WORK/err" || fail "no warning about the fifo"

check() { # check SRC FIELD WANT
    expect_eq "$1 $2" "$(json_get "$WORK/m.json" "d[sys.argv[2]][sys.argv[3]]" 2>/dev/null ||
        python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]][sys.argv[3]])' \
        "$WORK/m.json" "$1" "$2")" "$3"
}
field() {
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]][sys.argv[3]])' \
        "$WORK/m.json" "$1" "$2"
}
h16() { sha256sum "$S/$1" | cut -c1-16; }
B=https://cdn.example.com
expect_eq css "$(field css/app.css url)" "$B/assets/css/app.$(h16 css/app.css).css"
expect_eq minjs "$(field js/app.min.js url)" "$B/assets/js/app.min.$(h16 js/app.min.js).js"
expect_eq map "$(field js/app.js.map url)" "$B/assets/js/app.js.$(h16 js/app.js.map).map"
expect_eq noext "$(field LICENSE url)" "$B/assets/LICENSE.$(h16 LICENSE)"
expect_eq tgz "$(field archive.tar.gz url)" "$B/assets/archive.tar.$(h16 archive.tar.gz).gz"
expect_eq space "$(field "dir with space/a b.txt" url)" \
    "$B/assets/dir%20with%20space/a%20b.$(h16 "dir with space/a b.txt").txt"
expect_eq utf8 "$(field "ünï/ñame.svg" url)" \
    "$B/assets/%C3%BCn%C3%AF/%C3%B1ame.$(h16 "ünï/ñame.svg").svg"
expect_eq symlink "$(field link.css sha256)" "$(sha256sum "$S/css/app.css" | cut -c1-64)"
expect_eq empty-size "$(field empty.txt size)" 0
expect_eq empty-sha "$(field empty.txt sha256)" \
    e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
expect_eq t-css "$(field css/app.css type)" "text/css; charset=utf-8"
expect_eq t-js "$(field js/app.min.js type)" "text/javascript; charset=utf-8"
expect_eq t-mjs "$(field js/mod.mjs type)" "text/javascript; charset=utf-8"
expect_eq t-map "$(field js/app.js.map type)" "application/json; charset=utf-8"
expect_eq t-png "$(field img/logo.png type)" "image/png"
expect_eq t-woff2 "$(field fonts/f.woff2 type)" "font/woff2"
expect_eq t-svg "$(field "ünï/ñame.svg" type)" "image/svg+xml; charset=utf-8"
expect_eq t-none "$(field LICENSE type)" "application/octet-stream"
want_sri="sha256-$(openssl dgst -sha256 -binary "$S/css/app.css" | base64)"
expect_eq sri "$(field css/app.css integrity)" "$want_sri"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); assert ".htaccess" not in m and ".git/HEAD" not in m and "a-fifo" not in m, m.keys(); assert len(m)==12, len(m)' "$WORK/m.json" ||
    fail "manifest has the wrong set of files"
ok "hashed names, types, SRI, percent-encoding, symlink, empty file, hidden and fifo skipped"

# --include-hidden publishes dotfiles: ".htaccess" has no extension -> .htaccess.<hash>
run_ingest push --dry-run --include-hidden --manifest-out "$WORK/m2.json" "$S"
expect_eq hidden "$(json_get "$WORK/m2.json" 'd[".htaccess"]')" "/assets/.htaccess.$(h16 .htaccess)"
expect_eq hidden-dir "$(json_get "$WORK/m2.json" 'd[".git/HEAD"]')" "/assets/.git/HEAD.$(h16 .git/HEAD)"

# --keep-names, flat format, root prefix
run_ingest push --dry-run --keep-names --prefix / --manifest-out "$WORK/m3.json" "$S"
expect_eq keep "$(json_get "$WORK/m3.json" 'd["css/app.css"]')" "/css/app.css"
expect_eq keep-space "$(json_get "$WORK/m3.json" 'd["dir with space/a b.txt"]')" "/dir%20with%20space/a%20b.txt"
ok "include-hidden, keep-names, flat manifest"

rm "$S/a-fifo"
# A symlink pointing outside DIR, a dangling one, a loop: exit 5, no manifest.
expect_local() { # expect_local WHAT PATTERN
    rm -f "$WORK/m4.json"
    run_ingest push --dry-run --manifest-out "$WORK/m4.json" "$S"
    [ "$RC" = 5 ] || fail "$1: want exit 5, got $RC: $(cat "$WORK/err")"
    grep -q -- "$2" "$WORK/err" || fail "$1: message lacks '$2': $(cat "$WORK/err")"
    [ ! -e "$WORK/m4.json" ] || fail "$1: manifest written"
}
ln -s /etc/passwd "$S/outside"
expect_local "symlink outside" "outside the directory"
rm "$S/outside"
ln -s nowhere "$S/dangling"
expect_local "dangling symlink" "dangling"
rm "$S/dangling"
ln -s .. "$S/css/loop"
expect_local "symlink loop" "loop"
rm "$S/css/loop"
printf 'q' >"$S/what?.txt"
expect_local "unpublishable name" "what?.txt"
rm "$S/what?.txt"
printf 'b' >"$S/$(printf 'bad\xffname.txt')"
expect_local "non-UTF-8 name" "UTF-8"
rm "$S/$(printf 'bad\xffname.txt')"
# Unreadable file: exit 5 naming it. As root, run without the two capabilities
# that let root read any file (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH): still
# uid 0, so the binary and the site are reachable wherever the checkout and
# TMPDIR are (a build tree under /root, mode 0700, is not reachable by nobody).
printf 'secret' >"$S/locked.txt"
chmod 000 "$S/locked.txt"
if [ "$(id -u)" = 0 ]; then
    set +e
    setpriv --inh-caps=-dac_override,-dac_read_search --bounding-set=-dac_override,-dac_read_search \
        env ORIGIN_INGEST_CACHE=none "$ORIGIN_INGEST" push --dry-run "$S" >"$WORK/out" 2>"$WORK/err"
    RC=$?
    set -e
    [ "$RC" = 5 ] || fail "unreadable: want 5, got $RC: $(cat "$WORK/err")"
    grep -q "locked.txt" "$WORK/err" || fail "unreadable: not named: $(cat "$WORK/err")"
else
    expect_local "unreadable file" "locked.txt"
fi
rm -f "$S/locked.txt"
ok "symlink outside/dangling/loop, unpublishable and non-UTF-8 names, unreadable file: exit 5"

# An empty directory has nothing to publish.
mkdir -p "$WORK/emptydir"
run_ingest push --dry-run "$WORK/emptydir"
expect_eq "empty dir" "$RC" 2
# --json on a dry run: one JSON document on stdout.
run_ingest push --dry-run --json "$S"
expect_eq "json dry" "$(json_get "$WORK/out" 'd["dry_run"], d["files"]')" "True 12"
ok "dry-run --json"
