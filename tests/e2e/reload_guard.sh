#!/usr/bin/env bash
# reload_guard.sh - promotion, the release document and the reload guard in a
# real browser, with real Vite and webpack builds (ctest: e2e_reload_guard).
#
# Three origind nodes behind nginx as the CDN (assets cached, the release
# document passed through uncached so that the nodes' disagreement during a
# promotion shows), a site server for the HTML and a stale one (an HTML
# deploy that has not reached it). The front-end apps in tests/e2e/frontend/
# are installed with `npm ci` from their lockfiles (vite@5, webpack@5, the
# plugins and the guard from integrations/ by path) and built for real; the
# plugins push every build. Headless Chromium (cdp.py) then proves:
#   (a) an old tab whose lazy chunk was pruned reloads exactly once into the
#       live release and works (control: without the guard it breaks);
#   (b) raising the floor makes an old tab reload at its next navigation,
#       once (control: without the guard it stays);
#   (c) during a promotion that reached one node of three, with stale HTML,
#       no tab reloads more than once and none loops (control: a guard whose
#       storage forgets reloads in a loop);
#   (d) the same with the webpack plugin: builds, pushes, loads, and an old
#       tab whose chunk was pruned reloads once.
# The browser half is reload_guard.py. Needs chromium, nginx, node and npm
# (scripts/setup.sh) and the npm registry or a warm npm cache. ~60 s.
set -euo pipefail
export ORIGIND_LIB_NO_TRAP=1
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/e2e_lib.sh"

CHROMIUM="${CHROMIUM:-$(command -v chromium || true)}"
[ -n "$CHROMIUM" ] || fail "chromium not installed (scripts/setup.sh installs it)"
command -v "$NGINX" >/dev/null || fail "nginx not installed (scripts/setup.sh installs it)"
command -v npm >/dev/null || fail "npm not installed"
[ -x "$ORIGIND" ] && [ -x "$ORIGIN_INGEST" ] || fail "origind/origin-ingest not built in $ORIGIND_BIN_DIR"

W="$(mktemp -d "${TMPDIR:-/tmp}/origind-guard.XXXXXX")"
cleanup() {
    local rc=$?
    nginx_stop_all
    origind_cleanup
    if [ "$rc" -ne 0 ]; then
        echo "--- nginx (set E2E_KEEP=1 to keep $W)" >&2
        tail -n 30 "$W"/nginx/logs/access.log "$W"/nginx/logs/error.log 2>/dev/null >&2 || true
    fi
    [ -n "${E2E_KEEP:-}" ] && echo "kept $W" >&2 || rm -rf "$W"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

head -c 32 /dev/urandom | base64 | tr -d '\n=+/' >"$W/admin.token"
chmod 600 "$W/admin.token"
pub="" adm=""
for i in 1 2 3; do
    origind_start "$W/store$i" --admin-token-file "$W/admin.token" || fail "node $i did not start"
    pub="$pub ${NODE_PUBLIC#http://}"
    adm="$adm $NODE_ADMIN"
done

site="$(free_port)" oldsite="$(free_port)" cdn="$(free_port)"
mkdir -p "$W/site" "$W/oldsite" "$W/nginx"
D="$W/nginx"
{
    nginx_conf_head "$D"
    echo "http {"
    nginx_http_common "$D"
    cat <<EOC
    proxy_cache_path $D/cache/o levels=1:2 keys_zone=cdn_o:1m max_size=16m use_temp_path=off;
    upstream origind_pool {
EOC
    for a in $pub; do echo "        server $a;"; done
    cat <<EOC
    }
    server {
        listen 127.0.0.1:$site;
        root $W/site;
        add_header Cache-Control no-store;
        location / { try_files \$uri /index.html; }
    }
    server {
        listen 127.0.0.1:$oldsite;
        root $W/oldsite;
        add_header Cache-Control no-store;
        location / { try_files \$uri /index.html; }
    }
    server {
        listen 127.0.0.1:$cdn;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        add_header X-Cache \$upstream_cache_status always;
        location / {
            proxy_pass http://origind_pool;
            proxy_cache cdn_o;
            proxy_cache_key "\$request_uri";
        }
        location /.well-known/origind/ {
            proxy_pass http://origind_pool;
        }
    }
EOC
    echo "}"
} >"$D/nginx.conf"
nginx_start "$D" || fail "nginx did not start"
wait_http "http://127.0.0.1:$cdn/healthz" || fail "CDN not answering"

RG_WORK="$W" RG_SITE="http://127.0.0.1:$site" RG_OLDSITE="http://127.0.0.1:$oldsite" \
    RG_SITE_DIR="$W/site" RG_OLDSITE_DIR="$W/oldsite" RG_CDN="http://127.0.0.1:$cdn" \
    RG_INGEST="$ORIGIN_INGEST" RG_TOKEN_FILE="$W/admin.token" RG_NODES="$adm" \
    RG_REPO="$E2E_REPO" RG_CHROMIUM="$CHROMIUM" RG_ONLY="${RG_ONLY:-}" \
    PYTHONDONTWRITEBYTECODE=1 python3 "$E2E_DIR/reload_guard.py" || fail "reload guard checks failed"
ok "reload guard: (a) pruned chunk -> one reload into the live release, (b) floor -> one reload at the next navigation, (c) no loop during a partial promotion, (d) webpack; every control failed as predicted"
