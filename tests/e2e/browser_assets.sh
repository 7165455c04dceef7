#!/usr/bin/env bash
# browser_assets.sh - assets load cross-origin in a real browser (ctest: e2e_browser_assets).
#
# Debian's chromium, headless, driven over its DevTools protocol (cdp.py, no npm, no
# browser download) loads a page from one origin (the "site", nginx) whose module
# script (dynamically importing a lazy chunk), stylesheet (with the full manifest's
# integrity values) and web font come from another: a CDN (nginx with proxy_cache,
# cache key = path, as deploy/cloudfront.json) in front of three origind nodes with
# the origin secret. Then release 2 goes out (push, then HTML): the tab opened before
# still loads its old lazy chunk, a new tab gets release 2, no request fails, no
# console error. Two controls run in the same browser and must fail as predicted:
#   nocors   the same nodes behind a CDN that strips Access-Control-Allow-Origin
#            (origind's answers before issue 11): the browser reports a CORS error;
#   classic  a plain web server whose deploy deletes the old files: the old tab's
#            lazy import fails ("Failed to fetch dynamically imported module", 404).
# The page logic and the checks are in browser_assets.py. Fails (never skips) when
# chromium or nginx is missing: scripts/setup.sh installs both. ~15 s.
set -euo pipefail
export ORIGIND_LIB_NO_TRAP=1
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/e2e_lib.sh"

CHROMIUM="${CHROMIUM:-$(command -v chromium || true)}"
[ -n "$CHROMIUM" ] || fail "chromium not installed (scripts/setup.sh installs it)"
command -v "$NGINX" >/dev/null || fail "nginx not installed (scripts/setup.sh installs it)"
[ -x "$ORIGIND" ] && [ -x "$ORIGIN_INGEST" ] || fail "origind/origin-ingest not built in $ORIGIND_BIN_DIR"

W="$(mktemp -d "${TMPDIR:-/tmp}/origind-browser.XXXXXX")"
cleanup() {
    local rc=$?
    nginx_stop_all
    origind_cleanup
    if [ "$rc" -ne 0 ]; then
        echo "--- nginx (set E2E_KEEP=1 to keep $W)" >&2
        tail -n 20 "$W"/nginx/logs/access.log "$W"/nginx/logs/error.log 2>/dev/null >&2 || true
    fi
    [ -n "${E2E_KEEP:-}" ] && echo "kept $W" >&2 || rm -rf "$W"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

head -c 32 /dev/urandom | base64 | tr -d '\n=+/' >"$W/admin.token"
head -c 32 /dev/urandom | base64 | tr -d '\n=+/' >"$W/origin.secret"
chmod 600 "$W/admin.token" "$W/origin.secret"
pub="" adm="" pids=""
for i in 1 2 3; do
    origind_start "$W/store$i" --admin-token-file "$W/admin.token" \
        --origin-secret-file "$W/origin.secret" || fail "node $i did not start"
    pub="$pub ${NODE_PUBLIC#http://}"
    adm="$adm $NODE_ADMIN"
    pids="$pids $NODE_PID"
done

site="$(free_port)" cdn="$(free_port)" nocors="$(free_port)" classic_cdn="$(free_port)"
classic_web="$(free_port)"
mkdir -p "$W/site" "$W/classic/assets" "$W/nginx"
D="$W/nginx"
# cdn_server PORT ZONE UPSTREAM [EXTRA]: a caching reverse proxy as the CDN.
cdn_server() {
    cat <<EOC
    server {
        listen 127.0.0.1:$1;
        location / {
            proxy_pass http://$3;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Origin-Verify "$(cat "$W/origin.secret")";
            proxy_cache $2;
            proxy_cache_key "\$request_uri";
            ${4:-}
            add_header X-Cache \$upstream_cache_status always;
        }
    }
EOC
}
{
    nginx_conf_head "$D"
    echo "http {"
    nginx_http_common "$D"
    cat <<EOC
    types { font/ttf ttf; }
    proxy_cache_path $D/cache/o levels=1:2 keys_zone=cdn_o:1m max_size=16m use_temp_path=off;
    proxy_cache_path $D/cache/n levels=1:2 keys_zone=cdn_n:1m max_size=16m use_temp_path=off;
    proxy_cache_path $D/cache/c levels=1:2 keys_zone=cdn_c:1m max_size=16m use_temp_path=off;
    upstream origind_pool {
EOC
    for a in $pub; do echo "        server $a;"; done
    cat <<EOC
        keepalive 8;
    }
    upstream classic_pool { server 127.0.0.1:$classic_web; }
    # the site: the HTML, never cached
    server {
        listen 127.0.0.1:$site;
        root $W/site;
        add_header Cache-Control no-store;
    }
    # a classic web server: the assets of the last deploy only (with CORS headers,
    # so that only the deletion differs from origind)
    server {
        listen 127.0.0.1:$classic_web;
        root $W/classic;
        add_header Cache-Control "public, max-age=31536000, immutable" always;
        add_header Access-Control-Allow-Origin "*" always;
        add_header Access-Control-Expose-Headers "ETag" always;
        location / {
            if (\$request_method = OPTIONS) {
                add_header Access-Control-Allow-Origin "*";
                add_header Access-Control-Allow-Methods "GET, HEAD, OPTIONS";
                add_header Access-Control-Allow-Headers "Range, If-None-Match, If-Modified-Since, If-Range";
                add_header Access-Control-Max-Age 86400;
                return 204;
            }
        }
    }
EOC
    cdn_server "$cdn" cdn_o origind_pool
    cdn_server "$nocors" cdn_n origind_pool \
        "proxy_hide_header Access-Control-Allow-Origin; proxy_hide_header Timing-Allow-Origin;"
    cdn_server "$classic_cdn" cdn_c classic_pool
    echo "}"
} >"$D/nginx.conf"
nginx_start "$D" || fail "nginx did not start"
wait_http "http://127.0.0.1:$cdn/healthz" || fail "CDN not answering"

BA_WORK="$W" BA_SITE="http://127.0.0.1:$site" BA_CDN_ORIGIND="http://127.0.0.1:$cdn" \
    BA_CDN_NOCORS="http://127.0.0.1:$nocors" BA_CDN_CLASSIC="http://127.0.0.1:$classic_cdn" \
    BA_INGEST="$ORIGIN_INGEST" BA_TOKEN_FILE="$W/admin.token" BA_NODES="$adm" \
    BA_CHROMIUM="$CHROMIUM" PYTHONDONTWRITEBYTECODE=1 python3 "$E2E_DIR/browser_assets.py" || fail "browser checks failed"
# the CDN really was in between, and the nodes answered the preflights
for a in $pub; do up_re="${up_re:+$up_re|}up=$a"; done
grep '"OPTIONS /assets/face-[^"]*" 204 ' "$D/logs/access.log" | grep -Eq "$up_re" ||
    fail "no preflight reached an origind node through the CDN"
grep -q 'cache=HIT' "$D/logs/access.log" || fail "the CDN never hit its cache"
for p in $pids; do origind_stop "$p" || fail "node $p did not exit 0"; done
ok "browser: module scripts, lazy chunks, SRI stylesheet, web font and a preflighted fetch load cross-origin across a deploy; both controls fail as predicted"
