#!/usr/bin/env bash
# Hostile and malformed requests get a 4xx; the server keeps serving.
. "$(dirname "$0")/helpers.sh"
origind_start "$WORK/store" --access-log "$WORK/access.log"
printf 'ok\n' >"$WORK/ok.txt"
publish r1 /assets/ok.txt "$WORK/ok.txt" "text/plain; charset=utf-8"
P="$NODE_PUBLIC"

# dot segments, plain and encoded (curl must not normalise them)
for t in "/assets/../assets/ok.txt" "/assets/./ok.txt" "/assets/%2e%2e/assets/ok.txt" \
    "/assets/%2E%2E/x" "/assets/.%2e/x" "/%2e%2e/%2e%2e/etc/passwd" "/assets/ok.txt/.."; do
    expect_status "dot segment $t" 400 --path-as-is "$P$t"
done
ok "dot segments -> 400"

raw() { # WHAT WANT-STATUS BYTES (printf format)
    local got
    got="$(printf "$3" | raw_http "$P" | raw_status)"
    expect_eq "$1" "$got" "$2"
}
raw "encoded NUL" 400 'GET /assets/ok%%00.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
raw "bad escape" 400 'GET /assets/ok%%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
raw "truncated escape" 400 'GET /assets/ok%%4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
raw "encoded newline" 400 'GET /assets/ok%%0a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
raw "backslash" 400 'GET /assets\\..\\ok.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
raw "no Host" 400 'GET /assets/ok.txt HTTP/1.1\r\nConnection: close\r\n\r\n'
# libmicrohttpd itself refuses these: a 4xx or a closed connection, never
# silence (a hung connection is not a refusal)
for req in 'HELLO\r\n\r\n' 'GET\r\n\r\n' 'GET / HTTP/9.9\r\nHost: x\r\n\r\n' \
    'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'; do
    got="$(printf "$req" | raw_outcome "$P" 5)"
    case "$got" in 4?? | 505 | closed) ;; *) fail "garbage '$req': $got" ;; esac
done
# empty lines before a request line are ignored (RFC 9112 2.2), not answered
raw "empty lines, then a request" 200 '\r\n\r\n\r\nGET /assets/ok.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
raw "not origin-form" 400 'GET assets/ok.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
raw "asterisk" 400 'GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
raw "GET with a body" 400 'GET /assets/ok.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello'
raw "query is ignored" 200 'GET /assets/ok.txt?../../x=%%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
raw "absolute-form" 200 'GET http://x/assets/ok.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
ok "raw malformed requests -> 400"

# a NUL byte on the wire: libmicrohttpd cuts the target there, so the cut
# path (ok.txt, published) must not be answered; other control bytes too
raw "raw NUL after a published path" 400 'GET /assets/ok.txt\000.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
raw "raw NUL inside the path" 400 'GET /assets/ok\000.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
raw "raw NUL in the query" 400 'GET /assets/ok.txt?a\000b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
raw "raw NUL, /healthz" 400 'GET /healthz\000x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
# the admin listener reads request lines up to 1 MiB: a cut target of any
# length is refused, not served as the part before the NUL (20 KiB after it)
tail20k="$(head -c 20000 /dev/zero | tr '\0' a)"
got="$(printf 'GET /v1/status\000%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n' \
    "$tail20k" "$NODE_TOKEN" | raw_http "$NODE_ADMIN" | raw_status)"
expect_eq "admin: raw NUL, then 20 KiB of target" "$got" 400
for b in 001 010 013 033 037 177; do
    raw "raw control byte \\$b" 400 "GET /assets/ok.txt\\${b}x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
done
# %2F is never an alias of '/' (SPEC): 404, not ok.txt
expect_status "%2F" 404 --path-as-is "$P/assets%2Fok.txt"
expect_status "%2f" 404 --path-as-is "$P/assets%2fok.txt"
ok "request lines with NUL or control bytes -> 400; %2F -> 404"

# absurd lengths: docs/security.md states 414 (URL, decoded path over 1024 bytes)
# and 431 (over about 12 KiB of headers)
long="$(head -c 100000 /dev/zero | tr '\0' a)"
got="$(curl -sS -o /dev/null -w '%{http_code}' "$P/assets/$long" || true)"
case "$got" in 414) ok "100 kB URL -> $got" ;; *) fail "100 kB URL: $got" ;; esac
got="$(curl -sS -o /dev/null -w '%{http_code}' "$P/assets/$(head -c 1500 /dev/zero | tr '\0' a)" || true)"
case "$got" in 414) ok "1.5 kB path -> $got" ;; *) fail "1.5 kB path: $got" ;; esac
got="$(curl -sS -o /dev/null -w '%{http_code}' -H "X-Big: $long" "$P/assets/ok.txt" || true)"
case "$got" in 431) ok "100 kB header -> $got" ;; *) fail "100 kB header: $got" ;; esac
# legal big headers are served: an 8 KiB cookie (nginx's line limit) and 11 KiB of headers
for n in 8192 11000; do
    got="$(curl -sS -o /dev/null -w '%{http_code}' -H "Cookie: $(head -c "$n" /dev/zero | tr '\0' c)" \
        "$P/assets/ok.txt" || true)"
    case "$got" in 200) ok "$n-byte Cookie -> 200" ;; *) fail "$n-byte Cookie: $got (want 200)" ;; esac
done
hdrs=()
for i in $(seq 1 2000); do hdrs+=(-H "X-H$i: v"); done
got="$(curl -sS -o /dev/null -w '%{http_code}' "${hdrs[@]}" "$P/assets/ok.txt" || true)"
case "$got" in 431) ok "2000 headers -> $got" ;; *) fail "2000 headers: $got" ;; esac

# other methods: 405 with Allow (OPTIONS is a CORS preflight: server_cors.sh)
for m in POST PUT DELETE PATCH TRACE BREW; do
    curl -sS -D "$WORK/m.txt" -o /dev/null -X "$m" "$P/assets/ok.txt"
    expect_eq "$m status" "$(status_of "$WORK/m.txt")" 405
    expect_eq "$m Allow" "$(header_of "$WORK/m.txt" allow)" "GET, HEAD, OPTIONS"
done
expect_status "POST with a body" 405 --data-binary @"$WORK/ok.txt" "$P/assets/ok.txt"
ok "other methods -> 405 with Allow"

# half a request line, then silence, then a normal request still works
printf 'GET /assets/ok' | raw_http "$P" 1 >/dev/null || true
# many connections opened and dropped
for i in $(seq 1 50); do printf 'GET /' | raw_http "$P" 0.05 >/dev/null || true; done
node_alive
expect_eq "still serving" "$(curl -sS "$P/assets/ok.txt")" ok
ok "server unaffected"
origind_stop
# the access log shows the whole line, its NUL escaped, as a 400
grep -qF 'GET /assets/ok.txt\x00.js 400' "$WORK/access.log" ||
    fail "the access log does not show the NUL line as a 400: $(grep -F 'x00' "$WORK/access.log")"
ok "the access log shows the NUL line whole, as a 400"
