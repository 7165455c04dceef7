#!/usr/bin/env bash
# bench-lookup.sh - GET of random published paths at 10,000 vs 1,000,000 assets, over HTTP and
# at the raw store level (GitHub issue 6: the 1M store within 10% of the 10k store).
#
#   tests/bench/bench-lookup.sh [BUILD_DIR]     (not part of ctest: run it on purpose, alone)
#
# Builds BUILD_DIR (default build/: cmake -S . -B build) targets origind and bench_lookup,
# creates both stores with `bench_lookup --build-only DIR` (1-2 KiB random blobs, text/css,
# /assets/a/<hex16>.css, releases of 10,000 paths), then:
#   1. starts `taskset -c 0 origind serve --store DIR --threads 1` for each store (both up,
#      only one loaded at a time), warms each by requesting every path once in order (the LMDB
#      map is faulted in, as in a long-running server), then runs
#      `taskset -c 1 wrk -t1 -c64 -d${BENCH_SECONDS}s --latency -s random.lua URL` alternating
#      10k, 1M, 10k, 1M for BENCH_ROUNDS rounds; random.lua loads the store's paths.txt and picks
#      a path uniformly at random per request. Prints medians of req/s, p50, p99, the server's
#      CPU per request (user+sys from /proc/PID/stat) and the ratios 1M/10k.
#   2. runs `bench_lookup DIR` (raw store_lookup per CPU-second, same stores, alternated).
# Env: BENCH_SECONDS (10) BENCH_ROUNDS (3) BENCH_CONNS (64) BENCH_DIR (mktemp in /tmp)
#      BENCH_KEEP=1 keeps the stores. BENCH_SKIP_RAW=1 skips step 2.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BUILD="${1:-$REPO/build}"
SECS="${BENCH_SECONDS:-10}"
ROUNDS="${BENCH_ROUNDS:-3}"
CONNS="${BENCH_CONNS:-64}"

for t in wrk taskset cmake python3; do
    command -v "$t" >/dev/null || { echo "bench-lookup: $t not found" >&2; exit 1; }
done
[ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$REPO" -B "$BUILD" >/dev/null
cmake --build "$BUILD" -j2 --target origind bench_lookup >/dev/null
export ORIGIND_BIN_DIR="$BUILD/bin" ORIGIND_LIB_NO_TRAP=1
. "$REPO/tests/lib.sh"

if [ -n "${BENCH_DIR:-}" ]; then B="$BENCH_DIR"; mkdir -p "$B"; else B="$(mktemp -d /tmp/origind-bench-lookup.XXXXXX)"; fi
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do origind_stop "$p" >/dev/null 2>&1 || true; done
    origind_cleanup
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench-lookup: kept $B"; else rm -rf "$B"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== building stores in $B"
"$BUILD/bin/bench_lookup" --build-only "$B"

# random.lua: a uniformly random published path per request; walk.lua: every path once, in order.
for kind in random walk; do
    cat >"$B/$kind.lua" <<EOF
local paths, n, i = {}, 0, 0
for line in io.lines(os.getenv("BENCH_PATHS")) do n = n + 1; paths[n] = line end
math.randomseed(os.time())
request = function()
    if "$kind" == "random" then return wrk.format("GET", paths[math.random(n)]) end
    i = i % n + 1
    return wrk.format("GET", paths[i])
end
EOF
done

cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
declare -A URL PID
for n in 10000 1000000; do
    origind_start "$B/s$n" --threads 1 --log-level warn
    taskset -a -cp 0 "$NODE_PID" >/dev/null
    URL[$n]="$NODE_PUBLIC"
    PID[$n]="$NODE_PID"
    PIDS+=("$NODE_PID")
done
for n in 10000 1000000; do
    w=$((n / 20000 + 3)) # about 2x the time one pass over the paths takes at ~40k req/s
    echo "== warming s$n: walk.lua for ${w}s"
    BENCH_PATHS="$B/s$n/paths.txt" taskset -c 1 wrk -t1 -c"$CONNS" -d"${w}s" -s "$B/walk.lua" "${URL[$n]}" |
        grep -E "Requests/sec|Non-2xx" || true
done

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
RES="$B/http.tsv"
: >"$RES"
for r in $(seq 1 "$ROUNDS"); do
    for n in 10000 1000000; do
        out="$B/wrk.$n.$r.txt"
        t0="$(cpu_ticks "${PID[$n]}")"
        BENCH_PATHS="$B/s$n/paths.txt" taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" --latency \
            -s "$B/random.lua" "${URL[$n]}" >"$out" 2>&1
        t1="$(cpu_ticks "${PID[$n]}")"
        python3 - "$out" "$n" "$r" "$((t1 - t0))" "$(getconf CLK_TCK)" >>"$RES" <<'PY'
import re, sys
out, n, r, ticks, hz = sys.argv[1:6]
t = open(out).read()
def ms(s):
    v, u = re.match(r"([\d.]+)(us|ms|s)", s).groups()
    return float(v) * {"us": 1e-3, "ms": 1, "s": 1e3}[u]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
total = int(re.search(r"(\d+) requests in", t).group(1))
p50 = ms(re.search(r"^\s+50%\s+(\S+)", t, re.M).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", t, re.M).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
err = re.search(r"Socket errors: (.*)", t)
print("\t".join(map(str, (n, r, "%.0f" % rps, "%.3f" % p50, "%.3f" % p99,
      "%.2f" % (int(ticks) / int(hz) * 1e6 / max(total, 1)), bad.group(1) if bad else 0,
      (err.group(1).replace(" ", "") if err else "-")))))
PY
        tail -1 "$RES"
    done
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null || echo "bench-lookup: WARNING: origind $p died" >&2; done

echo
echo "== HTTP ($(date -u '+%Y-%m-%d %H:%M UTC'); load average before $LOAD_BEFORE, after $LOAD_AFTER)"
echo "   taskset -c 0 origind serve --store DIR --threads 1 --log-level warn"
echo "   taskset -c 1 wrk -t1 -c$CONNS -d${SECS}s --latency -s random.lua URL, alternated 10k/1M, $ROUNDS rounds"
python3 - "$RES" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    rows.setdefault(f[0], []).append(f)
def med(n, i):
    return statistics.median(float(x[i]) for x in rows[n])
print("| store | req/s | p50 ms | p99 ms | server CPU us/req | non-2xx | socket errors |")
print("|---|---:|---:|---:|---:|---:|---|")
for n in ("10000", "1000000"):
    print("| %s assets | %.0f | %.2f | %.2f | %.1f | %d | %s |" % (
        n, med(n, 2), med(n, 3), med(n, 4), med(n, 5), sum(int(x[6]) for x in rows[n]),
        " ".join(x[7] for x in rows[n])))
print("ratio 1M/10k: req/s %.3f, p99 %.2f, server CPU/req %.3f (medians of %d rounds; per round req/s: 10k %s, 1M %s)" % (
    med("1000000", 2) / med("10000", 2), med("1000000", 4) / med("10000", 4),
    med("1000000", 5) / med("10000", 5), len(rows["10000"]),
    " ".join(x[2] for x in rows["10000"]), " ".join(x[2] for x in rows["1000000"])))
PY

for p in "${PIDS[@]}"; do origind_stop "$p" >/dev/null 2>&1 || true; done
PIDS=()
if [ "${BENCH_SKIP_RAW:-0}" != 1 ]; then
    echo
    echo "== raw store: $BUILD/bin/bench_lookup DIR (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    "$BUILD/bin/bench_lookup" "$B"
fi
