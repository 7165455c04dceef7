#!/usr/bin/env bash
# Every header of the contract on 200/HEAD/404, byte-exact bodies, query ignored.
. "$(dirname "$0")/helpers.sh"
origind_start "$WORK/store"

printf 'body { color: red; }\n' >"$WORK/app.css"
head -c 70000 /dev/urandom >"$WORK/logo.png"
head -c 5000000 /dev/urandom >"$WORK/big.bin"
: >"$WORK/empty.txt"
publish r1 /assets/app.css "$WORK/app.css" "text/css; charset=utf-8" \
    /assets/logo.png "$WORK/logo.png" image/png \
    /assets/big.bin "$WORK/big.bin" application/octet-stream \
    /assets/empty.txt "$WORK/empty.txt" "text/plain; charset=utf-8"

check_asset() { # URLPATH FILE TYPE VARY(yes|no)
    local d="$WORK/h.txt" b="$WORK/b.out" size h
    size=$(stat -c %s "$2")
    h="$(sha256sum "$2" | cut -c1-32)"
    curl -sS -D "$d" -o "$b" "$NODE_PUBLIC$1?v=123&x=y"
    expect_eq "$1 status" "$(status_of "$d")" 200
    cmp -s "$b" "$2" || fail "$1: body differs"
    expect_eq "$1 type" "$(header_of "$d" content-type)" "$3"
    expect_eq "$1 length" "$(header_of "$d" content-length)" "$size"
    expect_eq "$1 etag" "$(header_of "$d" etag)" "\"$h\""
    expect_eq "$1 cache-control" "$(header_of "$d" cache-control)" \
        "public, max-age=31536000, immutable"
    expect_eq "$1 accept-ranges" "$(header_of "$d" accept-ranges)" bytes
    expect_eq "$1 nosniff" "$(header_of "$d" x-content-type-options)" nosniff
    expect_eq "$1 chunked" "$(header_of "$d" transfer-encoding)" ""
    expect_eq "$1 encoding" "$(header_of "$d" content-encoding)" ""
    [ -n "$(header_of "$d" date)" ] || fail "$1: no Date"
    local lm
    lm="$(header_of "$d" last-modified)"
    [[ "$lm" =~ ^[A-Z][a-z]{2},\ [0-9]{2}\ [A-Z][a-z]{2}\ [0-9]{4}\ [0-9]{2}:[0-9]{2}:[0-9]{2}\ GMT$ ]] ||
        fail "$1: Last-Modified '$lm'"
    if [ "$4" = yes ]; then
        expect_eq "$1 vary" "$(header_of "$d" vary)" "Accept-Encoding"
    else
        expect_eq "$1 vary" "$(header_of "$d" vary)" ""
    fi
    # HEAD: the same headers, no body
    curl -sS -I -D "$WORK/hh.txt" -o "$WORK/hb.out" "$NODE_PUBLIC$1"
    expect_eq "$1 HEAD status" "$(status_of "$WORK/hh.txt")" 200
    expect_eq "$1 HEAD length" "$(header_of "$WORK/hh.txt" content-length)" "$size"
    expect_eq "$1 HEAD etag" "$(header_of "$WORK/hh.txt" etag)" "\"$h\""
    expect_eq "$1 HEAD last-modified" "$(header_of "$WORK/hh.txt" last-modified)" "$lm"
    ok "$1 headers"
}
check_asset /assets/app.css "$WORK/app.css" "text/css; charset=utf-8" yes
check_asset /assets/logo.png "$WORK/logo.png" image/png no
check_asset /assets/big.bin "$WORK/big.bin" application/octet-stream no
check_asset /assets/empty.txt "$WORK/empty.txt" "text/plain; charset=utf-8" yes

# Unknown paths: 404, no-store, no fallback page
for p in /assets/nope.css / /index.html /assets/ /assets/app.css/ /ASSETS/app.css /assets/app.css.gz; do
    curl -sS -D "$WORK/n.txt" -o "$WORK/n.out" "$NODE_PUBLIC$p"
    expect_eq "$p status" "$(status_of "$WORK/n.txt")" 404
    expect_eq "$p cache-control" "$(header_of "$WORK/n.txt" cache-control)" no-store
    expect_eq "$p body" "$(cat "$WORK/n.out")" "not found"
done
ok "404 with no-store"

# healthz
expect_eq healthz "$(curl -sS "$NODE_PUBLIC/healthz")" ok
curl -sS -D "$WORK/hz.txt" -o /dev/null "$NODE_PUBLIC/healthz"
expect_eq "healthz cache" "$(header_of "$WORK/hz.txt" cache-control)" no-store
ok healthz
origind_stop
