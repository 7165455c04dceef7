#!/usr/bin/env bash
# verify_through.sh - `origin-ingest verify --through BASE_URL` (ctest: e2e_verify_through):
#   1. through a real nginx cache (cache key: path + Accept-Encoding, like a
#      CloudFront cache policy with gzip and Brotli on) the gate passes, on a
#      cold cache and again from the cache, and the stored br and gzip
#      variants were really asked for and checked;
#   2. through a proxy that alters one byte of one file's answers, it exits 6
#      and names that URL, and only that one;
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

# 2. A proxy that alters one byte of one file.
target="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["js/app.js"])' "$T/manifest.json")"
pport="$(free_port)"
python3 - "$pport" "${NODE_PUBLIC#http://}" "$target" <<'EOPY' &
import http.client, http.server, sys
port, upstream, target = int(sys.argv[1]), sys.argv[2], sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        c = http.client.HTTPConnection(upstream, timeout=10)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() in ("accept-encoding",)}
        c.request("GET", self.path, headers=hdrs)
        r = c.getresponse()
        body = bytearray(r.read())
        if self.path.split("?")[0] == target and body:
            body[len(body) // 2] ^= 0x01          # one bit of one byte
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(bytes(body))
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
EOPY
PROXY_PID=$!
for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$pport/healthz" && break
    sleep 0.05
done
rc=0
verify --through "http://127.0.0.1:$pport" 2>"$T/bad.err" || rc=$?
expect_eq "verify --through a proxy that alters a byte: exit" "$rc" 6
for ae in none gzip br,gzip zstd; do
    grep -q "WRONG http://127.0.0.1:$pport$target (Accept-Encoding: $ae): " "$T/bad.err" ||
        fail "the altered URL with Accept-Encoding $ae is not named: $(cat "$T/bad.err")"
done
expect_eq "wrong URLs named" "$(grep -c "through: WRONG" "$T/bad.err")" 4
grep -q "4 of $((4 * nfiles)) responses WRONG" "$T/bad.err" || fail "summary: $(cat "$T/bad.err")"
ok "verify --through a byte-altering proxy: exit 6, $target named (identity, gzip, br, zstd)"

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
pipeline "http://127.0.0.1:$pport" || rc=$?
expect_eq "deploy-assets.sh through the altering proxy: exit" "$rc" 6
[ -e "$T/html-deployed" ] || fail "the HTML deploy should have run before the CDN check"
grep -q "WRONG http://127.0.0.1:$pport$target" "$T/pipeline.log" || fail "the pipeline log does not name the URL"
ok "deploy-assets.sh CDN_CHECK_URL: passes through nginx, exit 6 naming the URL through the proxy"

# 3. --sample and an unreachable CDN.
verify --through "$CDN" --sample 2 --json 2>/dev/null >"$T/sample.json" || fail "--sample 2 failed"
expect_eq "--sample 2 files" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["through"]["files"])' "$T/sample.json")" 2
rc=0
verify --through "http://127.0.0.1:$(free_port)" --retries 0 2>"$T/down.err" || rc=$?
expect_eq "verify --through an unreachable URL: exit" "$rc" 6
ok "--sample 2 checks 2 files; an unreachable CDN fails the gate"
echo "verify --through: passes through nginx, names the altered URL"
