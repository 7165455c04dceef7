#!/usr/bin/env bash
# If-None-Match / If-Modified-Since -> 304 with validators; Range -> 206/416; If-Range.
. "$(dirname "$0")/helpers.sh"
origind_start "$WORK/store"

head -c 1000 /dev/urandom >"$WORK/f.js"
publish r1 /a/f.js "$WORK/f.js" "text/javascript; charset=utf-8"
U="$NODE_PUBLIC/a/f.js"
H="$(sha256sum "$WORK/f.js" | cut -c1-32)"
ET="\"$H\""
LM="$(curl -sS -D - -o /dev/null "$U" | tr -d '\r' | sed -n 's/^Last-Modified: //Ip')"

not_modified() { # WHAT HEADER...
    local what="$1"
    shift
    : >"$WORK/c.out"
    curl -sS -D "$WORK/c.txt" -o "$WORK/c.out" "$@" "$U"
    expect_eq "$what status" "$(status_of "$WORK/c.txt")" 304
    expect_eq "$what etag" "$(header_of "$WORK/c.txt" etag)" "$ET"
    expect_eq "$what last-modified" "$(header_of "$WORK/c.txt" last-modified)" "$LM"
    expect_eq "$what cache-control" "$(header_of "$WORK/c.txt" cache-control)" \
        "public, max-age=31536000, immutable"
    expect_eq "$what vary" "$(header_of "$WORK/c.txt" vary)" "Accept-Encoding"
    expect_eq "$what body" "$(stat -c %s "$WORK/c.out")" 0
    ok "$what -> 304"
}
full() { # WHAT HEADER...
    local what="$1"
    shift
    curl -sS -D "$WORK/c.txt" -o "$WORK/c.out" "$@" "$U"
    expect_eq "$what status" "$(status_of "$WORK/c.txt")" 200
    cmp -s "$WORK/c.out" "$WORK/f.js" || fail "$what: body"
    ok "$what -> 200"
}
not_modified "INM exact" -H "If-None-Match: $ET"
not_modified "INM star" -H "If-None-Match: *"
not_modified "INM list" -H "If-None-Match: \"nope\", $ET, \"x\""
not_modified "INM weak" -H "If-None-Match: W/$ET"
not_modified "IMS equal" -H "If-Modified-Since: $LM"
not_modified "IMS future" -H "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT"
full "INM other" -H "If-None-Match: \"nope\""
full "INM malformed" -H "If-None-Match: nope"
full "IMS past" -H "If-Modified-Since: Thu, 01 Jan 1970 00:00:01 GMT"
full "IMS garbage" -H "If-Modified-Since: yesterday"
full "INM wins over IMS" -H "If-None-Match: \"nope\"" -H "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT"
# HEAD conditional
expect_eq "HEAD 304" "$(curl -sS -I -o /dev/null -w '%{http_code}' -H "If-None-Match: $ET" "$U")" 304

range() { # SPEC FIRST LAST
    curl -sS -D "$WORK/r.txt" -o "$WORK/r.out" -H "Range: $1" "$U"
    expect_eq "$1 status" "$(status_of "$WORK/r.txt")" 206
    expect_eq "$1 content-range" "$(header_of "$WORK/r.txt" content-range)" "bytes $2-$3/1000"
    expect_eq "$1 length" "$(header_of "$WORK/r.txt" content-length)" "$(($3 - $2 + 1))"
    expect_eq "$1 etag" "$(header_of "$WORK/r.txt" etag)" "$ET"
    expect_eq "$1 vary" "$(header_of "$WORK/r.txt" vary)" "Accept-Encoding"
    tail -c +$(($2 + 1)) "$WORK/f.js" | head -c $(($3 - $2 + 1)) >"$WORK/r.want"
    cmp -s "$WORK/r.out" "$WORK/r.want" || fail "$1: bytes"
    ok "Range $1 -> 206"
}
range "bytes=0-9" 0 9
range "bytes=10-" 10 999
range "bytes=-100" 900 999
range "bytes=990-5000" 990 999
range "bytes=0-0" 0 0
range "bytes=999-999" 999 999
range "bytes=-5000" 0 999

unsat() {
    curl -sS -D "$WORK/r.txt" -o "$WORK/r.out" -H "Range: $1" "$U"
    expect_eq "$1 status" "$(status_of "$WORK/r.txt")" 416
    expect_eq "$1 content-range" "$(header_of "$WORK/r.txt" content-range)" "bytes */1000"
    expect_eq "$1 vary" "$(header_of "$WORK/r.txt" vary)" "Accept-Encoding"
    ok "Range $1 -> 416"
}
unsat "bytes=1000-"
unsat "bytes=5000-6000"
unsat "bytes=-0"

full "other unit" -H "Range: items=0-9"
full "multi-range" -H "Range: bytes=0-1,5-6"
full "reversed range" -H "Range: bytes=9-0"
full "garbage range" -H "Range: bytes=abc"
full "If-Range mismatch" -H "Range: bytes=0-9" -H "If-Range: \"nope\""
curl -sS -o /dev/null -w '%{http_code}' -H "Range: bytes=0-9" -H "If-Range: $ET" "$U" >"$WORK/s"
expect_eq "If-Range match" "$(cat "$WORK/s")" 206
# HEAD with Range: same status and headers
expect_eq "HEAD range" "$(curl -sS -I -o /dev/null -w '%{http_code}' -H 'Range: bytes=0-9' "$U")" 206
ok "If-Range and HEAD"
origind_stop
