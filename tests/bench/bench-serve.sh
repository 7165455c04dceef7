#!/usr/bin/env bash
# bench-serve.sh - origind vs nginx and h2o serving the same files, and origind's memory.
#
#   tests/bench/bench-serve.sh [--record]     (not part of ctest: run it on purpose, alone)
#
# One command, from a clean clone: builds build/ if needed, generates deterministic assets
# (2 KiB, 100 KiB, 10 MiB; a compressible text/css one and a binary image/png one of each
# size), pushes them into a fresh origind store with the real
# `origin-ingest push --keep-names --compress none` (falls back to the admin API with curl
# if origin-ingest is not built), writes the same bytes under an nginx root, and then for
# every case runs wrk against origind (A), nginx (B) and h2o (C), alternated A B C A B C for
# BENCH_ROUNDS rounds:
#   server (origind serve --threads 1, nginx with one worker, h2o with one thread) pinned to core 0,
#   wrk pinned to core 1: taskset -c 1 wrk -t1 -c64 -d${BENCH_SECONDS}s --latency
#   keep-alive mode: 64 persistent connections
#   close mode:      -H 'Connection: close' (a new connection per request)
#   head mode:       HEAD on 64 persistent connections, with ApacheBench (wrk cannot read a
#                    HEAD answer): taskset -c 1 ab -q -i -k -c64 -t${BENCH_SECONDS} URL
# and prints per case the medians of requests/s, MB/s, p50, p99, the total socket errors
# (connect/read/write/timeout) and non-2xx answers, and the ratios origind/nginx and
# origind/h2o.
# Memory: origind's VmRSS (anon and file-backed separately: pages of the LMDB map that were
# served count as RssFile) idle after start, sampled during every load run, VmHWM at the end,
# and idle again after the load; nginx's worker for reference.
#
# nginx: worker_processes 1, sendfile on, tcp_nopush on, open_file_cache, access_log off,
# keepalive_requests 10000000, the same Cache-Control origind sends, on a free loopback port,
# started as `taskset -c 0 nginx -p DIR -c DIR/nginx.conf -g 'daemon off;'`.
# h2o: num-threads 1, file.dir on the same root, the same Cache-Control, no access log,
# started as `taskset -c 0 h2o -c DIR/h2o.conf` (BENCH_H2O=0 leaves it out).
#
# origind answers bodies under 64 KiB from the LMDB memory map and larger ones with sendfile
# from the store's data file (both zero copy in user space; RESULTS.md has the comparison
# that chose the threshold).
#
# --record  writes the figures into the "## Serving" and "## Memory" sections of
#           tests/bench/RESULTS.md, between "bench-serve.sh --record" markers (notes around the
#           markers and other sections are left alone; the file is created if absent).
# Env:
#   BENCH_SECONDS  wrk duration per run (10)         BENCH_ROUNDS  rounds A B (3)
#   BENCH_CONNS    wrk connections (64)              BENCH_WARMUP  seconds of warm-up per case (2)
#   BENCH_SIZES    "2k 100k 10m"                     BENCH_KINDS   "css png"
#   BENCH_MODES    "keepalive close head"
#   ORIGIND_ARGS   extra `origind serve` flags (e.g. "--sendfile-min 0")
#   BENCH_SERVER_CPU (0) BENCH_CLIENT_CPU (1)        BENCH_DIR  work dir (default: mktemp in /var/tmp)
#   ORIGIND_BIN_DIR  use these binaries (default: build/bin, built with cmake if needed)
#   BENCH_KEEP=1   keep the work dir (stores, nginx conf, raw wrk output)
#   BENCH_TLS=1    every server speaks HTTPS with the same ECDSA P-256 certificate (made
#                  here by tests/lib.sh), TLS 1.2 and 1.3, session resumption off for all
#                  (nginx: ssl_session_cache off, ssl_session_tickets off; h2o:
#                  ssl-session-resumption mode off; origind/GnuTLS resumes nothing by
#                  default); wrk speaks TLS (it does not verify). HEAD mode is left out (ab).
#                  tests/bench/bench-tls.sh runs this with the TLS sizes and modes.
# Quick run while developing: BENCH_SECONDS=3 BENCH_ROUNDS=1 tests/bench/bench-serve.sh
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
RECORD=0
for a in "$@"; do
    case "$a" in
    --record) RECORD=1 ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "bench-serve: unknown argument $a (try --help)" >&2
        exit 2
        ;;
    esac
done

SECONDS_PER_RUN="${BENCH_SECONDS:-10}"
ROUNDS="${BENCH_ROUNDS:-3}"
CONNS="${BENCH_CONNS:-64}"
WARMUP="${BENCH_WARMUP:-2}"
SIZES="${BENCH_SIZES:-2k 100k 10m}"
KINDS="${BENCH_KINDS:-css png}"
MODES="${BENCH_MODES:-keepalive close head}"
TLS="${BENCH_TLS:-0}"
if [ "$TLS" = 1 ]; then MODES="${MODES//head/}"; fi
# wrk's HEAD would wait for a body: HEAD goes through ab
H2O="${BENCH_H2O:-1}"
SCPU="${BENCH_SERVER_CPU:-0}"
CCPU="${BENCH_CLIENT_CPU:-1}"

need() { command -v "$1" >/dev/null 2>&1 || { echo "bench-serve: $1 not found (scripts/setup.sh installs it)" >&2; exit 1; }; }
for t in wrk nginx taskset curl python3 cmake sha256sum; do need "$t"; done
[ "$H2O" = 0 ] || need h2o
case " $MODES " in *" head "*) need ab ;; esac

# ---------------------------------------------------------------- build
if [ -z "${ORIGIND_BIN_DIR:-}" ]; then
    ORIGIND_BIN_DIR="$REPO/build/bin"
    if [ ! -f "$REPO/build/CMakeCache.txt" ]; then
        echo "== configuring build/ (cmake -S . -B build)"
        cmake -S "$REPO" -B "$REPO/build" >/dev/null
    fi
    echo "== building origind and origin-ingest (cmake --build build)"
    cmake --build "$REPO/build" -j"$(nproc)" --target origind origin-ingest >/dev/null
fi
export ORIGIND_BIN_DIR
export ORIGIND_LIB_NO_TRAP=1
. "$REPO/tests/lib.sh"
[ -x "$ORIGIND" ] || { echo "bench-serve: $ORIGIND not built" >&2; exit 1; }

# ---------------------------------------------------------------- work dir, cleanup
if [ -n "${BENCH_DIR:-}" ]; then
    B="$BENCH_DIR"
    rm -rf "$B"
    mkdir -p "$B"
else
    B="$(mktemp -d /var/tmp/origind-bench-serve.XXXXXX)"
fi
chmod 755 "$B"
NGINX_PID=""
H2O_PID=""
cleanup() {
    if [ -n "$H2O_PID" ]; then
        kill -TERM "$H2O_PID" 2>/dev/null || true
        wait "$H2O_PID" 2>/dev/null || true
    fi
    if [ -n "$NGINX_PID" ]; then
        kill -QUIT "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
    fi
    [ -n "${OD_PID:-}" ] && origind_stop "$OD_PID" >/dev/null 2>&1
    origind_cleanup
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench-serve: kept $B"; else rm -rf "$B"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ---------------------------------------------------------------- assets
SITE="$B/site"
WWW="$B/www"
mkdir -p "$SITE" "$WWW/assets"
python3 - "$SITE" <<'PY'
import os, random, sys
root = sys.argv[1]
sizes = {"2k": 2048, "100k": 100 * 1024, "1m": 1024 * 1024, "10m": 10 * 1024 * 1024}
for tag, n in sizes.items():
    rnd = random.Random("origind-bench-" + tag)
    # text/css-like, compressible: rules built from a small vocabulary
    words = ["color", "margin", "padding", "display", "flex", "grid", "border", "font-size",
             "line-height", "background", "transition", "opacity", "z-index", "position"]
    out, ln, i = [], 0, 0
    while ln < n:
        rule = ".c%d-%s{%s:%dpx;%s:#%06x}\n" % (i, rnd.choice(words), rnd.choice(words),
                                                rnd.randint(0, 999), rnd.choice(words),
                                                rnd.randint(0, 0xffffff))
        out.append(rule); ln += len(rule); i += 1
    with open(os.path.join(root, "bench-%s.css" % tag), "wb") as f:
        f.write("".join(out).encode()[:n])
    # binary, incompressible: an image type (no Vary, never a variant)
    with open(os.path.join(root, "bench-%s.png" % tag), "wb") as f:
        f.write(rnd.randbytes(n))
PY
cp "$SITE"/* "$WWW/assets/"

# ---------------------------------------------------------------- TLS (BENCH_TLS=1)
OD_TLS=()
NG_LISTEN_SSL=""
NG_SSL=""
H2_SSL=""
SCHEME=http
CURL_TLS=()
if [ "$TLS" = 1 ]; then
    tls_make_certs "$B/certs"
    SCHEME=https
    CURL_TLS=(--cacert "$B/certs/ca.pem")
    OD_TLS=(--tls-cert "$B/certs/server.pem" --tls-key "$B/certs/server.key")
    NG_LISTEN_SSL=" ssl"
    NG_SSL="ssl_certificate $B/certs/server.pem; ssl_certificate_key $B/certs/server.key;
        ssl_protocols TLSv1.2 TLSv1.3; ssl_session_cache off; ssl_session_tickets off;"
    H2_SSL="  ssl:
    certificate-file: $B/certs/server.pem
    key-file: $B/certs/server.key
    minimum-version: TLSv1.2
ssl-session-resumption:
  mode: off"
fi
curl() { command curl "${CURL_TLS[@]}" "$@"; }

# ---------------------------------------------------------------- origind
STORE="$B/store"
# shellcheck disable=SC2086 # ORIGIND_ARGS is a list of flags
origind_start "$STORE" --threads 1 --log-level warn --drain-seconds 0 "${OD_TLS[@]}" ${ORIGIND_ARGS:-}
OD_PID="$NODE_PID"
OD_URL="$NODE_PUBLIC"
taskset -a -cp "$SCPU" "$OD_PID" >/dev/null # every thread (admin threads inherit it)
status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
mem_line() { # PID -> "rss anon file hwm" in kB
    echo "$(status_kb "$1" VmRSS) $(status_kb "$1" RssAnon) $(status_kb "$1" RssFile) $(status_kb "$1" VmHWM)"
}
OD_IDLE_BOOT="$(mem_line "$OD_PID")"
if [ -x "$ORIGIN_INGEST" ]; then
    PUSH_CMD="origin-ingest push --node ADMIN --token-file TOKEN --release bench-serve --prefix /assets --keep-names --compress none --cache-dir none --quiet SITE"
    "$ORIGIN_INGEST" push --node "$NODE_ADMIN" --token-file "$NODE_TOKEN_FILE" \
        --release bench-serve --prefix /assets --keep-names --compress none \
        --cache-dir none --quiet "$SITE"
else
    PUSH_CMD="curl PUT /v1/blobs/<sha256> per file, then PUT /v1/releases/bench-serve (origin-ingest not built)"
    files_json=""
    for f in "$SITE"/*; do
        n="$(basename "$f")"
        h="$(sha256sum "$f" | cut -d' ' -f1)"
        admin_curl -f -o /dev/null -X PUT --data-binary @"$f" "$NODE_ADMIN/v1/blobs/$h"
        case "$n" in *.css) ty="text/css; charset=utf-8" ;; *) ty="image/png" ;; esac
        files_json="$files_json${files_json:+,}{\"path\":\"/assets/$n\",\"sha256\":\"$h\",\"type\":\"$ty\"}"
    done
    admin_curl -f -o /dev/null -X PUT -H 'Content-Type: application/json' \
        --data "{\"files\":[$files_json]}" "$NODE_ADMIN/v1/releases/bench-serve"
fi

# ---------------------------------------------------------------- nginx
NG="$B/nginx"
mkdir -p "$NG/tmp" "$NG/logs"
NG_PORT="$(free_port)"
MIME=/etc/nginx/mime.types
[ -f "$MIME" ] || MIME=""
cat >"$NG/nginx.conf" <<EOF
worker_processes 1;
pid $NG/nginx.pid;
error_log $NG/logs/error.log warn;
$( [ "$(id -u)" = 0 ] && echo "user root;" )
events { worker_connections 4096; }
http {
    $( [ -n "$MIME" ] && echo "include $MIME;" || echo "types { text/css css; image/png png; }")
    charset utf-8;
    charset_types text/css;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    open_file_cache max=1000 inactive=60s;
    open_file_cache_valid 60s;
    open_file_cache_errors on;
    keepalive_requests 10000000;
    keepalive_timeout 75s;
    client_body_temp_path $NG/tmp/body;
    proxy_temp_path $NG/tmp/proxy;
    fastcgi_temp_path $NG/tmp/fastcgi;
    uwsgi_temp_path $NG/tmp/uwsgi;
    scgi_temp_path $NG/tmp/scgi;
    server {
        listen 127.0.0.1:$NG_PORT$NG_LISTEN_SSL;
        $NG_SSL
        root $WWW;
        location / {
            add_header Cache-Control "public, max-age=31536000, immutable";
        }
    }
}
EOF
taskset -c "$SCPU" nginx -p "$NG" -c "$NG/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
NG_URL="$SCHEME://127.0.0.1:$NG_PORT"
for i in $(seq 1 100); do
    curl -fsS -o /dev/null "$NG_URL/assets/bench-2k.css" 2>/dev/null && break
    kill -0 "$NGINX_PID" 2>/dev/null || { cat "$NG/logs/error.log" >&2; echo "bench-serve: nginx failed" >&2; exit 1; }
    sleep 0.05
done
NG_WORKER="$(pgrep -P "$NGINX_PID" | head -1)"

# ---------------------------------------------------------------- h2o
SERVERS="origind nginx"
H2_URL=""
if [ "$H2O" != 0 ]; then
    H2="$B/h2o"
    mkdir -p "$H2"
    H2_PORT="$(free_port)"
    cat >"$H2/h2o.conf" <<EOF
num-threads: 1
$( [ "$(id -u)" = 0 ] && echo "user: root" )
pid-file: $H2/h2o.pid
error-log: $H2/error.log
listen:
  host: 127.0.0.1
  port: $H2_PORT
$H2_SSL
hosts:
  default:
    paths:
      /:
        file.dir: $WWW
        header.add: "Cache-Control: public, max-age=31536000, immutable"
EOF
    taskset -c "$SCPU" h2o -c "$H2/h2o.conf" >"$H2/stdout.log" 2>&1 &
    H2O_PID=$!
    H2_URL="$SCHEME://127.0.0.1:$H2_PORT"
    for _ in $(seq 1 100); do
        curl -fsS -o /dev/null "$H2_URL/assets/bench-2k.css" 2>/dev/null && break
        kill -0 "$H2O_PID" 2>/dev/null || { cat "$H2/error.log" "$H2/stdout.log" >&2; echo "bench-serve: h2o failed" >&2; exit 1; }
        sleep 0.05
    done
    SERVERS="origind nginx h2o"
fi
server_url() { case "$1" in origind) echo "$OD_URL" ;; nginx) echo "$NG_URL" ;; h2o) echo "$H2_URL" ;; esac; }
server_pid() { case "$1" in origind) echo "$OD_PID" ;; nginx) echo "$NG_WORKER" ;; h2o) echo "$H2O_PID" ;; esac; }

# ---------------------------------------------------------------- check both serve the same bytes
for f in "$SITE"/*; do
    n="$(basename "$f")"
    want="$(sha256sum <"$f" | cut -d' ' -f1)"
    for u in "$OD_URL" "$NG_URL" $H2_URL; do
        got="$(curl -fsS "$u/assets/$n" | sha256sum | cut -d' ' -f1)"
        [ "$got" = "$want" ] || { echo "bench-serve: $u/assets/$n: wrong bytes" >&2; exit 1; }
    done
done
# keep-alive really kept by both (a plain GET must not get Connection: close)
for u in "$OD_URL" "$NG_URL" $H2_URL; do
    n_conn="$(curl -sS -o /dev/null -o /dev/null -w '%{num_connects}\n' \
        "$u/assets/bench-2k.css" "$u/assets/bench-2k.png" | awk '{ s += $1 } END { print s }')"
    [ "$n_conn" = 1 ] || echo "bench-serve: WARNING: $u did not keep the connection alive" >&2
done
echo "== both servers answer the same bytes for $(ls "$SITE" | wc -l) files"
curl -sS -D - -o /dev/null "$OD_URL/assets/bench-2k.css" | tr -d '\r' | sed 's/^/   origind: /'
curl -sS -D - -o /dev/null "$NG_URL/assets/bench-2k.css" | tr -d '\r' | sed 's/^/   nginx:   /'
[ -z "$H2_URL" ] || curl -sS -D - -o /dev/null "$H2_URL/assets/bench-2k.css" | tr -d '\r' | sed 's/^/   h2o:     /'

# ---------------------------------------------------------------- memory helpers
OD_IDLE_START="$(mem_line "$OD_PID")"
NG_IDLE_START="$(mem_line "$NG_WORKER")"
H2_IDLE_START=""
[ -z "$H2_URL" ] || H2_IDLE_START="$(mem_line "$H2O_PID")"

# ---------------------------------------------------------------- wrk
LUA="$B/report.lua"
cat >"$LUA" <<'EOF'
done = function(summary, latency, requests)
   local e = summary.errors
   io.write(string.format("BENCH requests=%d bytes=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
      summary.requests, summary.bytes, summary.duration,
      latency:percentile(50), latency:percentile(99), latency.max,
      e.connect, e.read, e.write, e.status, e.timeout))
end
EOF
{ echo 'wrk.method = "HEAD"'; cat "$LUA"; } >"$B/head.lua"
WRK_CMD="taskset -c $CCPU wrk -t1 -c$CONNS -d${SECONDS_PER_RUN}s --latency -s report.lua [-H 'Connection: close'] URL"
RAW="$B/raw"
mkdir -p "$RAW"
RESULTS="$B/results.tsv" # server case round req/s MB/s p50_ms p99_ms sockerr timeouts non2xx rss_kb anon_kb file_kb cpu_us/req cpu%
: >"$RESULTS"

CLK_TCK="$(getconf CLK_TCK)"
# cpu_ticks PID -> utime+stime of the whole process (every thread), in clock ticks
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

# run_wrk SERVER CASE ROUND URL MODE SECONDS -> appends to $RESULTS (ROUND 0: warm-up, not kept)
run_wrk() {
    local server="$1" cas="$2" round="$3" url="$4" mode="$5" secs="$6" out pid samp hdr=() lua="$LUA"
    [ "$mode" = close ] && hdr=(-H 'Connection: close')
    [ "$mode" = head ] && lua="$B/head.lua"
    out="$RAW/$server.$cas.$round.txt"
    pid="$(server_pid "$server")"
    local t0 t1
    t0="$(cpu_ticks "$pid")"
    if [ "$mode" = head ]; then
        taskset -c "$CCPU" ab -q -i -k -c "$CONNS" -t "$secs" -n 100000000 "$url" >"$out" 2>&1 &
    else
        taskset -c "$CCPU" wrk -t1 -c"$CONNS" -d"${secs}s" --latency -s "$lua" "${hdr[@]}" "$url" >"$out" 2>&1 &
    fi
    local wpid=$!
    # sample the server's memory in the middle of the run
    sleep "$(awk -v s="$secs" 'BEGIN { print s / 2 }')"
    samp="$(mem_line "$pid")"
    wait "$wpid" || { echo "bench-serve: wrk failed:" >&2; cat "$out" >&2; return 1; }
    t1="$(cpu_ticks "$pid")"
    [ "$round" = 0 ] && return 0
    python3 - "$out" "$server" "$cas" "$round" "$samp" "$((t1 - t0))" "$CLK_TCK" >>"$RESULTS" <<'PY'
import re, sys
out, server, cas, rnd, samp, ticks, hz = sys.argv[1:8]
text = open(out).read()
m = re.search(r"^BENCH (.*)$", text, re.M)
if m:
    v = {k: int(x) for k, x in (kv.split("=") for kv in m.group(1).split())}
    non2xx = 0
    n = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if n:
        non2xx = int(n.group(1))
else:  # ApacheBench (head mode): percentiles in whole ms
    def num(rx, default=None):
        g = re.search(rx, text, re.M)
        if g is None:
            if default is None:
                sys.exit("no BENCH line and no ab summary in " + out)
            return default
        return float(g.group(1))
    v = {"requests": int(num(r"^Complete requests:\s+(\d+)")),
         "bytes": 0, "duration_us": int(num(r"^Time taken for tests:\s+([\d.]+)") * 1e6),
         "p50_us": int(num(r"^\s+50%\s+(\d+)") * 1000), "p99_us": int(num(r"^\s+99%\s+(\d+)") * 1000),
         "connect": 0, "read": 0, "write": 0, "timeout": 0,
         "status": 0}
    v["read"] = int(num(r"^Failed requests:\s+(\d+)", 0))
    non2xx = int(num(r"^Non-2xx responses:\s+(\d+)", 0))
secs = v["duration_us"] / 1e6
rss, anon, fil, hwm = samp.split()
print("\t".join(str(x) for x in (
    server, cas, rnd, "%.1f" % (v["requests"] / secs), "%.1f" % (v["bytes"] / secs / 1e6),
    "%.3f" % (v["p50_us"] / 1e3), "%.3f" % (v["p99_us"] / 1e3),
    v["connect"] + v["read"] + v["write"] + v["timeout"], v["timeout"], non2xx,
    rss, anon, fil,
    # server CPU (user+sys, all threads) per request, and its share of its core
    "%.2f" % (int(ticks) / int(hz) * 1e6 / max(v["requests"], 1)),
    "%.0f" % (100.0 * int(ticks) / int(hz) / secs))))
PY
}

CASES=()
for s in $SIZES; do for k in $KINDS; do for m in $MODES; do CASES+=("$s.$k.$m"); done; done; done

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
T0=$(date +%s)
echo "== ${#CASES[@]} cases x $ROUNDS rounds x $(echo "$SERVERS" | wc -w) servers x ${SECONDS_PER_RUN}s (+${WARMUP}s warm-up per case); load average $LOAD_BEFORE"
for cas in "${CASES[@]}"; do
    IFS=. read -r s k m <<<"$cas"
    path="/assets/bench-$s.$k"
    if [ "$WARMUP" != 0 ]; then
        for sv in $SERVERS; do run_wrk "$sv" "$cas" 0 "$(server_url "$sv")$path" "$m" "$WARMUP"; done
    fi
    for r in $(seq 1 "$ROUNDS"); do
        for sv in $SERVERS; do run_wrk "$sv" "$cas" "$r" "$(server_url "$sv")$path" "$m" "$SECONDS_PER_RUN"; done
    done
    echo "   $cas done ($(($(date +%s) - T0)) s)"
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
sleep 1
OD_IDLE_END="$(mem_line "$OD_PID")"
NG_IDLE_END="$(mem_line "$NG_WORKER")"
H2_IDLE_END=""
[ -z "$H2_URL" ] || H2_IDLE_END="$(mem_line "$H2O_PID")"
OD_ALIVE=yes
kill -0 "$OD_PID" 2>/dev/null || OD_ALIVE=no

# ---------------------------------------------------------------- report
REPORT="$B/report.md"
HOST_NOTE="$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')),"
HOST_NOTE="$HOST_NOTE $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo), Linux $(uname -r)"
VERS="origind $("$ORIGIND" --version 2>&1 | head -1 | awk '{print $NF}') ($(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')), $(nginx -v 2>&1 | sed 's/.*: //'), $(h2o --version 2>/dev/null | head -1 | sed 's/ version / /'), $(wrk -v 2>&1 | head -1 | awk '{print "wrk " $2}'), libmicrohttpd $(pkg-config --modversion libmicrohttpd 2>/dev/null || echo '?'), LMDB $(pkg-config --modversion lmdb 2>/dev/null || echo '?')"
python3 - "$RESULTS" "$REPORT" "$SERVERS" <<PY
import statistics, sys
from collections import defaultdict
res, rep, servers = sys.argv[1], sys.argv[2], sys.argv[3].split()
rows = defaultdict(list)
for line in open(res):
    f = line.rstrip("\n").split("\t")
    rows[(f[0], f[1])].append(f)
cases = """${CASES[*]}""".split()
def med(lst, i):
    return statistics.median(float(r[i]) for r in lst)
def tot(lst, i):
    return sum(int(r[i]) for r in lst)
peers = [p for p in servers if p != "origind"]
out = []
out.append("| case | server | req/s | MB/s | p50 ms | p99 ms | sock err (timeouts) | non-2xx | server CPU us/req (core use) | "
           + " | ".join("req/s vs %s | p99 vs %s" % (p, p) for p in peers) + " |")
out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|" + "---:|---:|" * len(peers))
nround = 0
for c in cases:
    a = rows.get(("origind", c))
    if not a:
        continue
    nround = len(a)
    ra, pa = med(a, 3), med(a, 6)
    for name in servers:
        lst = rows.get((name, c))
        if not lst:
            continue
        first = name == "origind"
        cells = []
        for p in peers:
            pl = rows.get((p, c))
            if first and pl:
                rb, pb = med(pl, 3), med(pl, 6)
                cells.append("**%.2fx**" % (ra / rb) if rb else "")
                cells.append("%.2fx" % (pa / pb) if pb else "")
            else:
                cells += ["", ""]
        out.append("| %s | %s | %.0f | %.1f | %.2f | %.2f | %d (%d) | %d | %.1f (%.0f%%) | %s |" % (
            c if first else "", name, med(lst, 3), med(lst, 4), med(lst, 5),
            med(lst, 6), tot(lst, 7), tot(lst, 8), tot(lst, 9), med(lst, 13), med(lst, 14),
            " | ".join(cells)))
out.append("")
out.append("Medians of %d round(s) per cell; socket errors and non-2xx are totals over the rounds." % nround)
out.append("req/s vs X is origind's median over X's (above 1 is better for origind); p99 vs X is")
out.append("origind's p99 over X's (below 1 is better for origind). Server CPU us/req is the")
out.append("server's user+system time (every thread, from /proc/PID/stat) over the run divided by the")
out.append("requests answered, and core use its share of its core: on a shared machine the req/s ratio")
out.append("moves with whatever else runs on core 0, the CPU/req figure much less. Kernel work done")
out.append("for the server in softirq context is not all counted.")
open(rep, "w").write("\n".join(out) + "\n")
PY
mem_md() { # LABEL "rss anon file [hwm]" (kB) -> a table row in MiB
    set -- "$1" $2
    awk -v l="$1" -v a="$2" -v b="$3" -v c="$4" -v d="${5:-}" 'BEGIN {
        printf "| %s | %.1f | %.1f | %.1f | %s |\n", l, a / 1024, b / 1024, c / 1024,
               d == "" ? "" : sprintf("%.1f", d / 1024) }'
}
MEMREP="$B/memory.md"
{
    echo "| origind (pid, --threads 1) | VmRSS MiB | RssAnon MiB | RssFile MiB | VmHWM MiB |"
    echo "|---|---:|---:|---:|---:|"
    mem_md "idle, just started (empty store)" "$OD_IDLE_BOOT"
    mem_md "idle, after the push (6 files, 20 MiB, over the admin API)" "$OD_IDLE_START"
    for s in $SIZES; do
        # largest sample during this size's runs
        samp="$(awk -F'\t' -v s="$s" '$1 == "origind" && index($2, s ".") == 1 { if ($11 + 0 > m) { m = $11; l = $11 " " $12 " " $13 } } END { print l }' "$RESULTS")"
        [ -n "$samp" ] && mem_md "under load, $s assets (largest mid-run sample)" "$samp"
    done
    mem_md "idle, after all load runs" "$OD_IDLE_END"
    echo
    echo "| nginx worker (reference) | VmRSS MiB | RssAnon MiB | RssFile MiB | VmHWM MiB |"
    echo "|---|---:|---:|---:|---:|"
    mem_md "idle, after start" "$NG_IDLE_START"
    mem_md "idle, after all load runs" "$NG_IDLE_END"
    if [ -n "$H2_IDLE_START" ]; then
        echo
        echo "| h2o (reference, num-threads 1) | VmRSS MiB | RssAnon MiB | RssFile MiB | VmHWM MiB |"
        echo "|---|---:|---:|---:|---:|"
        mem_md "idle, after start" "$H2_IDLE_START"
        mem_md "idle, after all load runs" "$H2_IDLE_END"
    fi
    echo
    echo "RssFile is file-backed pages mapped into the process: for origind, the pages of the LMDB"
    echo "map that were served (shared with the page cache, reclaimable, not private memory)."
    echo "RssAnon is private memory (heap, stacks, connection buffers; after a push it includes"
    echo "heap that held upload bodies, freed but kept by malloc)."
} >"$MEMREP"

echo
echo "== serving: origind / nginx / h2o ($DATE; load average before $LOAD_BEFORE, after $LOAD_AFTER)"
cat "$REPORT"
echo
echo "== memory"
cat "$MEMREP"
[ "$OD_ALIVE" = yes ] || echo "bench-serve: WARNING: origind died during the run" >&2

if [ "$RECORD" = 1 ]; then
    RES_MD="$HERE/RESULTS.md"
    SERVE_H="## Serving"
    MEM_H="## Memory"
    BODY_PATH="bodies under 64 KiB from the LMDB map, larger ones with sendfile."
    if [ "$TLS" = 1 ]; then
        SERVE_H="## Serving over HTTPS"
        MEM_H="## Memory over HTTPS"
        BODY_PATH="every body from the LMDB map (no sendfile through GnuTLS)."
        WRK_CMD="$WRK_CMD (https://, BENCH_TLS=1: ECDSA P-256, TLS 1.2/1.3, no session resumption)"
    fi
    SERVE_SEC="$B/serving-section.md"
    MEM_SEC="$B/memory-section.md"
    {
        echo "$SERVE_H"
        echo
        echo "Measured $DATE by \`$( [ "$TLS" = 1 ] && echo 'BENCH_TLS=1 ')tests/bench/bench-serve.sh --record\`"
        echo "(BENCH_SECONDS=$SECONDS_PER_RUN BENCH_ROUNDS=$ROUNDS BENCH_CONNS=$CONNS BENCH_WARMUP=$WARMUP)."
        echo
        echo "- Machine: $HOST_NOTE; shared with other jobs: load average before $LOAD_BEFORE, after $LOAD_AFTER."
        echo "- Versions: $VERS."
        echo "- origind: \`taskset -c $SCPU origind serve --store DIR --threads 1 --log-level warn\` (all threads pinned),"
        echo "  assets pushed with \`$PUSH_CMD\`; $BODY_PATH"
        echo "- nginx: \`taskset -c $SCPU nginx -p DIR -c nginx.conf -g 'daemon off;'\`, one worker, sendfile on,"
        echo "  tcp_nopush on, open_file_cache, access_log off, keepalive_requests 10000000, same files on disk."
        echo "- h2o: \`taskset -c $SCPU h2o -c h2o.conf\`, num-threads 1, file.dir on the same files, same Cache-Control, no access log."
        echo "- Load: \`$WRK_CMD\`, rounds alternated origind, nginx, origind, nginx...; a ${WARMUP}s warm-up run per case and server first."
        echo "- Cases: SIZE.KIND.MODE: css = compressible text/css (Vary: Accept-Encoding, identity served:"
        echo "  wrk sends no Accept-Encoding), png = binary image/png; keepalive = 64 persistent"
        echo "  connections, close = \`Connection: close\`, a new connection per request, head = HEAD on 64"
        echo "  persistent connections."
        echo
        cat "$REPORT"
    } >"$SERVE_SEC"
    {
        echo "$MEM_H"
        echo
        echo "Measured in the same run as $SERVE_H ($DATE), from /proc/PID/status."
        echo
        cat "$MEMREP"
    } >"$MEM_SEC"
    python3 - "$RES_MD" "$SERVE_SEC" "$MEM_SEC" "$SERVE_H" "$MEM_H" <<'PY'
import os, re, sys
path, serve, mem, serve_h, mem_h = sys.argv[1:6]
BEGIN, END = "<!-- bench-serve.sh --record: begin -->", "<!-- bench-serve.sh --record: end -->"
gen = {serve_h: open(serve).read(), mem_h: open(mem).read()}
def body(head):  # the generated text without its heading, between markers
    return BEGIN + "\n" + gen[head].split("\n", 1)[1].strip("\n") + "\n" + END
if os.path.exists(path):
    text = open(path).read()
else:
    text = "# Benchmark results\n\nWritten by the scripts in tests/bench/ (see tests/bench/README.md).\n"
# split into a preamble and "## " sections; rewrite only ours, keep everyone else's verbatim.
# Inside ours, only the text between the markers is replaced: notes written around it stay.
parts = re.split(r"(?m)^(?=## )", text)
pre, secs = parts[0], parts[1:]
seen, outs = set(), []
for s in secs:
    head = s.split("\n", 1)[0].strip()
    if head in gen:
        seen.add(head)
        if BEGIN in s and END in s:
            a, b = s.index(BEGIN), s.index(END) + len(END)
            s = s[:a] + body(head) + s[b:]
        else:
            s = head + "\n\n" + body(head) + "\n\n"
    outs.append(s if s.endswith("\n") else s + "\n")
for h in (serve_h, mem_h):
    if h not in seen:
        if outs and not outs[-1].endswith("\n\n"):
            outs[-1] += "\n"
        outs.append(h + "\n\n" + body(h) + "\n\n")
pre = pre.rstrip("\n") + "\n\n"
open(path + ".tmp", "w").write((pre + "".join(outs)).rstrip("\n") + "\n")
os.replace(path + ".tmp", path)
PY
    echo "== recorded in $RES_MD ($SERVE_H, $MEM_H)"
fi
