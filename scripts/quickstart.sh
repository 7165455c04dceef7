#!/usr/bin/env bash
# quickstart.sh - from a fresh clone to a running origind node serving the sample site.
#
# Usage: scripts/quickstart.sh          install what is missing, build, start a node on
#                                       ./.store, push sample-site/, serve its page from a
#                                       second origin (the "site"), print URLs to try
#        scripts/quickstart.sh --cdn    the same, plus nginx in front as a CDN stand-in
#        scripts/quickstart.sh --stop   stop the node (and nginx) started here
#
# Safe to re-run: a running node is reused and pushing the same files again
# publishes nothing new. Everything binds 127.0.0.1 only: 8080 (public) and
# 8081 (admin), or the next free ports; the CDN stand-in 8088 or the next free; the
# site (python3 http.server: the page, whose assets load cross-origin) 8090 or the next.
# ORIGIND_BIN_DIR=DIR uses already-built binaries instead of building build/.
set -euo pipefail
cd "$(dirname "$0")/.."

STORE=.store
RUN="$STORE/quickstart"
mode=node
case "${1:-}" in
'') ;;
--cdn) mode=cdn ;;
--stop) mode=stop ;;
-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
*) echo "quickstart: unknown argument $1 (try --help)" >&2; exit 2 ;;
esac

say() { echo "quickstart: $*"; }
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# port_free PORT: nothing listens on 127.0.0.1:PORT.
port_free() {
    python3 -c 'import socket,sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$1"
}
# next_free PORT [SKIP]: PORT or the next free port above it (never SKIP).
next_free() {
    local p="$1"
    while ! port_free "$p" || [ "$p" = "${2:-}" ]; do
        p=$((p + 1))
        [ "$p" -lt "$(($1 + 100))" ] || { echo "quickstart: no free port near $1" >&2; exit 1; }
    done
    echo "$p"
}

stop_all() {
    local f pid
    for f in "$RUN/site.pid" "$RUN/nginx/nginx.pid" "$RUN/origind.pid"; do
        alive "$f" || { rm -f "$f"; continue; }
        pid="$(cat "$f")"
        kill -TERM "$pid"
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
        rm -f "$f"
        say "stopped $(basename "$f" .pid) (pid $pid)"
    done
}

if [ "$mode" = stop ]; then
    stop_all
    say "the store stays in $STORE (delete it to start from nothing)"
    exit 0
fi

# 1. Packages and build.
if [ -n "${ORIGIND_BIN_DIR:-}" ]; then
    scripts/setup.sh --no-build
    BIN="$ORIGIND_BIN_DIR"
else
    scripts/setup.sh
    BIN=build/bin
fi
[ -x "$BIN/origind" ] && [ -x "$BIN/origin-ingest" ] || { echo "quickstart: no binaries in $BIN" >&2; exit 1; }

# 2. The node: reuse the one this script started, or start one.
mkdir -p "$RUN"
if alive "$RUN/origind.pid" && [ -s "$RUN/node.env" ]; then
    . "$RUN/node.env"
    say "origind already running (pid $(cat "$RUN/origind.pid"))"
else
    pub_port="$(next_free 8080)"
    adm_port="$(next_free 8081 "$pub_port")"
    : >"$RUN/origind.log"
    nohup "$BIN/origind" serve --store "$STORE" \
        --listen "127.0.0.1:$pub_port" --admin-listen "127.0.0.1:$adm_port" \
        --drain-seconds 1 --access-log "$RUN/access.log" >>"$RUN/origind.log" 2>&1 </dev/null &
    echo $! >"$RUN/origind.pid"
    line=""
    for _ in $(seq 1 100); do
        line="$(grep -m1 '^origind: public ' "$RUN/origind.log" || true)"
        [ -z "$line" ] || break
        alive "$RUN/origind.pid" || break
        sleep 0.1
    done
    if [ -z "$line" ]; then
        echo "quickstart: origind did not start; its log ($RUN/origind.log):" >&2
        cat "$RUN/origind.log" >&2
        exit 1
    fi
    # origind: public URL admin URL store DIR token-file FILE
    read -r _ _ PUBLIC _ ADMIN _ _ _ TOKEN_FILE <<<"$line"
    printf 'PUBLIC=%s\nADMIN=%s\nTOKEN_FILE=%s\n' "$PUBLIC" "$ADMIN" "$TOKEN_FILE" >"$RUN/node.env"
    say "started origind (pid $(cat "$RUN/origind.pid")), log in $RUN/origind.log"
fi

# 3. Publish sample-site/ under a release id derived from its content, so a
#    re-run is a no-op and an edit makes a new release.
digest="$(cd sample-site && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)"
RELEASE="sample-$digest"
MANIFEST="$RUN/manifest.json"
say "pushing sample-site/ as release $RELEASE"
"$BIN/origin-ingest" push --node "$ADMIN" --token-file "$TOKEN_FILE" --release "$RELEASE" \
    --manifest-out "$MANIFEST" --manifest-format full sample-site
"$BIN/origin-ingest" verify --node "$ADMIN" --token-file "$TOKEN_FILE" --release "$RELEASE"

# 4. Optional: nginx in front, as a CDN stand-in (cache key = path only, like
#    the CloudFront cache policy in deploy/cloudfront.json; TTLs from origind).
CDN=""
if [ "$mode" = cdn ]; then
    N="$RUN/nginx"
    if alive "$N/nginx.pid" && [ -s "$N/cdn.url" ]; then
        CDN="$(cat "$N/cdn.url")"
        say "nginx CDN stand-in already running"
    else
        command -v nginx >/dev/null || PATH="$PATH:/usr/sbin"
        cdn_port="$(next_free 8088)"
        mkdir -p "$N/cache" "$N/tmp" "$N/logs"
        N_ABS="$(cd "$N" && pwd)"
        {
            [ "$(id -u)" -ne 0 ] || echo "user root;"
            cat <<EOC
daemon on;
pid $N_ABS/nginx.pid;
worker_processes 1;
error_log $N_ABS/logs/error.log warn;
events { worker_connections 256; }
http {
    client_body_temp_path $N_ABS/tmp/body;
    proxy_temp_path $N_ABS/tmp/proxy;
    fastcgi_temp_path $N_ABS/tmp/fastcgi;
    uwsgi_temp_path $N_ABS/tmp/uwsgi;
    scgi_temp_path $N_ABS/tmp/scgi;
    access_log $N_ABS/logs/access.log;
    proxy_cache_path $N_ABS/cache levels=1:2 keys_zone=cdn:4m max_size=256m inactive=7d use_temp_path=off;
    upstream origind { server ${PUBLIC#http://}; keepalive 8; }
    server {
        listen 127.0.0.1:$cdn_port;
        location / {
            proxy_pass http://origind;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache cdn;
            proxy_cache_key \$uri;
            add_header X-Cache \$upstream_cache_status always;
        }
    }
}
EOC
        } >"$N/nginx.conf"
        nginx -q -p "$N_ABS" -e "$N_ABS/logs/error.log" -c "$N_ABS/nginx.conf" -t
        nginx -p "$N_ABS" -e "$N_ABS/logs/error.log" -c "$N_ABS/nginx.conf"
        CDN="http://127.0.0.1:$cdn_port"
        echo "$CDN" >"$N/cdn.url"
        say "started nginx as a CDN stand-in on $CDN"
    fi
fi

# 5. The site: what your application does with the manifest. The page is rendered
#    with absolute asset URLs (on the CDN stand-in with --cdn, else on the node) and
#    the manifest's integrity values, and served from its own origin, so the browser
#    loads the module script, the stylesheet and the menu JSON cross-origin, in CORS
#    mode, exactly as from a CDN domain in production.
ASSET_BASE="${CDN:-$PUBLIC}"
mkdir -p "$RUN/site"
python3 - "$MANIFEST" "$ASSET_BASE" sample-site/index.html "$RUN/site/index.html" <<'EOPY'
import json, re, sys, urllib.parse
manifest, base, src, out = sys.argv[1:5]
m = json.load(open(manifest))
def url(rel):
    u = m[rel]["url"]
    if u.startswith("http"):
        u = urllib.parse.urlsplit(u).path
    return base + urllib.parse.quote(urllib.parse.unquote(u))
def swap(match):
    attr, rel = match.group(1), match.group(2)
    if rel not in m:
        return match.group(0)
    extra = ""
    if match.group(0).startswith(("src", "href")) and rel.endswith((".css", ".js")):
        extra = ' integrity="%s"' % m[rel]["integrity"]
    return '%s="%s"%s' % (attr, url(rel), extra)
html = re.sub(r'(src|href|data-src)="([^"]+)"', swap, open(src).read())
with open(out + ".new", "w") as f:
    f.write(html)
import os
os.replace(out + ".new", out)
EOPY
if alive "$RUN/site.pid" && [ -s "$RUN/site.url" ]; then
    SITE="$(cat "$RUN/site.url")"
else
    site_port="$(next_free 8090)"
    nohup python3 -m http.server --bind 127.0.0.1 --directory "$RUN/site" "$site_port" \
        >"$RUN/site.log" 2>&1 </dev/null &
    echo $! >"$RUN/site.pid"
    SITE="http://127.0.0.1:$site_port"
    for _ in $(seq 1 50); do
        curl -s -o /dev/null "$SITE/" && break
        alive "$RUN/site.pid" || { cat "$RUN/site.log" >&2; exit 1; }
        sleep 0.1
    done
    echo "$SITE" >"$RUN/site.url"
    say "started the site (python3 http.server, pid $(cat "$RUN/site.pid")) on $SITE"
fi

# 6. What to try.
python3 - "$MANIFEST" "$PUBLIC" "$ADMIN" "$TOKEN_FILE" "$RELEASE" "$CDN" "$SITE" <<'EOPY'
import json, sys, urllib.parse
manifest, public, admin, token_file, release, cdn, site = sys.argv[1:8]
m = {k: v["url"] for k, v in json.load(open(manifest)).items()}
def url(base, path):
    if path.startswith("http"):
        path = urllib.parse.urlsplit(path).path
    return base + urllib.parse.quote(urllib.parse.unquote(path))
print()
print("origind is serving release %s (%d files):" % (release, len(m)))
width = max(len(k) for k in m)
for src in sorted(m):
    print("  %-*s  %s" % (width, src, url(public, m[src])))
css = url(public, m["css/app.css"])
print()
print("  public listener (what CloudFront reaches):   %s" % public)
print("  admin listener (what origin-ingest reaches): %s   token in %s" % (admin, token_file))
print("  manifest for your templates:                 %s" % manifest)
print()
print("Open in a browser (the page on its own origin, its assets cross-origin from %s):" % (cdn or public))
print("  %s/" % site)
print()
print("Try:")
print("  curl -I %s" % css)
print("  curl -sI %s/assets/css/app.0000000000000000.css | head -1    # never published: 404, not cached" % public)
if cdn:
    c = url(cdn, m["css/app.css"])
    print()
    print("Through the CDN stand-in (nginx, %s): the first request is a MISS, the next a HIT:" % cdn)
    print("  curl -sI %s | grep -i x-cache" % c)
    print("  curl -sI %s | grep -i x-cache" % c)
else:
    print()
    print("Put nginx in front as a CDN stand-in:  scripts/quickstart.sh --cdn")
print("Stop everything:                       scripts/quickstart.sh --stop")
EOPY
