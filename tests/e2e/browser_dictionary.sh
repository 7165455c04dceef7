#!/usr/bin/env bash
# browser_dictionary.sh - Chromium uses release 1's script as a dictionary for
# release 2's (RFC 9842 dcz), straight from a node and through nginx as the CDN
# (ctest: e2e_browser_dictionary).
#
# The bundle is real code: Debian's packaged d3, moment and underscore (what
# a vendor chunk holds) plus app code; release 2 changes the app code a
# little, as a release does. Both releases are pushed with origin-ingest
# (--compress br,gzip,zstd, deltas by default); each release's page (plain
# HTML, published under /pages) loads its script and stylesheet. The browser
# half (browser_dictionary.py, over the DevTools protocol) loads release 1,
# then release 2, and shows that the second load sent Available-Dictionary,
# got Content-Encoding: dcz, and how many bytes crossed the wire, against a
# fresh context that gets br. The CDN keys its cache on the path,
# Accept-Encoding and Available-Dictionary (deploy/cloudfront-dictionary.md).
# Fails (never skips) when chromium, nginx or zstd is missing. ~30 s.
set -euo pipefail
export ORIGIND_LIB_NO_TRAP=1
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/e2e_lib.sh"

CHROMIUM="${CHROMIUM:-$(command -v chromium || true)}"
[ -n "$CHROMIUM" ] || fail "chromium not installed (scripts/setup.sh installs it)"
command -v "$NGINX" >/dev/null || fail "nginx not installed (scripts/setup.sh installs it)"
[ -x "$ORIGIND" ] && [ -x "$ORIGIN_INGEST" ] || fail "origind/origin-ingest not built in $ORIGIND_BIN_DIR"

W="$(mktemp -d "${TMPDIR:-/tmp}/origind-dict.XXXXXX")"
cleanup() {
    local rc=$?
    nginx_stop_all
    origind_cleanup
    if [ "$rc" -ne 0 ]; then
        tail -n 20 "$W"/nginx/logs/access.log "$W"/nginx/logs/error.log 2>/dev/null >&2 || true
    fi
    [ -n "${E2E_KEEP:-}" ] && echo "kept $W" >&2 || rm -rf "$W"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export ORIGIN_INGEST_CACHE="$W/cache"

head -c 32 /dev/urandom | base64 | tr -d '\n=+/' >"$W/admin.token"
chmod 600 "$W/admin.token"
origind_start "$W/store" --admin-token-file "$W/admin.token" || fail "node did not start"
PUB="$NODE_PUBLIC" ADM="$NODE_ADMIN"

# build RELEASE: the site's build output (js/app.js, css/app.css) in $W/build-RELEASE
build() {
    local r="$1" out="$W/build-$1"
    mkdir -p "$out/js" "$out/css"
    {
        for f in /usr/share/javascript/d3/d3.min.js /usr/share/javascript/moment/moment.min.js \
            /usr/share/javascript/underscore/underscore-min.js; do
            [ -f "$f" ] && { cat "$f"; echo; }
        done
        # app code (and a vendor stand-in when Debian's libraries are absent)
        python3 - "$r" <<'PY'
import random, sys
r = sys.argv[1]
rnd = random.Random(7)
words = ["state", "render", "props", "value", "index", "items", "handler", "event", "node", "list", "cart", "user"]
for i in range(2500):
    a, b = rnd.choice(words), rnd.choice(words)
    body = f"return {b}.{a} + {rnd.randint(0, 99999)};"
    if r == "r2" and i % 500 == 7:
        body = f"if (!{b}) return null; " + body   # release 2: a few real edits
    print(f"function {a}_{i}({b}) {{ {body} }}")
print(f'window.release = "{r}";')
PY
    } >"$out/js/app.js"
    python3 - "$r" >"$out/css/app.css" <<'PY'
import random, sys
rnd = random.Random(9)
for i in range(1500):
    print(f".c{i} {{ margin: {rnd.randint(0, 40)}px; color: #{rnd.randint(0, 0xffffff):06x}; }}")
if sys.argv[1] == "r2":
    print(".banner { display: block; }")
PY
}
push() { # push RELEASE: the assets, then the page that names them
    local r="$1"
    "$ORIGIN_INGEST" push --node "$ADM" --token-file "$W/admin.token" --release "$r" \
        --compress br,gzip,zstd --manifest-out "$W/m-$r.json" --json "$W/build-$r" >"$W/push-$r.json" \
        2>"$W/push-$r.err" || fail "push $r: $(cat "$W/push-$r.err")"
    mkdir -p "$W/pages-$r"
    python3 - "$W/m-$r.json" "$r" >"$W/pages-$r/$r.html" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print(f'<!doctype html><html><head><meta charset="utf-8"><title>{sys.argv[2]}</title>'
      f'<link rel="icon" href="data:,"><link rel="stylesheet" href="{m["css/app.css"]}"></head>'
      f'<body><script src="{m["js/app.js"]}"></script></body></html>')
PY
    "$ORIGIN_INGEST" push --node "$ADM" --token-file "$W/admin.token" --release "$r-pages" \
        --prefix /pages --keep-names --dict-deltas 0 "$W/pages-$r" >/dev/null 2>"$W/pages-$r.err" ||
        fail "push $r pages: $(cat "$W/pages-$r.err")"
}
build r1
build r2
push r1
push r2
S1="$(json_get "$W/m-r1.json" js/app.js)"
S2="$(json_get "$W/m-r2.json" js/app.js)"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["deltas"]["kept"] >= 1 else 1)' \
    "$W/push-r2.json" || fail "push r2 made no delta: $(cat "$W/push-r2.json")"

# the CDN: nginx caching on path + Accept-Encoding + Available-Dictionary
cdn="$(free_port)"
D="$W/nginx"
mkdir -p "$D"
{
    nginx_conf_head "$D"
    echo "http {"
    nginx_http_common "$D"
    cat <<EOC
    proxy_cache_path $D/cache/d levels=1:2 keys_zone=cdn_d:1m max_size=64m use_temp_path=off;
    server {
        listen 127.0.0.1:$cdn;
        location / {
            proxy_pass $PUB;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache cdn_d;
            proxy_cache_key "\$uri|\$http_accept_encoding|\$http_available_dictionary";
            add_header X-Cache \$upstream_cache_status always;
        }
    }
}
EOC
} >"$D/nginx.conf"
nginx_start "$D" || fail "nginx did not start"
wait_http "http://127.0.0.1:$cdn/healthz" || fail "CDN not answering"

BD_BASES="$PUB http://127.0.0.1:$cdn" BD_SCRIPT1="$S1" BD_SCRIPT2="$S2" \
    BD_SRC1="$W/build-r1/js/app.js" BD_CHROMIUM="$CHROMIUM" PYTHONDONTWRITEBYTECODE=1 \
    python3 "$E2E_DIR/browser_dictionary.py" | tee "$W/browser.out" || fail "browser checks failed"
grep -q "^BD_RESULT " "$W/browser.out" || fail "browser checks failed"
grep -q "\"GET $S2 HTTP/1.1\" 200 [0-9]* up=" "$D/logs/access.log" || fail "the CDN never passed release 2's script"

# for the record: the same script in every encoding, by curl
for ae in identity gzip br zstd; do
    n=$(curl -sS -o /dev/null -w '%{size_download}' -H "Accept-Encoding: $ae" "$PUB$S2")
    printf '%s=%s ' "$ae" "$n"
done >"$W/sizes"
echo "release 2 app.js bytes by encoding: $(cat "$W/sizes")(dcz: see above)"
origind_stop "$NODE_PID" || fail "node did not exit 0"
ok "browser: release 2's script came as dcz against release 1's, from the node and through the CDN"
