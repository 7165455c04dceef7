#!/usr/bin/env bash
# server_response_cache.sh - the ready-made answers of resp_cache.h on a real
# node: a hot path is answered from the cache (counted in /metrics) with the
# same status, headers and bytes as from the store, in every encoding and for
# HEAD; conditional and range requests, --cors-origin and --response-cache 0
# never use it; a prune makes a cached path 410 at once; an asset over 256 KiB
# is never cached; the cache's memory stays within --response-cache (its own
# accounting and the process's anonymous memory); the origin secret is checked
# before the cache; an entry expires after 10 s; once a drain ends and the
# listeners close, answers bypass the cache.
. "$(dirname "$0")/helpers.sh"

metric() { # NAME{LABELS} -> value from /metrics
    admin_curl "$NODE_ADMIN/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
hits() { metric 'origind_response_cache_lookups_total{result="hit"}'; }
# answer URL [curl args]: status line and headers but Date, then the body's sha256
answer() {
    local u="$1"
    shift
    curl -sS -D "$WORK/a.h" -o "$WORK/a.b" "$@" "$u"
    tr -d '\r' <"$WORK/a.h" | grep -v -i '^date:'
    sha256sum <"$WORK/a.b" | cut -c1-64
}

origind_start "$WORK/s" --threads 2 --response-cache 1M || fail "start"
printf '.rule{color:#%06d}\n' $(seq 1 400) >"$WORK/app.css"
head -c 3000 /dev/urandom >"$WORK/logo.png"
head -c 300000 /dev/urandom >"$WORK/big.bin"
gzip -9 -c "$WORK/app.css" >"$WORK/app.css.gz"
"$ORIGIND_BIN_DIR/server_br_compress" <"$WORK/app.css" >"$WORK/app.css.br" || fail "br"
publish r1 /app.css "$WORK/app.css" "text/css; charset=utf-8" /logo.png "$WORK/logo.png" \
    image/png /big.bin "$WORK/big.bin" application/octet-stream
put_variant "$WORK/app.css" gzip "$WORK/app.css.gz"
put_variant "$WORK/app.css" br "$WORK/app.css.br"
zstd -q -19 -c "$WORK/app.css" >"$WORK/app.css.zst" || fail "zstd"
put_variant "$WORK/app.css" zstd "$WORK/app.css.zst"

# the first answers come from the store; a path is cached on its second miss
for enc in identity gzip zstd br; do
    a1="$(answer "$NODE_PUBLIC/app.css" -H "Accept-Encoding: $enc")"
    a2="$(answer "$NODE_PUBLIC/app.css" -H "Accept-Encoding: $enc")"
    h0="$(hits)"
    a3="$(answer "$NODE_PUBLIC/app.css" -H "Accept-Encoding: $enc")"
    h1="$(hits)"
    expect_eq "$enc answered from the cache" "$((h1 - h0))" 1
    expect_eq "$enc: cached answer = store's" "$a3" "$a1"
    expect_eq "$enc: second answer = first" "$a2" "$a1"
    case "$enc" in
    identity) want="$(sha256sum <"$WORK/app.css" | cut -c1-64)" ;;
    gzip) want="$(sha256sum <"$WORK/app.css.gz" | cut -c1-64)" ;;
    zstd) want="$(sha256sum <"$WORK/app.css.zst" | cut -c1-64)" ;;
    *) want="$(sha256sum <"$WORK/app.css.br" | cut -c1-64)" ;;
    esac
    expect_eq "$enc bytes" "$(echo "$a3" | tail -1)" "$want"
    [ "$enc" = identity ] || echo "$a3" | grep -q -i "^content-encoding: $enc" || fail "cached $enc answer lost Content-Encoding"
done
echo "$a3" | grep -q -i '^vary: accept-encoding' || fail "cached br answer lost Vary"
echo "$a3" | grep -q -i '^access-control-allow-origin: \*' || fail "cached answer lost ACAO"
ok "identity, gzip, br and zstd: cached answers equal the store's, counted as hits"

# HEAD of a cached path: same headers, no body
h0="$(hits)"
curl -sS -I "$NODE_PUBLIC/app.css" | tr -d '\r' | grep -v -i '^date:' >"$WORK/head.h"
expect_eq "HEAD is a hit" "$(($(hits) - h0))" 1
curl -sS -D - -o /dev/null "$NODE_PUBLIC/app.css" | tr -d '\r' | grep -v -i '^date:' >"$WORK/get.h"
cmp -s "$WORK/head.h" "$WORK/get.h" || fail "HEAD headers differ from GET's: $(diff "$WORK/head.h" "$WORK/get.h")"
ok "HEAD from the cache"

# conditional and range requests are answered from the store
etag="$(header_of "$WORK/a.h" ETag)"
h0="$(hits)"
expect_status "If-None-Match" 304 -H "If-None-Match: $etag" -H 'Accept-Encoding: br' "$NODE_PUBLIC/app.css"
expect_status "Range" 206 -H 'Range: bytes=0-9' "$NODE_PUBLIC/app.css"
expect_status "If-Modified-Since" 304 -H 'If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT' \
    "$NODE_PUBLIC/app.css"
expect_eq "no hit for conditional/range" "$(($(hits) - h0))" 0
ok "conditional and range requests bypass the cache"

# a non-compressible type: cached too, never a variant
curl -sS -o /dev/null "$NODE_PUBLIC/logo.png"
curl -sS -o /dev/null "$NODE_PUBLIC/logo.png"
h0="$(hits)"
a="$(answer "$NODE_PUBLIC/logo.png" -H 'Accept-Encoding: br, gzip')"
expect_eq "png hit" "$(($(hits) - h0))" 1
echo "$a" | grep -q -i '^content-encoding' && fail "png got a Content-Encoding"
expect_eq "png bytes" "$(echo "$a" | tail -1)" "$(sha256sum <"$WORK/logo.png" | cut -c1-64)"

# over 256 KiB: never cached
for _ in 1 2 3; do curl -sS -o /dev/null "$NODE_PUBLIC/big.bin"; done
h0="$(hits)"
a="$(answer "$NODE_PUBLIC/big.bin")"
expect_eq "big.bin not a hit" "$(($(hits) - h0))" 0
expect_eq "big.bin bytes" "$(echo "$a" | tail -1)" "$(sha256sum <"$WORK/big.bin" | cut -c1-64)"
ok "image cached without variants; 300 kB never cached"

# HEAD of a large asset: a HEAD-only answer is cached, a GET never gets it
curl -sS -I "$NODE_PUBLIC/big.bin" >/dev/null
curl -sS -I "$NODE_PUBLIC/big.bin" >/dev/null
h0="$(hits)"
curl -sS -I "$NODE_PUBLIC/big.bin" | tr -d '\r' | grep -v -i '^date:' >"$WORK/bighead.h"
expect_eq "big HEAD is a hit" "$(($(hits) - h0))" 1
expect_eq "big HEAD length" "$(header_of "$WORK/bighead.h" Content-Length)" 300000
a="$(answer "$NODE_PUBLIC/big.bin")"
echo "$a" | sed '$d' | diff - "$WORK/bighead.h" >/dev/null || fail "big HEAD headers differ from GET's"
expect_eq "GET after a cached HEAD" "$(echo "$a" | tail -1)" "$(sha256sum <"$WORK/big.bin" | cut -c1-64)"
expect_eq "GET after a cached HEAD: no hit" "$(($(hits) - h0))" 1
ok "HEAD of 300 kB from the cache; the GET still from the store, byte-exact"

# memory bound: 600 distinct hot 24 kB assets (14 MB) through a 1 MiB cache,
# by the cache's own accounting and by the process's anonymous memory (the
# bodies are private copies; the store's map pages are file-backed, RssFile).
# Under ASan the node runs without its free-memory quarantine, which would
# otherwise hold every evicted body (the restart below is the same store).
origind_stop "$NODE_PID" >/dev/null || fail "stop before the memory bound"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0" \
    origind_start "$WORK/s" --threads 2 --response-cache 1M || fail "restart for the memory bound"
rss_anon() { awk '$1 == "RssAnon:" { print $2 * 1024 }' "/proc/$NODE_PID/status"; }
args=()
for i in $(seq 1 600); do
    head -c 24000 /dev/urandom >"$WORK/f$i.png"
    args+=("/f/$i.png" "$WORK/f$i.png" image/png)
done
publish r2 "${args[@]}"
fetch_all() {
    for i in $(seq 1 600); do echo "url = \"$NODE_PUBLIC/f/$i.png\""; echo "output = /dev/null"; done |
        curl -sS -K - || fail "fetching the 600 assets"
}
fetch_all # once: connection pools, arenas and the admission table warm
anon0="$(rss_anon)"
for _ in 1 2 3; do fetch_all; done
anon1="$(rss_anon)"
bytes="$(metric origind_response_cache_bytes)"
entries="$(metric origind_response_cache_entries)"
[ "$bytes" -le $((1024 * 1024)) ] || fail "cache holds $bytes bytes > 1 MiB"
[ "$entries" -gt 20 ] || fail "only $entries entries after 2400 requests"
# 14 MB went through the cache; its 1 MiB bound plus allocator slack must hold
[ $((anon1 - anon0)) -le $((6 * 1024 * 1024)) ] ||
    fail "anonymous memory grew by $(((anon1 - anon0) / 1024)) KiB while the cache claims $bytes bytes"
ok "cache within --response-cache 1M ($entries entries, $bytes bytes; RssAnon grew $(((anon1 - anon0) / 1024)) KiB)"

# a prune makes a cached path 410 at once
curl -sS -o /dev/null "$NODE_PUBLIC/logo.png"
curl -sS -o /dev/null "$NODE_PUBLIC/logo.png" # cached on its second miss
h0="$(hits)"
expect_status "logo cached" 200 "$NODE_PUBLIC/logo.png"
expect_eq "logo hit before prune" "$(($(hits) - h0))" 1
publish r3 /other.css "$WORK/app.css" "text/css; charset=utf-8"
admin_curl -o /dev/null -X POST --data-binary '{"prune":["r1"]}' "$NODE_ADMIN/v1/prune"
expect_status "logo after prune" 410 "$NODE_PUBLIC/logo.png"
expect_status "app.css after prune" 410 -H 'Accept-Encoding: br' "$NODE_PUBLIC/app.css"
expect_status "other.css kept" 200 "$NODE_PUBLIC/other.css"
ok "prune: cached paths are 410 at once"
origind_stop "$NODE_PID" >/dev/null

# --cors-origin and --response-cache 0: never a hit
for flags in "--cors-origin https://app.example" "--response-cache 0"; do
    # shellcheck disable=SC2086 # a list of flags
    origind_start "$WORK/s" $flags || fail "start $flags"
    for _ in 1 2 3; do
        curl -sS -o /dev/null -H 'Origin: https://app.example' "$NODE_PUBLIC/other.css"
    done
    expect_status "$flags: 200" 200 "$NODE_PUBLIC/other.css"
    expect_eq "$flags: hits" "$(hits)" 0
    origind_stop "$NODE_PID" >/dev/null
done
ok "--cors-origin and --response-cache 0 never answer from the cache"

# the origin secret on a hot cached path: the cached answer never reaches a
# client without X-Origin-Verify (403 before any cache lookup)
printf 'cf-secret-for-the-cache\n' >"$WORK/secret"
origind_start "$WORK/s" --origin-secret-file "$WORK/secret" || fail "start with a secret"
for _ in 1 2 3; do
    curl -sS -o /dev/null -H 'X-Origin-Verify: cf-secret-for-the-cache' "$NODE_PUBLIC/other.css"
done
h0="$(hits)"
expect_status "hot path with the secret" 200 -H 'X-Origin-Verify: cf-secret-for-the-cache' \
    "$NODE_PUBLIC/other.css"
expect_eq "hot path with the secret is a hit" "$(($(hits) - h0))" 1
expect_status "hot path without the secret" 403 "$NODE_PUBLIC/other.css"
expect_status "hot path with a wrong secret" 403 -H 'X-Origin-Verify: cf-secret-for-the-cach' \
    "$NODE_PUBLIC/other.css"
expect_status "HEAD of the hot path without the secret" 403 -I "$NODE_PUBLIC/other.css"
expect_eq "no hit without the secret" "$(($(hits) - h0))" 1
origind_stop "$NODE_PID" >/dev/null
ok "origin secret: a cached path is 403 without X-Origin-Verify"

# expiry: an entry is dropped 10 s (RESP_CACHE_TTL_NS) after it was made
origind_start "$WORK/s" || fail "start for the expiry"
curl -sS -o /dev/null "$NODE_PUBLIC/other.css"
curl -sS -o /dev/null "$NODE_PUBLIC/other.css" # the second miss makes the entry
made=$(date +%s%N)
h0="$(hits)"
curl -sS -o /dev/null "$NODE_PUBLIC/other.css"
expect_eq "hit right after it was made" "$(($(hits) - h0))" 1
# until 10.3 s after the entry was made (it cannot have been made later)
left_ms=$((10300 - ($(date +%s%N) - made) / 1000000))
[ "$left_ms" -le 0 ] || sleep "$((left_ms / 1000)).$(printf '%03d' $((left_ms % 1000)))"
h0="$(hits)"
expect_status "after 10 s" 200 "$NODE_PUBLIC/other.css"
expect_eq "no hit 10 s after the entry was made" "$(($(hits) - h0))" 0
expect_eq "the entry is still counted, not evicted" "$(metric origind_response_cache_entries)" 1
origind_stop "$NODE_PID" >/dev/null
ok "an entry expires 10 s after it was made"

# a draining server stops caching: once the drain is over and the listeners
# close, the answers on connections still open carry Connection: close and
# never come from the cache (whose answers were made without it). A slow
# reader keeps a 20 MB answer in flight so the server stays in that phase.
head -c 20000000 /dev/urandom >"$WORK/huge.bin"
origind_start "$WORK/s" --drain-seconds 1 || fail "start for the drain"
publish r4 /huge.bin "$WORK/huge.bin" application/octet-stream
python3 - "$NODE_PUBLIC" "$NODE_PID" "$NODE_STDERR" <<'PY' || fail "the closing phase used the cache"
import os, signal, socket, sys, time
host, port = sys.argv[1].split("//")[1].rsplit(":", 1)
pid, stderr = int(sys.argv[2]), sys.argv[3]
def conn():
    s = socket.create_connection((host, int(port)), timeout=30)
    return s
def get(s, path):
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    n = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0])
    while len(body) < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return head.decode("latin-1").lower()
ka = conn()
for _ in range(3):
    h = get(ka, "/other.css")      # the third one is a hit
slow = conn()
slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
slow.sendall(b"GET /huge.bin HTTP/1.1\r\nHost: x\r\n\r\n")
slow.recv(100)                      # in flight, and not read on
os.kill(pid, signal.SIGTERM)
deadline = time.time() + 30
while b"listeners closed" not in open(stderr, "rb").read():
    if time.time() > deadline:
        sys.exit("no 'listeners closed' line in 30 s")
    time.sleep(0.02)
h = get(ka, "/other.css")
if "connection: close" not in h:
    print("an answer in the closing phase without Connection: close (from the cache?):\n" + h)
    sys.exit(1)
slow.close()
ka.close()
PY
origind_stop "$NODE_PID" >/dev/null || true
ok "closing: answers carry Connection: close and bypass the cache"
