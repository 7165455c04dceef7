#!/usr/bin/env bash
# rolling_deploy.sh - the end-to-end proof (ctest: e2e_rolling_deploy).
#
# Reproduces the original failure (../../README.md, "The problem") with real
# parts, then shows origind removes it. The same nginx plays CDN and load
# balancer in both halves: round-robin over the nodes, proxy_cache honouring
# the origin's Cache-Control, cache key = path AND query string (as CloudFront
# with query strings in the key).
#
#   baseline  three plain web servers (nginx) serve app.css?v=N from their own
#             disk with max-age=1 year; a rolling upgrade replaces the files one
#             server at a time while a client reads the HTML through the load
#             balancer and fetches what it names through the CDN. Once the first
#             server renders v2 HTML, the CDN's misses on ?v=2 go round-robin to
#             servers still holding v1: v1 bytes get cached under the v2 URL.
#   origind   three origind nodes; each release goes through deploy/deploy-assets.sh
#             (push to every node, verify, then roll the HTML out server by server);
#             four releases with the client fetching all along, a node restarted
#             mid-run, a node killed during a push (the push fails, the pipeline
#             stops, no HTML names the new URLs), then brought back and the same
#             push re-run. Zero wrong bytes, zero 404s, every old URL still right.
#
# Prints the counts for both. Exit 0 only if the baseline shows the bug and
# origind shows none. Bounded: every wait has a limit; ~1 minute in all.
set -euo pipefail
export ORIGIND_LIB_NO_TRAP=1
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/e2e_lib.sh"

command -v "$NGINX" >/dev/null || { echo "SKIP: nginx not installed (scripts/setup.sh installs it)"; exit 77; }
[ "${1:-all}" = baseline ] || { [ -x "$ORIGIND" ] && [ -x "$ORIGIN_INGEST" ]; } ||
    fail "origind/origin-ingest not built in $ORIGIND_BIN_DIR"

W="$(mktemp -d "${TMPDIR:-/tmp}/origind-e2e.XXXXXX")"
# origin-ingest's compression cache: this run's own, not $HOME/.cache shared
# with the other e2e tests running at the same time
export XDG_CACHE_HOME="$W/cache"
client_pid=""
cleanup() {
    local rc=$?
    [ -z "$client_pid" ] || kill "$client_pid" 2>/dev/null || true
    nginx_stop_all
    origind_cleanup
    if [ "$rc" -ne 0 ] && [ -z "${E2E_KEEP:-}" ]; then
        echo "--- logs (set E2E_KEEP=1 to keep $W)" >&2
        tail -n 5 "$W"/*/logs/error.log 2>/dev/null >&2 || true
    fi
    [ -n "${E2E_KEEP:-}" ] && echo "kept $W" >&2 || rm -rf "$W"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CLIENT="$E2E_DIR/client.py"
say() { echo "e2e: $*"; }

# wait_loops STATS N SECONDS: until the client has done N more page views.
wait_loops() {
    local stats="$1" more="$2" secs="$3" start now i
    start="$(json_get "$stats" loops 2>/dev/null || echo 0)"
    for i in $(seq 1 $((secs * 20))); do
        now="$(json_get "$stats" loops 2>/dev/null || echo 0)"
        [ "$now" -ge $((start + more)) ] && return 0
        sleep 0.05
    done
    echo "e2e: client made no progress ($start -> $now page views in $secs s)" >&2
    return 1
}

# cdn_conf DIR CDN_PORT LB_PORT "ORIGIN_ADDRS" "APP_ADDRS" [SECRET]
# One nginx: the CDN (cached, in front of the origin pool) and the load balancer
# (uncached, in front of the app servers, for the HTML).
cdn_conf() {
    local d="$1" cdn="$2" lb="$3" origins="$4" apps="$5" secret="${6:-}" a
    {
        nginx_conf_head "$d"
        echo "http {"
        nginx_http_common "$d"
        cat <<EOC
    proxy_cache_path $d/cache levels=1:2 keys_zone=cdn:4m max_size=64m inactive=1d use_temp_path=off;
    upstream origin_pool {
EOC
        # no passive failure marking and no retry on another node (below): an
        # ALB does neither, so zero errors during a restart is origind's doing
        for a in $origins; do echo "        server $a max_fails=0;"; done
        cat <<EOC
        keepalive 16;
    }
    upstream app_pool {
EOC
        for a in $apps; do echo "        server $a;"; done
        cat <<EOC
    }
    # The CDN. No proxy_cache_valid: the origin's Cache-Control decides what is
    # kept and for how long (404 with no-store is never kept).
    server {
        listen 127.0.0.1:$cdn;
        location / {
            proxy_pass http://origin_pool;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache cdn;
            proxy_cache_key "\$request_uri";
            proxy_next_upstream off;
            proxy_connect_timeout 2s;
            proxy_read_timeout 10s;
EOC
        [ -z "$secret" ] || echo "            proxy_set_header X-Origin-Verify \"$secret\";"
        cat <<EOC
            add_header X-Cache \$upstream_cache_status always;
            add_header X-Upstream \$upstream_addr always;
        }
    }
    # The load balancer the HTML comes through (never cached).
    server {
        listen 127.0.0.1:$lb;
        location / {
            proxy_pass http://app_pool;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            add_header X-Upstream \$upstream_addr always;
        }
    }
}
EOC
    } >"$d/nginx.conf"
}

# webservers_conf DIR "PORT:ROOT ..." MAXAGE: plain web servers, each serving its
# own directory (what the fleet did before origind).
webservers_conf() {
    local d="$1" pairs="$2" pr
    {
        nginx_conf_head "$d"
        echo "http {"
        nginx_http_common "$d"
        for pr in $pairs; do
            cat <<EOC
    server {
        listen 127.0.0.1:${pr%%:*};
        root ${pr#*:};
        location = /index.html { add_header Cache-Control "no-store"; }
        location / { add_header Cache-Control "public, max-age=31536000"; }
    }
EOC
        done
        echo "}"
    } >"$d/nginx.conf"
}

print_row() {
    local name="$1" s="$2" c="$3"
    printf '%-34s %8s %12s %6s %7s %12s %18s\n' "$name" \
        "$(json_get "$s" fetches)" "$(json_get "$s" wrong)" "$(json_get "$s" not_found)" \
        "$(json_get "$s" errors)" "$(json_get "$s" unpublished)" \
        "$(json_get "$c" wrong)/$(json_get "$c" fetches)"
}

# ---------------------------------------------------------------------------
# Baseline: versioned query strings, files on each server's disk.
# ---------------------------------------------------------------------------
baseline() {
    local B="$W/baseline" i v p
    mkdir -p "$B"
    # Two versions of the site. v2 changes the three assets and adds a badge.
    for v in 1 2; do
        p="$B/v$v"
        mkdir -p "$p/css" "$p/js" "$p/img"
        printf '/* app.css version %d */\nbody { color: #%d%d%d; }\n' "$v" "$v" "$v" "$v" >"$p/css/app.css"
        printf '// app.js version %d\nconsole.log("v%d");\n' "$v" "$v" >"$p/js/app.js"
        printf '<svg xmlns="http://www.w3.org/2000/svg"><text>logo v%d</text></svg>\n' "$v" >"$p/img/logo.svg"
        local refs='<link rel="stylesheet" href="/css/app.css?v=V"><script src="/js/app.js?v=V"></script><img src="/img/logo.svg?v=V">'
        [ "$v" = 1 ] || refs="$refs"'<img src="/img/badge.svg?v=V">'
        [ "$v" = 1 ] || printf '<svg xmlns="http://www.w3.org/2000/svg"><text>new!</text></svg>\n' >"$p/img/badge.svg"
        printf '<!doctype html><meta name="release" content="v%d">%s\n' "$v" "${refs//V/$v}" >"$p/index.html"
    done
    # What each URL must mean: app.css?v=N is version N's bytes.
    map_version() {
        local v="$1" f
        for f in css/app.css js/app.js img/logo.svg img/badge.svg; do
            [ -f "$B/v$v/$f" ] || continue
            echo "/$f?v=$v $(sha256_of "$B/v$v/$f") v$v:$f" >>"$B/truth.map"
        done
    }
    : >"$B/truth.map"
    map_version 1

    local ports=() pairs="" apps=""
    for i in 1 2 3; do
        mkdir -p "$B/web$i"
        cp -a "$B/v1/." "$B/web$i/"
        ports[$i]="$(free_port)"
        pairs="$pairs ${ports[$i]}:$B/web$i"
        apps="$apps 127.0.0.1:${ports[$i]}"
    done
    mkdir -p "$B/servers" "$B/cdn"
    webservers_conf "$B/servers" "$pairs"
    nginx_start "$B/servers" || fail "baseline web servers did not start"
    local cdn lb
    cdn="$(free_port)"
    lb="$(free_port)"
    # The load balancer and the CDN's origin are the same pool of web servers.
    cdn_conf "$B/cdn" "$cdn" "$lb" "$apps" "$apps"
    nginx_start "$B/cdn" || fail "baseline CDN did not start"
    wait_http "http://127.0.0.1:$lb/index.html" || fail "baseline LB not answering"

    python3 "$CLIENT" run --lb "http://127.0.0.1:$lb" --cdn "http://127.0.0.1:$cdn" \
        --map "$B/truth.map" --stats "$B/stats.json" --stop "$B/stop" --max-seconds 60 &
    client_pid=$!
    wait_loops "$B/stats.json" 10 15

    # The rolling deploy, as Capifony + ec2-capify did it: one server at a time.
    map_version 2
    for i in 1 2 3; do
        say "baseline: upgrading web server $i to v2"
        cp -a "$B/v2/css" "$B/v2/js" "$B/v2/img" "$B/web$i/"
        cp "$B/v2/index.html" "$B/web$i/index.html.new"
        mv "$B/web$i/index.html.new" "$B/web$i/index.html"
        wait_loops "$B/stats.json" 15 20
    done
    wait_loops "$B/stats.json" 10 15
    touch "$B/stop"
    wait "$client_pid" || fail "baseline client failed"
    client_pid=""
    # After the deploy: what does the CDN hold for every URL now?
    python3 "$CLIENT" check --cdn "http://127.0.0.1:$cdn" --map "$B/truth.map" --stats "$B/check.json"
    say "baseline: CDN misses served per web server: $(origin_spread "$B/cdn")"
    nginx_stop "$B/cdn"
    nginx_stop "$B/servers"
}

# ---------------------------------------------------------------------------
# origind: hashed URLs, every release on every node before any HTML names it.
# ---------------------------------------------------------------------------

# build_release N DIR: the "asset build" of release N.
build_release() {
    local n="$1" d="$2"
    rm -rf "$d"
    mkdir -p "$d/css" "$d/js" "$d/img" "$d/data" "$d/downloads"
    { printf '/* app.css, release %d */\n' "$n"; for i in $(seq 1 60); do printf '.r%d-c%d { margin: %dpx; }\n' "$n" "$i" "$i"; done; } >"$d/css/app.css"
    { printf '// app.js, release %d\n' "$n"; for i in $(seq 1 40); do printf 'function f%d_%d() { return %d; }\n' "$n" "$i" "$i"; done; } >"$d/js/app.js"
    # Unchanged across releases: uploaded once, named the same every time.
    printf '<svg xmlns="http://www.w3.org/2000/svg"><text>logo</text></svg>\n' >"$d/img/logo.svg"
    printf 'Price list\n' >"$d/downloads/price list.txt"
    # Changes every other release.
    printf '{"menu": %d}\n' $(((n + 1) / 2)) >"$d/data/menu.json"
}

# render_html MANIFEST RELEASE SRC_DIR TRUTH OUT: the application's template:
# every asset URL comes from the manifest. Appends each URL's ground truth to
# TRUTH (from the source bytes, not from origind) before the HTML exists.
render_html() {
    python3 - "$@" <<'EOPY'
import hashlib, json, os, sys, urllib.parse
manifest, release, src, truth, out = sys.argv[1:6]
m = json.load(open(manifest))
def u(rel):
    """The URL as HTML carries it (percent-encoded: one file has a space)."""
    return urllib.parse.quote(urllib.parse.unquote(m[rel]))
with open(truth, "a") as t:
    for rel in sorted(m):
        digest = hashlib.sha256(open(os.path.join(src, rel), "rb").read()).hexdigest()
        t.write("%s %s %s:%s\n" % (u(rel), digest, release, rel))
html = ('<!doctype html><meta name="release" content="%s">'
        '<link rel="stylesheet" href="%s"><script src="%s"></script><img src="%s">'
        '<ul data-src="%s"></ul><a href="%s">prices</a>\n') % (
    release, u("css/app.css"), u("js/app.js"), u("img/logo.svg"), u("data/menu.json"),
    u("downloads/price list.txt"))
with open(out, "w") as f:
    f.write(html)
EOPY
}

origind_half() {
    local O="$W/origind" i
    mkdir -p "$O/build" "$O/manifests"
    head -c 32 /dev/urandom | base64 | tr -d '\n=+/' >"$O/admin.token"
    head -c 32 /dev/urandom | base64 | tr -d '\n=+/' >"$O/origin.secret"
    chmod 600 "$O/admin.token" "$O/origin.secret"
    local node_args=(--admin-token-file "$O/admin.token" --origin-secret-file "$O/origin.secret" --drain-seconds 3)

    # Three nodes, each with its own store.
    declare -g -a PUB ADM PIDS
    for i in 1 2 3; do
        origind_start "$O/store$i" "${node_args[@]}" || fail "node $i did not start"
        PUB[$i]="${NODE_PUBLIC#http://}"
        ADM[$i]="$NODE_ADMIN"
        PIDS[$i]="$NODE_PID"
    done

    # App servers (the HTML), each with its own docroot, start with an empty page.
    local pairs="" apps=""
    for i in 1 2 3; do
        mkdir -p "$O/app$i"
        echo '<!doctype html><meta name="release" content="none">' >"$O/app$i/index.html"
        local p
        p="$(free_port)"
        pairs="$pairs $p:$O/app$i"
        apps="$apps 127.0.0.1:$p"
    done
    mkdir -p "$O/apps" "$O/cdn"
    webservers_conf "$O/apps" "$pairs"
    nginx_start "$O/apps" || fail "app servers did not start"
    local cdn lb
    cdn="$(free_port)"
    lb="$(free_port)"
    secret="$(cat "$O/origin.secret")"
    # the origin pool holds the registered nodes only (IN_POOL[i]=1), as an
    # ALB target group: a node is deregistered when its /healthz says 503
    # (SIGTERM), registered again once it says 200
    local -a IN_POOL=([1]=1 [2]=1 [3]=1)
    write_cdn() {
        local i pool=""
        for i in 1 2 3; do [ "${IN_POOL[$i]}" = 1 ] && pool="$pool ${PUB[$i]}"; done
        cdn_conf "$O/cdn" "$cdn" "$lb" "$pool" "$apps" "$secret"
    }
    set_pool() { # set_pool I 0|1: deregister / register node I
        IN_POOL[$1]=$2
        write_cdn
        nginx_reload "$O/cdn" || fail "nginx reload"
    }
    write_cdn
    nginx_start "$O/cdn" || fail "origind CDN did not start"
    wait_http "http://127.0.0.1:$lb/index.html" || fail "LB not answering"

    : >"$O/truth.map"
    python3 "$CLIENT" run --lb "http://127.0.0.1:$lb" --cdn "http://127.0.0.1:$cdn" \
        --map "$O/truth.map" --stats "$O/stats.json" --stop "$O/stop" --max-seconds 150 &
    client_pid=$!
    wait_loops "$O/stats.json" 5 15

    # The HTML deploy: a rolling one, server by server, as before. It is safe
    # now because every URL it names is already on every node.
    export O
    export -f render_html build_release
    # shellcheck disable=SC2016 # expanded by deploy-assets.sh's bash -c
    local html_cmd='render_html "$ORIGIN_MANIFEST" "$ORIGIN_RELEASE" "$ASSET_DIR" "$O/truth.map" "$O/page.html" &&
        touch "$O/html-deployed-$ORIGIN_RELEASE" &&
        for i in 1 2 3; do cp "$O/page.html" "$O/app$i/index.html.new"; mv "$O/app$i/index.html.new" "$O/app$i/index.html"; sleep 0.3; done'

    # pipeline N: deploy/deploy-assets.sh for release N; prints its exit status.
    pipeline() {
        local n="$1" rc=0
        ORIGIN_NODES="${ADM[1]} ${ADM[2]} ${ADM[3]}" ORIGIN_TOKEN_FILE="$O/admin.token" \
        ORIGIN_INGEST="$ORIGIN_INGEST" ASSET_DIR="$O/build/r$n" \
        ASSET_BUILD_CMD="build_release $n $O/build/r$n" HTML_DEPLOY_CMD="$html_cmd" \
        RELEASE_ID="e2e-r$n" MANIFEST_OUT="$O/manifests/r$n.json" \
            "$E2E_REPO/deploy/deploy-assets.sh" >"$O/pipeline-r$n.log" 2>&1 || rc=$?
        echo "$rc"
    }
    restart_node() {   # restart_node I: same store, same ports
        local i="$1" pub="${PUB[$1]}" adm="${ADM[$1]#http://}"
        origind_start "$O/store$i" "${node_args[@]}" --listen "$pub" --admin-listen "$adm" ||
            fail "node $i did not restart"
        PIDS[$i]="$NODE_PID"
        # (it may come back on other ports: registered as it is, as an ASG would)
        PUB[$i]="${NODE_PUBLIC#http://}"
        ADM[$i]="$NODE_ADMIN"
        for _ in $(seq 1 100); do
            curl -sf -o /dev/null "http://${PUB[$i]}/healthz" && break
            sleep 0.1
        done
        curl -sf -o /dev/null "http://${PUB[$i]}/healthz" || fail "node $i never healthy after its restart"
        set_pool "$i" 1
    }

    local rc
    for n in 1 2; do
        rc="$(pipeline $n)"
        [ "$rc" = 0 ] || { cat "$O/pipeline-r$n.log" >&2; fail "release $n: pipeline exit $rc"; }
        say "origind: release $n pushed to 3 nodes, verified, HTML rolled out"
        wait_loops "$O/stats.json" 10 20
    done

    # A node restarted during the run (SIGTERM: drain, exit 0; then back).
    say "origind: restarting node 2 while the client fetches"
    # SIGTERM: /healthz 503 at once; the load balancer's health check sees it and
    # deregisters the node while it still serves (--drain-seconds 3); then it exits 0
    kill -TERM "${PIDS[2]}"
    for _ in $(seq 1 40); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "http://${PUB[2]}/healthz")" = 503 ] && break
        sleep 0.05
    done
    set_pool 2 0
    local rc2=0
    wait "${PIDS[2]}" || rc2=$?
    [ "$rc2" = 0 ] || fail "node 2 did not exit 0 after SIGTERM (exit $rc2)"
    wait_loops "$O/stats.json" 5 20
    restart_node 2
    wait_loops "$O/stats.json" 5 20

    # A node down during a push: the push must fail and the HTML must not move.
    say "origind: node 3 killed (-9); pushing release 3 must fail"
    # taken out of the pool first: an ALB would keep sending to a dead target
    # until its health checks fail, and those errors would be the LB's, not
    # origind's; this phase is about the push
    set_pool 3 0
    origind_kill "${PIDS[3]}"
    rc="$(pipeline 3)"
    [ "$rc" != 0 ] || fail "release 3 pushed with node 3 down: pipeline exit 0"
    [ ! -e "$O/html-deployed-e2e-r3" ] || fail "HTML deployed although the push failed"
    [ ! -e "$O/manifests/r3.json" ] || fail "manifest written although the push failed"
    grep -q '<meta name="release" content="e2e-r2">' "$O/app1/index.html" || fail "HTML changed after a failed push"
    say "origind: pipeline stopped with exit $rc; HTML still names release 2 only"
    sed 's/^/    | /' "$O/pipeline-r3.log" | tail -n 6
    wait_loops "$O/stats.json" 5 20

    # Node 3 back (same store): the same pipeline, re-run, now succeeds.
    restart_node 3
    rc="$(pipeline 3)"
    [ "$rc" = 0 ] || { cat "$O/pipeline-r3.log" >&2; fail "release 3 re-run: pipeline exit $rc"; }
    say "origind: node 3 back; release 3 re-run: pushed, verified, HTML rolled out"
    wait_loops "$O/stats.json" 10 20

    rc="$(pipeline 4)"
    [ "$rc" = 0 ] || { cat "$O/pipeline-r4.log" >&2; fail "release 4: pipeline exit $rc"; }
    say "origind: release 4 pushed, verified, HTML rolled out"
    wait_loops "$O/stats.json" 10 20

    touch "$O/stop"
    wait "$client_pid" || fail "origind client failed"
    client_pid=""

    # Old URLs still right: every URL of every release, through the CDN ...
    python3 "$CLIENT" check --cdn "http://127.0.0.1:$cdn" --map "$O/truth.map" --stats "$O/check.json"
    # ... and straight from every node (no cache in between); without
    # CloudFront's secret header a node refuses.
    local any_url
    any_url="$(head -n 1 "$O/truth.map" | cut -d' ' -f1)"
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://${PUB[1]}$any_url")" = 403 ] ||
        fail "a node served $any_url without X-Origin-Verify"
    for i in 1 2 3; do
        python3 "$CLIENT" check --cdn "http://${PUB[$i]}" --map "$O/truth.map" \
            --stats "$O/check-node$i.json" --header "X-Origin-Verify: $secret"
        [ "$(json_get "$O/check-node$i.json" wrong)" = 0 ] && [ "$(json_get "$O/check-node$i.json" not_found)" = 0 ] &&
            [ "$(json_get "$O/check-node$i.json" errors)" = 0 ] || {
            cat "$O/check-node$i.json" >&2
            fail "node $i does not serve every published URL byte-for-byte"
        }
    done
    say "origind: CDN misses served per node: $(origin_spread "$O/cdn")"
    for i in 1 2 3; do
        origind_stop "${PIDS[$i]}" || fail "node $i did not exit 0 on SIGTERM"
    done
    nginx_stop "$O/cdn"
    nginx_stop "$O/apps"
}

# origin_spread DIR: how many upstream responses each backend gave the CDN.
origin_spread() {
    awk '$0 ~ /cache=(MISS|EXPIRED)$/ { for (i = 1; i <= NF; i++) if ($i ~ /^up=127/) { sub(/^up=/, "", $i); sub(/,.*/, "", $i); n[$i]++ } }
         END { for (k in n) printf "%s=%d ", k, n[k] }' "$1/logs/access.log"
}

only="${1:-all}"
[ "$only" = origind ] || baseline
[ "$only" = baseline ] || origind_half

# ---------------------------------------------------------------------------
echo
echo "== the same CDN (query string in the cache key), the same round-robin, clients fetching throughout"
printf '%-34s %8s %12s %6s %7s %12s %18s\n' "" fetches "wrong-bytes" 404s errors unpublished "CDN-wrong-after"
[ "$only" = origind ] || print_row "baseline: files on each disk" "$W/baseline/stats.json" "$W/baseline/check.json"
[ "$only" = baseline ] || print_row "origind: 3 nodes, 4 releases" "$W/origind/stats.json" "$W/origind/check.json"
echo "(CDN-wrong-after: after the deploys, URLs whose cached bytes are wrong / URLs checked)"
echo

status=0
if [ "$only" != origind ]; then
    s="$W/baseline/stats.json"
    if [ "$(json_get "$s" wrong)" -gt 0 ] && [ "$(json_get "$W/baseline/check.json" wrong)" -gt 0 ]; then
        ok "baseline reproduces the bug: v1 bytes cached under ?v=2"
        python3 - "$s" "$W/baseline/check.json" <<'EOPY'
import json, sys
run, after = (json.load(open(p))["samples"] for p in sys.argv[1:3])
for x in [x for x in run if "?v=2:" in x and "v1:" in x][:2]:
    print("    during the deploy: " + x)
for x in after[:1]:
    print("    after the deploy:  " + x)
EOPY
    else
        echo "FAIL: the baseline did not show the bug" >&2; cat "$s" >&2; status=1
    fi
fi
if [ "$only" != baseline ]; then
    s="$W/origind/stats.json"
    c="$W/origind/check.json"
    bad=0
    for k in wrong not_found errors unpublished html_errors; do
        [ "$(json_get "$s" $k)" = 0 ] || { echo "FAIL: origind: $k = $(json_get "$s" $k)" >&2; bad=1; }
    done
    for k in wrong not_found errors; do
        [ "$(json_get "$c" $k)" = 0 ] || { echo "FAIL: origind after deploys: $k = $(json_get "$c" $k)" >&2; bad=1; }
    done
    seen="$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["versions_seen"]))' "$s")"
    case "$seen" in *e2e-r4*) ;; *) echo "FAIL: the client never saw release 4 (saw: $seen)" >&2; bad=1 ;; esac
    if [ "$bad" = 0 ]; then
        ok "origind: zero wrong bytes, zero 404s, every old URL still right (releases seen: $seen)"
    else
        cat "$s" >&2; status=1
    fi
fi
exit $status
