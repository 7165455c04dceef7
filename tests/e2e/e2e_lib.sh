# tests/e2e/e2e_lib.sh - helpers for the end-to-end tests: free ports and
# unprivileged nginx instances (load balancer, CDN, plain web servers).
# Source after tests/lib.sh.

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
E2E_REPO="$(cd "$E2E_DIR/../.." && pwd)"
NGINX="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
_e2e_nginx_dirs=()

# free_port: a loopback port reserved for this test until it exits (lib.sh's
# reserve_port: outside the ephemeral range, never handed to another test).
free_port() {
    reserve_port
}

# nginx_conf_head DIR: the common top of an nginx.conf that keeps every file in DIR.
nginx_conf_head() {
    local d="$1"
    mkdir -p "$d/tmp" "$d/cache" "$d/logs"
    [ "$(id -u)" -ne 0 ] || echo "user root;"   # workers may write DIR (mode 0700)
    cat <<EOC
daemon off;
pid $d/nginx.pid;
worker_processes 1;
error_log $d/logs/error.log warn;
events { worker_connections 512; }
EOC
}

# nginx_http_common DIR: directives every http{} block here shares.
nginx_http_common() {
    local d="$1"
    cat <<EOC
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    log_format e2e '\$remote_addr "\$request" \$status \$body_bytes_sent up=\$upstream_addr cache=\$upstream_cache_status';
    access_log $d/logs/access.log e2e;
    types {
        text/html html; text/css css; application/javascript js; image/svg+xml svg;
        application/json json; text/plain txt;
    }
    default_type application/octet-stream;
    server_tokens off;
EOC
}

# nginx_start DIR: starts nginx on DIR/nginx.conf (foreground process, backgrounded
# here), waits until it answers. Records DIR for nginx_stop_all.
nginx_start() {
    local d="$1" i
    "$NGINX" -t -q -p "$d" -e "$d/logs/error.log" -c "$d/nginx.conf" || return 1
    "$NGINX" -p "$d" -e "$d/logs/error.log" -c "$d/nginx.conf" 2>>"$d/logs/stderr.log" &
    echo $! >"$d/master.pid"
    _e2e_nginx_dirs+=("$d")
    for i in $(seq 1 100); do
        [ -s "$d/nginx.pid" ] && return 0
        kill -0 "$(cat "$d/master.pid")" 2>/dev/null || { cat "$d/logs/error.log" >&2; return 1; }
        sleep 0.05
    done
    echo "nginx_start: $d did not start" >&2
    return 1
}

# nginx_reload DIR: re-reads DIR/nginx.conf (after it was rewritten) and waits
# until the master runs new workers and every old one is gone (then only the
# new configuration answers), not a fixed time.
nginx_reload() {
    local d="$1" master old new p i gone
    "$NGINX" -t -q -p "$d" -e "$d/logs/error.log" -c "$d/nginx.conf" || return 1
    master="$(cat "$d/master.pid")"
    old=" $(pgrep -P "$master" | tr '\n' ' ')"
    kill -HUP "$master"
    for i in $(seq 1 400); do
        new=0 gone=1
        for p in $(pgrep -P "$master"); do
            case "$old" in *" $p "*) gone=0 ;; *) new=1 ;; esac
        done
        [ "$new" = 1 ] && [ "$gone" = 1 ] && return 0
        sleep 0.025
    done
    echo "nginx_reload: $d: the old workers did not go in 10 s" >&2
    return 1
}

nginx_stop() {
    local d="$1" pid
    pid="$(cat "$d/master.pid" 2>/dev/null)" || return 0
    kill -QUIT "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

nginx_stop_all() {
    local d
    for d in "${_e2e_nginx_dirs[@]}"; do nginx_stop "$d"; done
}

# wait_http URL [SECONDS]: until URL answers at all (any status).
wait_http() {
    local url="$1" n="${2:-10}" i
    for i in $(seq 1 $((n * 10))); do
        curl -s -o /dev/null "$url" && return 0
        sleep 0.1
    done
    return 1
}

# sha256_of FILE
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# json_get FILE KEY: a top-level value of a JSON file.
json_get() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
