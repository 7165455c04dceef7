#!/usr/bin/env bash
# verify_through.sh - `origin-ingest verify --through BASE_URL` (ctest: e2e_verify_through):
#   1. through a real nginx cache (cache key: path + Accept-Encoding, like a
#      CloudFront cache policy with gzip and Brotli on) the gate passes, on a
#      cold cache and again from the cache, and the stored br and gzip
#      variants were really asked for and checked;
#   2. through a proxy that breaks one file's answers, it exits 6 and names
#      that URL, and only that one: one byte altered, br served to a client
#      that did not offer it, a wrong Content-Type, a 404, a body cut short;
#   3. --sample N checks N files; an unreachable BASE_URL fails.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/e2e_lib.sh"

T="$(origind_tmpdir)"
trap 'nginx_stop_all; [ -z "${PROXY_PID:-}" ] || kill "$PROXY_PID" 2>/dev/null; origind_cleanup' EXIT

origind_start "$T/store" || fail "node does not start"
"$ORIGIN_INGEST" push --node "$NODE_ADMIN" --token-file "$NODE_TOKEN_FILE" --release thr-1 \
    --cache-dir none --quiet --manifest-out "$T/manifest.json" "$E2E_REPO/sample-site" ||
    fail "push failed"
nfiles="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/manifest.json")"
verify() {
    "$ORIGIN_INGEST" verify --node "$NODE_ADMIN" --token-file "$NODE_TOKEN_FILE" --release thr-1 "$@"
}

# 1. A real nginx cache.
N="$T/nginx"
port="$(free_port)"
mkdir -p "$N"
{
    nginx_conf_head "$N"
    cat <<EOC
http {
$(nginx_http_common "$N")
    proxy_cache_path $N/cache levels=1:2 keys_zone=cdn:4m max_size=64m inactive=1d use_temp_path=off;
    server {
        listen 127.0.0.1:$port;
        location / {
            proxy_pass $NODE_PUBLIC;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache cdn;
            proxy_cache_key "\$uri|\$http_accept_encoding";
        }
    }
}
EOC
} >"$N/nginx.conf"
nginx_start "$N" || fail "nginx does not start"
CDN="http://127.0.0.1:$port"

rc=0
verify --through "$CDN/" --json >"$T/cold.json" 2>"$T/cold.err" || rc=$?
[ "$rc" = 0 ] || { cat "$T/cold.err" >&2; fail "verify --through a cold nginx cache: exit $rc"; }
python3 - "$T/cold.json" "$nfiles" <<'EOPY' || fail "verify --through --json summary"
import json, sys
d = json.load(open(sys.argv[1]))["through"]
n = int(sys.argv[2])
assert d["files"] == n and d["responses"] == 4 * n and d["wrong"] == 0 and d["problems"] == [], d
EOPY
rc=0
verify --through "$CDN" 2>"$T/warm.err" || rc=$?
[ "$rc" = 0 ] || { cat "$T/warm.err" >&2; fail "verify --through a warm nginx cache: exit $rc"; }
grep -q "through $CDN: $nfiles files, $((4 * nfiles)) responses" "$T/warm.err" ||
    fail "summary line: $(cat "$T/warm.err")"
hits="$(grep -c 'cache=HIT' "$N/logs/access.log" || true)"
[ "$hits" -ge "$((4 * nfiles))" ] || fail "second pass: $hits cache hits, want $((4 * nfiles))"
# The br and gzip variants the node stores were what came back.
for enc in br gzip; do
    curl -s -o /dev/null -D "$T/h" -H "Accept-Encoding: $([ $enc = br ] && echo br,gzip || echo gzip)" \
        "$CDN$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["css/app.css"])' "$T/manifest.json")"
    expect_eq "Content-Encoding through nginx" "$(header_of "$T/h" Content-Encoding)" "$enc"
done
ok "verify --through nginx: $nfiles files x 4 Accept-Encodings, cold and from the cache"

# 2. A proxy that breaks one file's answers, the way a CDN can: the mode in
# $T/mode (read on every request) says how. Every mode must exit 6 naming
# that URL (with each Accept-Encoding it breaks) and no other.
target="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["js/app.js"])' "$T/manifest.json")"
echo flip >"$T/mode"
python3 - "$T/proxy.port" "${NODE_PUBLIC#http://}" "$target" "$T/mode" <<'EOPY' &
import http.client, http.server, sys
port_file, upstream, target, mode_file = sys.argv[1:5]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        mode = open(mode_file).read().strip()
        mine = self.path.split("?")[0] == target
        c = http.client.HTTPConnection(upstream, timeout=10)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() in ("accept-encoding",)}
        if mine and mode == "br-unasked":
            hdrs["Accept-Encoding"] = "br"     # br whatever the client offered
        c.request("GET", self.path, headers=hdrs)
        r = c.getresponse()
        body = bytearray(r.read())
        status, headers = r.status, r.getheaders()
        if mine and mode == "flip" and body:
            body[len(body) // 2] ^= 0x01          # one bit of one byte
        if mine and mode == "type":
            headers = [(k, "text/plain" if k.lower() == "content-type" else v) for k, v in headers]
        if mine and mode == "status":
            status, body = 404, bytearray(b"not here\n")
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if mine and mode == "truncated":      # the whole length announced, half sent
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(bytes(body[:len(body) // 2]))
            self.wfile.flush()
            self.close_connection = True
            return
        self.end_headers()
        self.wfile.write(bytes(body))
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
EOPY
PROXY_PID=$!
for _ in $(seq 1 200); do
    [ -s "$T/proxy.port" ] && break
    sleep 0.05
done
pport="$(cat "$T/proxy.port")"
PROXY="http://127.0.0.1:$pport"
curl -sf -o /dev/null "$PROXY/healthz" || fail "the proxy does not answer"

# through_mode MODE "AE..." REASON-REGEX: verify through the proxy in MODE;
# exit 6, each listed Accept-Encoding of $target named with REASON, nothing else
through_mode() {
    local mode="$1" aes="$2" why="$3" ae n rc=0
    echo "$mode" >"$T/mode"
    verify --through "$PROXY" --retries 1 2>"$T/$mode.err" || rc=$?
    expect_eq "verify --through a proxy ($mode): exit" "$rc" 6
    n=0
    for ae in $aes; do
        grep -Eq "through: WRONG $PROXY$target \\(Accept-Encoding: $ae\\): $why" "$T/$mode.err" ||
            fail "$mode: $target with Accept-Encoding $ae not named with '$why': $(cat "$T/$mode.err")"
        n=$((n + 1))
    done
    expect_eq "$mode: URLs named" "$(grep -c "through: WRONG" "$T/$mode.err")" "$n"
    grep -q "$n of $((4 * nfiles)) responses WRONG" "$T/$mode.err" || fail "$mode summary: $(cat "$T/$mode.err")"
}
through_mode flip "none gzip br,gzip zstd" "(identity bytes have sha256|(br|zstd) decodes to sha256|.* does not decode)"
ok "verify --through a byte-altering proxy: exit 6, $target named (identity, gzip, br, zstd)"
through_mode br-unasked "none gzip zstd" "Content-Encoding br was not offered"
ok "verify --through a CDN that serves br to a client that did not offer it: exit 6, named"
through_mode type "none gzip br,gzip zstd" 'Content-Type "text/plain", want '
ok "verify --through a CDN with a wrong Content-Type: exit 6, named"
through_mode status "none gzip br,gzip zstd" "status 404, want 200"
ok "verify --through a CDN answering 404: exit 6, named"
through_mode truncated "none gzip br,gzip zstd" "(transfer failed|.* stream is truncated|.* does not decode|identity bytes have sha256)"
ok "verify --through a CDN that cuts the body short: exit 6, named"
echo flip >"$T/mode"

# The pipeline's last step (deploy/deploy-assets.sh, CDN_CHECK_URL): after the
# HTML deploy, through nginx it passes; through the altering proxy it exits 6.
pipeline() { # CDN_CHECK_URL
    env ORIGIN_NODES="$NODE_ADMIN" ORIGIN_TOKEN_FILE="$NODE_TOKEN_FILE" ASSET_DIR="$E2E_REPO/sample-site" \
        RELEASE_ID=thr-1 MANIFEST_OUT="$T/pipeline-manifest.json" INGEST_ARGS="--cache-dir none" \
        HTML_DEPLOY_CMD="touch $T/html-deployed" ORIGIN_INGEST="$ORIGIN_INGEST" CDN_CHECK_URL="$1" \
        ORIGIN_PIPELINE_CONF_DIR="$T" "$E2E_REPO/deploy/deploy-assets.sh" >"$T/pipeline.log" 2>&1
}
pipeline "$CDN" || fail "deploy-assets.sh with CDN_CHECK_URL=nginx: $(tail -n 5 "$T/pipeline.log")"
grep -q "verify release thr-1 through $CDN" "$T/pipeline.log" || fail "the pipeline did not check the CDN"
rm -f "$T/html-deployed"
rc=0
pipeline "$PROXY" || rc=$?
expect_eq "deploy-assets.sh through the altering proxy: exit" "$rc" 6
[ -e "$T/html-deployed" ] || fail "the HTML deploy should have run before the CDN check"
grep -q "WRONG http://127.0.0.1:$pport$target" "$T/pipeline.log" || fail "the pipeline log does not name the URL"
ok "deploy-assets.sh CDN_CHECK_URL: passes through nginx, exit 6 naming the URL through the proxy"

# 3. --sample and an unreachable CDN.
verify --through "$CDN" --sample 2 --json 2>/dev/null >"$T/sample.json" || fail "--sample 2 failed"
expect_eq "--sample 2 files" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["through"]["files"])' "$T/sample.json")" 2
refused_port
rc=0
verify --through "http://127.0.0.1:$REFUSED_PORT" --retries 0 2>"$T/down.err" || rc=$?
expect_eq "verify --through an unreachable URL: exit" "$rc" 6
ok "--sample 2 checks 2 files; an unreachable CDN fails the gate"
echo "verify --through: passes through nginx, names the altered URL"
