#!/usr/bin/env bash
# bench-lookup.sh - GET of published paths at 10,000 vs 1,000,000 assets, over HTTP and at the
# raw store level (GitHub issues 6 and 19: at 1M assets, server CPU per request and req/s within
# 10% of the 10k store, p99 within 1.5x, for uniform and Zipf access).
#
#   tests/bench/bench-lookup.sh [BUILD_DIR]     (not part of ctest: run it on purpose, alone)
#
# BUILD_DIR (default build/; configured and built if needed) provides the client (loadgen) and
# bench_lookup; the server measured is $ORIGIND_BIN_DIR/origind if ORIGIND_BIN_DIR is set (to
# measure another build with the same client and stores), else BUILD_DIR/bin/origind.
# Stores: `bench_lookup --build-only DIR` (1-2 KiB random blobs, text/css,
# /assets/a/<hex16>.css, releases of 10,000 paths; kept across runs with BENCH_DIR+BENCH_KEEP).
# Request lists (python3, seed 19, made once per BENCH_DIR), one path a line:
#   u10k.small  the 10k store's paths, shuffled (10,000 lines)
#   u10k        1,000,000 lines drawn uniformly from the 10k store's paths
#   u10k.q      the same, each line made distinct by a query string "?r=N" (ignored for lookup)
#   u1m         1,000,000 lines drawn uniformly from the 1M store's paths
#   z10k, z1m   1,000,000 lines, Zipf (s = BENCH_ZIPF_S, 1.0) over the store's paths ranked
#               newest release first (releases of 10,000 paths; shuffled within a release):
#               a hot set of recent releases, a long tail of old ones
# Server: `taskset -c 0 origind serve --store DIR --threads 1 --log-level warn`, both stores up,
# only one loaded at a time, each warmed by one pass over its paths in order.
# Client: `taskset -c 1 loadgen -c64 -d${BENCH_SECONDS} -i LIST URL` (tests/bench/loadgen.c: one
# epoll thread, one cursor over the list shared by all connections, no per-request allocation).
# Phases (BENCH_PHASES, default "control scale raw"; "memory" on request):
#   control  the 10k store with u10k.small vs u10k vs u10k.q, by loadgen (must match within
#            noise: the list's length must not matter), then wrk + random.lua with u10k.small vs
#            u10k.q (a Lua table of 10k vs 1M distinct strings: shows the distortion the control
#            detects), and wrk with the 1M store's own paths.txt (404s from the 10k store: the
#            issue's form of the control)
#   scale    10k vs 1M store, uniform (u10k/u1m) and Zipf (z10k/z1m), alternated per round
#   raw      bench_lookup DIR (store_lookup per CPU-second)
#   memory   RssAnon (the process's own) and RssFile (the map's pages) after a uniform run
#            over each store, response cache at its default and off (issue 26 item 4)
# Per run: req/s, p50/p99/p99.9, server CPU per request (user+sys from /proc/PID/stat, every
# thread) and its share of core 0, the client's CPU share (near 100%: the client is the limit).
# Env: BENCH_SECONDS (10) BENCH_ROUNDS (3) BENCH_CONNS (64) BENCH_DIR (mktemp in /var/tmp)
#      BENCH_KEEP=1 keeps the stores and lists; BENCH_PHASES; BENCH_ACCESS ("uniform zipf");
#      BENCH_SERVER_CPU (0) BENCH_CLIENT_CPU (1); BENCH_ZIPF_S (1.0).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BUILD="$(cd "${1:-$REPO/build}" 2>/dev/null && pwd || echo "${1:-$REPO/build}")"
SECS="${BENCH_SECONDS:-10}"
ROUNDS="${BENCH_ROUNDS:-3}"
CONNS="${BENCH_CONNS:-64}"
PHASES="${BENCH_PHASES:-control scale raw}"
ACCESS="${BENCH_ACCESS:-uniform zipf}"
SCPU="${BENCH_SERVER_CPU:-0}"
CCPU="${BENCH_CLIENT_CPU:-1}"

for t in taskset cmake python3; do
    command -v "$t" >/dev/null || { echo "bench-lookup: $t not found" >&2; exit 1; }
done
[ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
if [ -n "${ORIGIND_BIN_DIR:-}" ]; then
    cmake --build "$BUILD" -j2 --target bench_lookup loadgen >/dev/null
else
    cmake --build "$BUILD" -j2 --target origind bench_lookup loadgen >/dev/null
    export ORIGIND_BIN_DIR="$BUILD/bin"
fi
LOADGEN="$BUILD/bin/loadgen"
export ORIGIND_LIB_NO_TRAP=1
. "$REPO/tests/lib.sh"
[ -x "$ORIGIND" ] || { echo "bench-lookup: $ORIGIND not found" >&2; exit 1; }

if [ -n "${BENCH_DIR:-}" ]; then B="$BENCH_DIR"; mkdir -p "$B"; else B="$(mktemp -d /var/tmp/origind-bench-lookup.XXXXXX)"; fi
PIDS=()
STOPPED=" " # pids the memory phase stopped on purpose
cleanup() {
    local p
    for p in "${PIDS[@]}"; do origind_stop "$p" >/dev/null 2>&1 || true; done
    origind_cleanup
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench-lookup: kept $B"; else rm -rf "$B"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== stores and lists in $B (server $ORIGIND)"
"$BUILD/bin/bench_lookup" --build-only "$B"
python3 - "$B" "${BENCH_ZIPF_S:-1.0}" <<'PY'
import itertools, os, random, sys
b, s = sys.argv[1], float(sys.argv[2])
L = 1000000
def paths(n):
    return open(os.path.join(b, "s%d" % n, "paths.txt")).read().split()
def write(name, lines):
    p = os.path.join(b, "list." + name)
    if not os.path.exists(p):
        with open(p + ".tmp", "w") as f:
            f.write("\n".join(lines) + "\n")
        os.rename(p + ".tmp", p)
for n, tag in ((10000, "10k"), (1000000, "1m")):
    if all(os.path.exists(os.path.join(b, "list." + k + tag)) for k in ("u", "z")) and \
            (n != 10000 or os.path.exists(os.path.join(b, "list.u10k.q"))):
        continue
    ps = paths(n)
    rng = random.Random(19)
    if n == 10000:
        small = ps[:]
        rng.shuffle(small)
        write("u10k.small", small)
    u = rng.choices(ps, k=L)
    write("u" + tag, u)
    if n == 10000:
        # the same 1M requests, every line distinct (the query string is ignored for lookup):
        # a Lua client then holds a million different strings, as with the 1M store's paths
        write("u10k.q", ["%s?r=%d" % (x, i) for i, x in enumerate(u)])
    # rank 0 = newest release (paths.txt lists releases oldest first, 10,000 paths each)
    ranked = []
    for r in range(len(ps) // 10000 - 1, -1, -1):
        rel = ps[r * 10000:(r + 1) * 10000]
        rng.shuffle(rel)
        ranked += rel
    cw = list(itertools.accumulate(1.0 / (k + 1) ** s for k in range(len(ranked))))
    write("z" + tag, rng.choices(ranked, cum_weights=cw, k=L))
PY
cat >"$B/random.lua" <<'EOF'
local paths, n = {}, 0
for line in io.lines(os.getenv("BENCH_PATHS")) do n = n + 1; paths[n] = line end
math.randomseed(os.time())
request = function() return wrk.format("GET", paths[math.random(n)]) end
EOF

cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
declare -A URL PID
for n in 10000 1000000; do
    origind_start "$B/s$n" --threads 1 --log-level warn
    taskset -a -cp "$SCPU" "$NODE_PID" >/dev/null
    URL[$n]="$NODE_PUBLIC"
    PID[$n]="$NODE_PID"
    PIDS+=("$NODE_PID")
done
for n in 10000 1000000; do
    w=$((n / 40000 + 3)) # more than one pass over the paths at >= 40k req/s
    echo "== warming s$n: every path in order, ${w}s"
    taskset -c "$CCPU" "$LOADGEN" -c"$CONNS" -d"$w" -i "$B/s$n/paths.txt" "${URL[$n]}"
done

RES="$B/http.tsv"
: >"$RES"
# run LABEL STORE CLIENT LIST ROUND: one timed run, one row of $RES
run() {
    local label="$1" n="$2" client="$3" list="$4" r="$5" out="$B/out.$1.$2.$3.$(basename "$4").$5.txt" t0 t1 c0 c1
    t0="$(cpu_ticks "${PID[$n]}")"
    c0="$(date +%s.%N)"
    if [ "$client" = loadgen ]; then
        taskset -c "$CCPU" "$LOADGEN" -c"$CONNS" -d"$SECS" -s $((r * 7919)) -i "$list" "${URL[$n]}" >"$out" 2>&1
    else
        command -v wrk >/dev/null || { echo "bench-lookup: wrk not found" >&2; exit 1; }
        BENCH_PATHS="$list" taskset -c "$CCPU" wrk -t1 -c"$CONNS" -d"${SECS}s" --latency \
            -s "$B/random.lua" "${URL[$n]}" >"$out" 2>&1
    fi
    t1="$(cpu_ticks "${PID[$n]}")"
    c1="$(date +%s.%N)"
    python3 - "$out" "$label" "$n" "$client" "$r" "$((t1 - t0))" "$(getconf CLK_TCK)" "$c0" "$c1" "$(basename "$list")" >>"$RES" <<'PY'
import re, sys
out, label, n, client, r, ticks, hz, c0, c1, lst = sys.argv[1:11]
t = open(out).read()
wall = float(c1) - float(c0)
if client == "loadgen":
    kv = dict(x.split("=", 1) for x in t.split() if "=" in x)
    rps, total = float(kv["rps"]), int(kv["requests"])
    p50, p99, p999 = float(kv["p50_ms"]), float(kv["p99_ms"]), float(kv["p999_ms"])
    bad, err = int(kv["non2xx"]), int(kv["errors"]) + int(kv["timeouts"])
    ccpu = "%.0f%%" % (100 * float(kv["client_cpu_s"]) / float(kv["seconds"]))
else:
    def ms(s):
        v, u = re.match(r"([\d.]+)(us|ms|s)", s).groups()
        return float(v) * {"us": 1e-3, "ms": 1, "s": 1e3}[u]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    total = int(re.search(r"(\d+) requests in", t).group(1))
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", t, re.M).group(1))
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", t, re.M).group(1))
    p999 = float("nan")
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    bad = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
    err = sum(map(int, m.groups())) if m else 0
    ccpu = "-"
cpu_us = int(ticks) / int(hz) * 1e6 / max(total, 1)
share = int(ticks) / int(hz) / wall
print("\t".join(map(str, (label, n, client, lst, r, "%.0f" % rps, "%.3f" % p50, "%.3f" % p99,
      "%.3f" % p999, "%.2f" % cpu_us, "%.0f%%" % (100 * share), ccpu, bad, err))))
PY
    tail -1 "$RES"
}

report() { # report LABEL: medians per (store, client, list) of that label, and ratios
    python3 - "$RES" "$1" <<'PY'
import statistics, sys
res, label = sys.argv[1:3]
rows = {}
for line in open(res):
    f = line.rstrip("\n").split("\t")
    if f[0] == label:
        rows.setdefault((f[1], f[2], f[3]), []).append(f)
def med(k, i):
    v = [float(x[i]) for x in rows[k]]
    return statistics.median(v)
print("| store | client | list | req/s (rounds) | p50 ms | p99 ms (rounds) | p99.9 ms | server CPU us/req | server core | client core | non-2xx | errors |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for k in rows:
    rr = rows[k]
    print("| %s | %s | %s | **%.0f** (%s) | %.2f | **%.2f** (%s) | %.2f | **%.2f** | %s | %s | %d | %d |" % (
        k[0], k[1], k[2], med(k, 5), " ".join(x[5] for x in rr), med(k, 6), med(k, 7),
        " ".join("%.2f" % float(x[7]) for x in rr), med(k, 8), med(k, 9),
        "/".join(x[10] for x in rr), "/".join(x[11] for x in rr),
        sum(int(x[12]) for x in rr), sum(int(x[13]) for x in rr)))
keys, base = list(rows), {}
for b in keys:
    a = base.setdefault(b[1], b)  # each client's first row is its baseline
    if a == b:
        continue
    r_rps, r_p99, r_cpu = med(b, 5) / med(a, 5), med(b, 7) / med(a, 7), med(b, 9) / med(a, 9)
    print("ratio (%s) / (%s): req/s %.3f, p99 %.2f, server CPU/req %.3f" % (
        " ".join(b), " ".join(a), r_rps, r_p99, r_cpu))
    if label.startswith("scale"):
        print("  targets: CPU/req <= 1.10: %s; req/s >= 0.90: %s; p99 <= 1.5x: %s" % tuple(
            "met" if ok else "NOT MET" for ok in (r_cpu <= 1.10, r_rps >= 0.90, r_p99 <= 1.5)))
PY
}

for phase in $PHASES; do
    case "$phase" in
    control)
        for r in $(seq 1 "$ROUNDS"); do
            run control 10000 loadgen "$B/list.u10k.small" "$r"
            run control 10000 loadgen "$B/list.u10k" "$r"
            run control 10000 loadgen "$B/list.u10k.q" "$r"
        done
        if command -v wrk >/dev/null; then
            for r in $(seq 1 "$ROUNDS"); do
                run control 10000 wrk "$B/list.u10k.small" "$r"
                run control 10000 wrk "$B/list.u10k.q" "$r"
                # the issue's form of the control: the 1M store's paths (404s here, cheaper)
                run control 10000 wrk "$B/s1000000/paths.txt" "$r"
            done
        fi
        ;;
    scale)
        for a in $ACCESS; do
            p="${a:0:1}"
            for r in $(seq 1 "$ROUNDS"); do
                run "scale-$a" 10000 loadgen "$B/list.${p}10k" "$r"
                run "scale-$a" 1000000 loadgen "$B/list.${p}1m" "$r"
            done
        done
        ;;
    raw) ;;
    memory)
        # The process's memory after a uniform run over each store, with the
        # response cache at its default (64M) and off: anonymous (the
        # process's own: heap, stacks, the cache) and file-backed (the LMDB
        # map's pages this process touched: page cache, shared, reclaimable)
        # RSS apart, from /proc/PID/status.
        MEM="$B/memory.tsv"
        : >"$MEM"
        for cache in 64M 0; do
            for n in 10000 1000000; do
                if [ "$cache" = 64M ]; then
                    pid="${PID[$n]}" url="${URL[$n]}"
                else
                    # one server per store (the writer lock): this one replaces the first
                    origind_stop "${PID[$n]}" >/dev/null 2>&1 || true
                    STOPPED="$STOPPED ${PID[$n]} "
                    origind_start "$B/s$n" --threads 1 --log-level warn --response-cache 0
                    taskset -a -cp "$SCPU" "$NODE_PID" >/dev/null
                    pid="$NODE_PID" url="$NODE_PUBLIC"
                    PID[$n]="$NODE_PID" URL[$n]="$NODE_PUBLIC"
                    PIDS+=("$NODE_PID")
                    taskset -c "$CCPU" "$LOADGEN" -c"$CONNS" -d$((n / 40000 + 3)) -i "$B/s$n/paths.txt" "$url" >/dev/null
                fi
                list="$B/list.u1m"
                [ "$n" = 1000000 ] || list="$B/list.u10k"
                taskset -c "$CCPU" "$LOADGEN" -c"$CONNS" -d"$SECS" -i "$list" "$url" >/dev/null
                printf '%s\t%s\t%s\t%s\n' "$n" "$cache" "$(du -m "$B/s$n/data.mdb" | cut -f1)" \
                    "$(awk '/^(VmRSS|RssAnon|RssFile|RssShmem|VmHWM|VmSize):/ {printf "%s=%d ", $1, $2 / 1024}' "/proc/$pid/status")" >>"$MEM"
            done
        done
        ;;
    *) echo "bench-lookup: unknown phase $phase" >&2; exit 2 ;;
    esac
done
for p in "${PIDS[@]}"; do
    case "$STOPPED" in *" $p "*) continue ;; esac
    kill -0 "$p" 2>/dev/null || echo "bench-lookup: WARNING: origind $p died" >&2
done

echo
echo "== HTTP ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average now $(cut -d' ' -f1-3 /proc/loadavg), origind $("$ORIGIND" --version 2>&1 | head -1))"
echo "   taskset -c $SCPU $ORIGIND serve --store DIR --threads 1 --log-level warn"
echo "   taskset -c $CCPU $LOADGEN -c$CONNS -d$SECS -i LIST URL   |   taskset -c $CCPU wrk -t1 -c$CONNS -d${SECS}s --latency -s random.lua URL"
for label in control scale-uniform scale-zipf; do
    grep -q "^$label	" "$RES" || continue
    echo
    echo "-- $label ($ROUNDS rounds, medians)"
    report "$label"
done

if [ -s "$B/memory.tsv" ]; then
    echo
    echo "-- memory after a ${SECS}s uniform run (MiB, /proc/PID/status; anonymous = the process's own, file = the map's touched pages)"
    echo "| store | response cache | data.mdb | RssAnon | RssFile | VmRSS | VmHWM | VmSize |"
    echo "|---:|---|---:|---:|---:|---:|---:|---:|"
    while IFS=$'\t' read -r n cache size kv; do
        declare -A m=()
        for f in $kv; do m[${f%%:=*}]="${f#*=}"; done
        echo "| $n | $cache | $size | ${m[RssAnon]} | ${m[RssFile]} | ${m[VmRSS]} | ${m[VmHWM]} | ${m[VmSize]} |"
    done <"$B/memory.tsv"
fi

for p in "${PIDS[@]}"; do origind_stop "$p" >/dev/null 2>&1 || true; done
PIDS=()
case " $PHASES " in *" raw "*)
    echo
    echo "== raw store: $BUILD/bin/bench_lookup DIR (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    "$BUILD/bin/bench_lookup" "$B"
    ;;
esac
