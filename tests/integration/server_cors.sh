#!/usr/bin/env bash
# Cross-origin headers (SPEC "Cross-origin use"): Access-Control-Allow-Origin and
# Timing-Allow-Origin on every public answer (200, HEAD, 206, 304, 404, 410, 414, 416,
# 405, 400, 403, 503, healthz), OPTIONS preflights, --cors-origin matching and non-matching, Vary, the
# option's validation. Never Access-Control-Allow-Credentials.
. "$(dirname "$0")/helpers.sh"

SITE="https://www.example.com"
printf 'body { color: red; }\n' >"$WORK/app.css"
head -c 3000 /dev/urandom >"$WORK/font.woff2"

# dump NAME CURL-ARGS...: curl -D into $WORK/NAME.h (body to $WORK/NAME.b).
dump() {
    local n="$1"
    shift
    curl -sS -D "$WORK/$n.h" -o "$WORK/$n.b" "$@"
}
h() { header_of "$WORK/$1.h" "$2"; }

# any_origin NAME STATUS VARY: the default policy on one answer.
any_origin() {
    expect_eq "$1 status" "$(status_of "$WORK/$1.h")" "$2"
    expect_eq "$1 ACAO" "$(h "$1" access-control-allow-origin)" "*"
    expect_eq "$1 TAO" "$(h "$1" timing-allow-origin)" "*"
    expect_eq "$1 vary" "$(h "$1" vary)" "$3"
    expect_eq "$1 credentials" "$(h "$1" access-control-allow-credentials)" ""
    grep -qi '^vary:.*origin' "$WORK/$1.h" && fail "$1: Vary names Origin in the any-origin mode"
    return 0
}

# --- the default: any origin ------------------------------------------------
origind_start "$WORK/store"
publish r1 /assets/app.css "$WORK/app.css" "text/css; charset=utf-8" \
    /assets/font.woff2 "$WORK/font.woff2" font/woff2
P="$NODE_PUBLIC"
etag="$(curl -sS -o /dev/null -D - "$P/assets/app.css" | tr -d '\r' | awk 'tolower($1)=="etag:" {print $2}')"

dump get -H "Origin: $SITE" "$P/assets/app.css"
any_origin get 200 "Accept-Encoding"
cmp -s "$WORK/get.b" "$WORK/app.css" || fail "GET body differs"
expose="$(h get access-control-expose-headers)"
for x in Content-Range ETag Last-Modified Content-Length; do
    case ", $expose," in *", $x,"*) ;; *) fail "Access-Control-Expose-Headers '$expose' lacks $x" ;; esac
done
dump noorigin "$P/assets/app.css"
any_origin noorigin 200 "Accept-Encoding"
dump head -I -H "Origin: $SITE" "$P/assets/app.css"
any_origin head 200 "Accept-Encoding"
dump font -H "Origin: $SITE" "$P/assets/font.woff2"
any_origin font 200 ""
dump range -H "Origin: $SITE" -H "Range: bytes=0-9" "$P/assets/font.woff2"
any_origin range 206 ""
expect_eq "206 content-range" "$(h range content-range)" "bytes 0-9/3000"
dump inm -H "Origin: $SITE" -H "If-None-Match: $etag" "$P/assets/app.css"
any_origin inm 304 "Accept-Encoding"
dump unsat -H "Origin: $SITE" -H "Range: bytes=5000-" "$P/assets/font.woff2"
any_origin unsat 416 ""
dump miss -H "Origin: $SITE" "$P/assets/nope.js"
any_origin miss 404 ""
expect_eq "404 cache-control" "$(h miss cache-control)" no-store
dump post -X POST -H "Origin: $SITE" "$P/assets/app.css"
any_origin post 405 ""
expect_eq "405 Allow" "$(h post allow)" "GET, HEAD, OPTIONS"
dump bad -H "Origin: $SITE" "$P/assets/a%zz.css"
any_origin bad 400 ""
dump hz "$P/healthz"
any_origin hz 200 ""
ok "any origin: ACAO/TAO * on 200, HEAD, 206, 304, 416, 404, 405, 400, healthz; no Vary: Origin"

# a preflight (what fetch() with If-None-Match or a non-simple Range sends)
dump pre -X OPTIONS -H "Origin: $SITE" -H "Access-Control-Request-Method: GET" \
    -H "Access-Control-Request-Headers: range, if-none-match" "$P/assets/app.css"
any_origin pre 204 ""
expect_eq "preflight methods" "$(h pre access-control-allow-methods)" "GET, HEAD, OPTIONS"
expect_eq "preflight headers" "$(h pre access-control-allow-headers)" \
    "Range, If-None-Match, If-Modified-Since, If-Range"
expect_eq "preflight max-age" "$(h pre access-control-max-age)" 86400
expect_eq "preflight Allow" "$(h pre allow)" "GET, HEAD, OPTIONS"
[ ! -s "$WORK/pre.b" ] || fail "preflight has a body"
expect_eq "preflight length" "$(h pre content-length)" ""
dump pre2 -X OPTIONS "$P/assets/nope.js"
any_origin pre2 204 ""
ok "OPTIONS preflight: 204, methods, headers, max-age, no body"

# --- every other status the public listener sends itself ----------------------
# (200 204 206 304 400 403 404 405 416 are above; 410, 414, the NUL line's 400,
# %2F's 404 and the draining 503 here. 500 "store error" and 503 "store busy"
# answer through the same public_text() and cannot be caused from outside.
# libmicrohttpd's own refusals of unparsable requests (a request line it cannot
# split, headers over the pool) carry no CORS header: no browser sends those.)
printf 'only in r-gone\n' >"$WORK/gone.css"
publish r-gone /assets/gone.css "$WORK/gone.css" "text/css; charset=utf-8"
admin_curl -o /dev/null -X POST --data-binary '{"prune":["r-gone"]}' "$NODE_ADMIN/v1/prune"
dump gone -H "Origin: $SITE" "$P/assets/gone.css"
any_origin gone 410 ""
expect_eq "410 cache-control" "$(h gone cache-control)" no-store
dump long -H "Origin: $SITE" "$P/assets/$(printf 'a%.0s' $(seq 1 1100)).css"
any_origin long 414 ""
dump slash -H "Origin: $SITE" "$P/assets%2Fapp.css"
any_origin slash 404 ""
expect_eq "%2F cache-control" "$(h slash cache-control)" no-store
printf 'GET /assets/app.css\0.js HTTP/1.1\r\nHost: x\r\nOrigin: %s\r\nConnection: close\r\n\r\n' "$SITE" |
    raw_http "$P" >"$WORK/nul.raw"
tr -d '\r' <"$WORK/nul.raw" | sed '/^$/q' >"$WORK/nul.h"
any_origin nul 400 ""
ok "410, 414, 404 for %2F and 400 for a NUL in the request line carry ACAO/TAO *"
origind_stop

# --- draining: /healthz 503 (and assets still 200) carry it too ---------------
origind_start "$WORK/store" --drain-seconds 5
kill -TERM "$NODE_PID"
for _ in $(seq 1 50); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$NODE_PUBLIC/healthz")" = 503 ] && break
    sleep 0.1
done
dump drain -H "Origin: $SITE" "$NODE_PUBLIC/healthz"
any_origin drain 503 ""
dump drain200 -H "Origin: $SITE" "$NODE_PUBLIC/assets/font.woff2"
any_origin drain200 200 ""
wait "$NODE_PID" || true
ok "draining: 503 healthz and 200 assets carry ACAO/TAO *"

# --- the origin secret's 403 carries it too ----------------------------------
printf 'cf-origin-secret-123\n' >"$WORK/secret"
chmod 600 "$WORK/secret"
origind_start "$WORK/store" --origin-secret-file "$WORK/secret"
dump forbidden -H "Origin: $SITE" "$NODE_PUBLIC/assets/app.css"
any_origin forbidden 403 ""
dump fpre -X OPTIONS -H "Origin: $SITE" -H "Access-Control-Request-Method: GET" "$NODE_PUBLIC/assets/app.css"
any_origin fpre 403 ""
dump allowed -H "X-Origin-Verify: cf-origin-secret-123" -H "Origin: $SITE" "$NODE_PUBLIC/assets/app.css"
any_origin allowed 200 "Accept-Encoding"
ok "403 (origin secret) carries ACAO *"
origind_stop

# --- --cors-origin LIST ---------------------------------------------------------
origind_start "$WORK/store" --cors-origin "$SITE, http://127.0.0.1:9999"
P="$NODE_PUBLIC"
# listed(NAME STATUS VARY ORIGIN): the echoed origin
listed() {
    expect_eq "$1 status" "$(status_of "$WORK/$1.h")" "$2"
    expect_eq "$1 ACAO" "$(h "$1" access-control-allow-origin)" "$4"
    expect_eq "$1 TAO" "$(h "$1" timing-allow-origin)" "$4"
    expect_eq "$1 vary" "$(h "$1" vary)" "$3"
    expect_eq "$1 credentials" "$(h "$1" access-control-allow-credentials)" ""
}
dump l200 -H "Origin: $SITE" "$P/assets/app.css"
listed l200 200 "Accept-Encoding, Origin" "$SITE"
dump l200b -H "Origin: http://127.0.0.1:9999" "$P/assets/font.woff2"
listed l200b 200 "Origin" "http://127.0.0.1:9999"
dump l304 -H "Origin: $SITE" -H "If-None-Match: $etag" "$P/assets/app.css"
listed l304 304 "Accept-Encoding, Origin" "$SITE"
dump l404 -H "Origin: $SITE" "$P/assets/nope.js"
listed l404 404 "Origin" "$SITE"
dump lpre -X OPTIONS -H "Origin: $SITE" -H "Access-Control-Request-Method: GET" "$P/assets/app.css"
listed lpre 204 "Origin" "$SITE"
expect_eq "listed preflight methods" "$(h lpre access-control-allow-methods)" "GET, HEAD, OPTIONS"
for o in "https://other.example" "https://www.example.com.evil" "http://127.0.0.1:9998" "null" ""; do
    if [ -n "$o" ]; then dump u -H "Origin: $o" "$P/assets/app.css"; else dump u "$P/assets/app.css"; fi
    listed u 200 "Accept-Encoding, Origin" ""
    if [ -n "$o" ]; then dump upre -X OPTIONS -H "Origin: $o" "$P/assets/app.css"; else dump upre -X OPTIONS "$P/assets/app.css"; fi
    listed upre 204 "Origin" ""
done
ok "--cors-origin: a listed Origin echoed with Vary: Origin; others get no ACAO, still Vary: Origin"
origind_stop

# the same list from the environment
ORIGIND_CORS_ORIGIN="http://127.0.0.1:9999" origind_start "$WORK/store"
dump env -H "Origin: http://127.0.0.1:9999" "$NODE_PUBLIC/assets/font.woff2"
listed env 200 "Origin" "http://127.0.0.1:9999"
dump env2 -H "Origin: $SITE" "$NODE_PUBLIC/assets/font.woff2"
listed env2 200 "Origin" ""
origind_stop
ok "ORIGIND_CORS_ORIGIN"

# --- validation at startup -----------------------------------------------------
for bad in "https://www.example.com/" "www.example.com" "https://a.example,,https://b.example" \
    "*" "https://a.example:443" "https://a.example/path"; do
    rc=0
    "$ORIGIND" serve --store "$WORK/store" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
        --cors-origin "$bad" --check >"$WORK/v.out" 2>&1 || rc=$?
    expect_eq "--cors-origin '$bad' exit" "$rc" 2
    grep -q -- "--cors-origin" "$WORK/v.out" || fail "no reason for '$bad': $(cat "$WORK/v.out")"
done
rc=0
ORIGIND_CORS_ORIGIN="https://a/" "$ORIGIND" serve --store "$WORK/store" --check >"$WORK/v.out" 2>&1 || rc=$?
expect_eq "ORIGIND_CORS_ORIGIN bad exit" "$rc" 2
"$ORIGIND" serve --store "$WORK/store" --cors-origin "$SITE,http://[::1]:8080" --check |
    grep -q "configuration OK" || fail "a valid list refused"
"$ORIGIND" serve --help >"$WORK/help.txt" 2>&1 || true
grep -q -- "--cors-origin LIST" "$WORK/help.txt" || fail "--help lacks --cors-origin"
grep -q "ORIGIND_CORS_ORIGIN" "$WORK/help.txt" || fail "--help lacks ORIGIND_CORS_ORIGIN"
ok "--cors-origin validated at startup (exit 2 with the reason), listed in --help"
