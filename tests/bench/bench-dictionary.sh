#!/usr/bin/env bash
# bench-dictionary.sh - what dictionary deltas (RFC 9842 dcz) save, and what they cost to serve.
#
#   tests/bench/bench-dictionary.sh          (not part of ctest: run it on purpose, alone,
#                                             on a quiet machine)
#
# 1. Bytes on the wire for a second release. Two releases of an app: the vendor code a
#    bundler emits (Debian's packaged d3, moment, underscore, jquery when present) plus app
#    code, a JS entry, a lazy chunk and a stylesheet; release 2 edits a few functions and
#    rules, as a release does. (A Vite build of a sample app is the issue's wish: no
#    npm registry here, so the bundle is assembled from packaged libraries; set
#    BENCH_R1/BENCH_R2 to two build directories of your own app to measure that instead.)
#    Both pushed to a fresh node with `origin-ingest push --compress br,gzip,zstd` (deltas by
#    default). For every file of release 2, GET with Accept-Encoding identity, gzip, br,
#    zstd, and, as a browser holding release 1 asks, "dcz, br" + Available-Dictionary; the
#    body sizes are summed per encoding (headers left out).
# 2. Serving cost: wrk on release 2's entry script, keep-alive, alternated A B for
#    BENCH_ROUNDS rounds: A = Accept-Encoding: br (the br variant), B = "br, dcz" with
#    release 1's Available-Dictionary (the dcz delta). Server pinned to core 0 (--threads 1),
#    wrk to core 1: taskset -c 1 wrk -t1 -c64 -d${BENCH_SECONDS}s. Medians of requests/s.
#    A dcz answer must not be slower: it is a map lookup more (the delta's key) and far
#    fewer bytes; it skips the response cache (the answer depends on a request header).
#
# Env: BENCH_SECONDS (10)  BENCH_ROUNDS (3)  BENCH_CONNS (64)  BENCH_SERVER_CPU (0)
#      BENCH_CLIENT_CPU (1)  BENCH_R1/BENCH_R2 (build dirs)  ORIGIND_BIN_DIR (build/bin)
#      BENCH_KEEP=1 keeps the work dir.  BENCH_WIRE_ONLY=1: part 1 only (no load).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BIN="${ORIGIND_BIN_DIR:-$REPO/build/bin}"
SECS="${BENCH_SECONDS:-10}" ROUNDS="${BENCH_ROUNDS:-3}" CONNS="${BENCH_CONNS:-64}"
SCPU="${BENCH_SERVER_CPU:-0}" CCPU="${BENCH_CLIENT_CPU:-1}"
for c in wrk curl zstd taskset python3; do
    command -v "$c" >/dev/null || { echo "bench-dictionary: needs $c (scripts/setup.sh)" >&2; exit 1; }
done
[ -x "$BIN/origind" ] && [ -x "$BIN/origin-ingest" ] || { echo "build first: cmake --build build" >&2; exit 1; }
W="$(mktemp -d /var/tmp/origind-bench-dict.XXXXXX)"
PID=""
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    [ -n "${BENCH_KEEP:-}" ] && echo "kept $W" >&2 || rm -rf "$W"
}
trap cleanup EXIT

build() { # build RELEASE DIR
    mkdir -p "$2/js" "$2/css"
    for f in /usr/share/javascript/d3/d3.min.js /usr/share/javascript/moment/moment.min.js \
        /usr/share/javascript/underscore/underscore-min.js /usr/share/javascript/jquery/jquery.min.js; do
        [ -f "$f" ] && { cat "$f"; echo; }
    done >"$2/js/vendor.js"
    python3 - "$1" "$2" <<'PY'
import random, sys
r, out = sys.argv[1], sys.argv[2]
rnd = random.Random(29)
words = ["state", "render", "props", "value", "index", "items", "handler", "event", "node", "cart"]
def code(n, tag):
    lines = []
    for i in range(n):
        a, b = rnd.choice(words), rnd.choice(words)
        body = f"return {b}.{a} + {rnd.randint(0, 99999)};"
        if r == "2" and i % 400 == 11:
            body = f"if ({b} == null) return 0; " + body
        lines.append(f"export function {tag}{a}_{i}({b}) {{ {body} }}")
    return "\n".join(lines) + "\n"
open(f"{out}/js/app.js", "w").write(code(3000, "a") + f'export const release = "r{r}";\n')
open(f"{out}/js/lazy.js", "w").write(code(800, "l"))
css = [f".c{i} {{ margin: {rnd.randint(0, 40)}px; color: #{rnd.randint(0, 0xffffff):06x}; }}" for i in range(2500)]
if r == "2":
    css[100] = ".c100 { margin: 3px; }"
    css.append(".banner { display: block; }")
open(f"{out}/css/app.css", "w").write("\n".join(css) + "\n")
PY
}
R1="${BENCH_R1:-$W/r1}" R2="${BENCH_R2:-$W/r2}"
[ -n "${BENCH_R1:-}" ] || build 1 "$R1"
[ -n "${BENCH_R2:-}" ] || build 2 "$R2"

head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$W/token"
taskset -c "$SCPU" "$BIN/origind" serve --store "$W/store" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
    --admin-token-file "$W/token" --threads 1 2>"$W/origind.log" &
PID=$!
line=""
for _ in $(seq 1 100); do
    line="$(grep -m1 '^origind: public ' "$W/origind.log" 2>/dev/null || true)"
    [ -n "$line" ] && break
    sleep 0.1
done
[ -n "$line" ] || { cat "$W/origind.log" >&2; exit 1; }
# origind: public URL admin URL store DIR token-file FILE
PUB="$(echo "$line" | awk '{ print $3 }')" ADM="$(echo "$line" | awk '{ print $5 }')"
for r in 1 2; do
    d="$R1"; [ "$r" = 2 ] && d="$R2"
    "$BIN/origin-ingest" push --node "$ADM" --token-file "$W/token" --release "r$r" --cache-dir none \
        --compress br,gzip,zstd --manifest-out "$W/m$r.json" --manifest-format full --json "$d" >"$W/push$r.json"
done
python3 - "$W/push2.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["deltas"]
print(f"push r2: {d['kept']} deltas kept of {d['pairs']} pairs, {d['bytes']} bytes")
PY

# 1. bytes on the wire, release 2, per encoding
python3 - "$W/m1.json" "$W/m2.json" "$PUB" <<'PY'
import base64, json, subprocess, sys
m1, m2, pub = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
def size(url, *hdr):
    args = ["curl", "-sS", "-o", "/dev/null", "-w", "%{size_download} %header{content-encoding}", url]
    for h in hdr:
        args += ["-H", h]
    n, _, enc = subprocess.run(args, capture_output=True, text=True, check=True).stdout.partition(" ")
    return int(n), enc.strip() or "identity"
tot = {}
print("%-22s %10s %10s %10s %10s %10s" % ("file (release 2)", "identity", "gzip", "br", "zstd", "dcz"))
for src, f in sorted(m2.items()):
    row = []
    for ae in ("identity", "gzip", "br", "zstd"):
        n, _ = size(pub + f["url"], "Accept-Encoding: " + ae)
        row.append(n)
    hdrs = ["Accept-Encoding: br"]
    if src in m1 and m1[src]["sha256"] != f["sha256"]:
        ad = ":" + base64.b64encode(bytes.fromhex(m1[src]["sha256"])).decode() + ":"
        hdrs = ["Accept-Encoding: br, dcz", "Available-Dictionary: " + ad]
    n, enc = size(pub + f["url"], *hdrs)
    row.append(n)
    for k, v in zip(("identity", "gzip", "br", "zstd", "dcz"), row):
        tot[k] = tot.get(k, 0) + v
    print("%-22s %10d %10d %10d %10d %10d%s" % (src[:22], *row, "" if enc == "dcz" else " (" + enc + ")"))
print("%-22s %10d %10d %10d %10d %10d" % ("total", tot["identity"], tot["gzip"], tot["br"], tot["zstd"], tot["dcz"]))
PY

[ -n "${BENCH_WIRE_ONLY:-}" ] && exit 0

# 2. requests/s, br vs dcz answer of the entry script
U1="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["js/app.js"]["sha256"])' "$W/m1.json")"
U2="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["js/app.js"]["url"])' "$W/m2.json")"
AD=":$(printf '%s' "$U1" | tr a-f A-F | basenc --base16 -d | base64 -w0):"
run() { # run br|dcz: requests/s
    local h=(-H "Accept-Encoding: br")
    [ "$1" = dcz ] && h=(-H "Accept-Encoding: br, dcz" -H "Available-Dictionary: $AD")
    taskset -c "$CCPU" wrk -t1 -c"$CONNS" -d"${SECS}s" "${h[@]}" "$PUB$U2" | awk '/Requests\/sec/ { print $2 }'
}
run br >/dev/null # warm-up
br=() dcz=()
for _ in $(seq 1 "$ROUNDS"); do
    br+=("$(run br)")
    dcz+=("$(run dcz)")
done
med() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "requests/s of release 2's js/app.js (origind --threads 1, wrk -c$CONNS, medians of $ROUNDS):"
echo "  br:  $(med "${br[@]}")   (runs: ${br[*]})"
echo "  dcz: $(med "${dcz[@]}")   (runs: ${dcz[*]})"
