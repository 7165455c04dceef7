#!/usr/bin/env bash
# soak.sh: load and soak run (issue 7, part 5; not part of CI).
# One origind on loopback; wrk with CONNECTIONS (256) connections GETs every
# published asset (plain, gzip/br-accepting, ranged, conditional) for SECONDS
# (600) while origin-ingest pushes a new release every PUSH_EVERY (5) s.
# Every 5 s the server's resident memory (VmRSS, and RssAnon: the heap,
# without the store's mapped file) and open file descriptors are sampled.
# Passes when: wrk saw no socket error and no non-2xx/3xx answer, every push
# exited 0, RssAnon after warm-up (the first 20%) grew by less than
# max(8 MiB, 10%), and the fd count after warm-up stayed within 16 of its
# first value. Results: build-soak/soak-results.txt and samples.csv.
# Usage: scripts/soak.sh [--seconds N] [--connections N]   (binaries: $ORIGIND_BIN_DIR or build/bin)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_RUN=600 CONNS=256 PUSH_EVERY=5
while [ $# -gt 0 ]; do
    case "$1" in
    --seconds) SECONDS_RUN="$2"; shift 2 ;;
    --connections) CONNS="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
: "${ORIGIND_BIN_DIR:=$PWD/build/bin}"
export ORIGIND_BIN_DIR
[ -x "$ORIGIND_BIN_DIR/origind" ] || { cmake -S . -B build >/dev/null && cmake --build build -j2; }
command -v wrk >/dev/null || { echo "soak.sh: wrk is not installed (scripts/setup.sh)" >&2; exit 2; }
. tests/hardening/hardening_lib.sh
OUT=build-soak
mkdir -p "$OUT"
W="$(origind_tmpdir)"
ulimit -n 8192 2>/dev/null || true

origind_start "$W/store" --drain-seconds 0 --max-connections 4096 || fail "origind did not start"
PID=$NODE_PID
make_site "$W/site0" 60 0
"$ORIGIN_INGEST" push --node "$NODE_ADMIN" --token-file "$NODE_TOKEN_FILE" --release soak-0 \
    --manifest-out "$W/m0.json" --cache-dir "$W/cache" --quiet "$W/site0" || fail "first push"
python3 - "$W/m0.json" >"$W/paths.lua" <<'PY'
import json, sys, urllib.parse
paths = [urllib.parse.quote(u) for u in json.load(open(sys.argv[1])).values()]
print("paths = {" + ",".join('"%s"' % p for p in paths) + "}")
PY
cat >>"$W/paths.lua" <<'LUA'
local i = 0
local variants = {
  {},
  {["Accept-Encoding"] = "gzip, br"},
  {["Accept-Encoding"] = "gzip"},
  {["Range"] = "bytes=0-99"},
  {["If-None-Match"] = "\"nope\""},
}
request = function()
  i = i + 1
  local p = paths[(i % #paths) + 1]
  return wrk.format("GET", p, variants[(i % #variants) + 1])
end
LUA

sample() { # t rss_kb anon_kb fds
    local st
    st="$(cat /proc/"$PID"/status)"
    echo "$1,$(echo "$st" | awk '/^VmRSS/ {print $2}'),$(echo "$st" | awk '/^RssAnon/ {print $2}'),$(ls /proc/"$PID"/fd | wc -l)"
}
echo "t_s,vmrss_kb,rssanon_kb,fds" >"$OUT/samples.csv"

wrk -t2 -c"$CONNS" -d"${SECONDS_RUN}s" --latency -s "$W/paths.lua" "$NODE_PUBLIC" >"$OUT/wrk.txt" 2>&1 &
WRK=$!
pushes=0 push_fail=0 t=0 next_push=$PUSH_EVERY
while kill -0 "$WRK" 2>/dev/null; do
    sleep 5
    t=$((t + 5))
    kill -0 "$PID" 2>/dev/null || fail "origind died at t=${t}s: $(tail -5 "$NODE_STDERR")"
    # sample only while wrk runs (its connections count as fds)
    if kill -0 "$WRK" 2>/dev/null; then sample "$t" >>"$OUT/samples.csv"; fi
    if [ "$t" -ge "$next_push" ] && [ "$t" -lt "$SECONDS_RUN" ]; then
        pushes=$((pushes + 1))
        make_site "$W/site$pushes" 8 "$pushes"
        "$ORIGIN_INGEST" push --node "$NODE_ADMIN" --token-file "$NODE_TOKEN_FILE" \
            --release "soak-$pushes" --cache-dir "$W/cache" --quiet "$W/site$pushes" \
            >>"$OUT/push.log" 2>&1 || push_fail=$((push_fail + 1))
        rm -rf "$W/site$pushes"
        next_push=$((t + PUSH_EVERY))
    fi
done
wait "$WRK" || fail "wrk failed: $(cat "$OUT/wrk.txt")"
origind_stop "$PID" || fail "origind did not exit 0"
"$ORIGIND" fsck --store "$W/store" >/dev/null || fail "fsck after the soak"

python3 - "$OUT" "$SECONDS_RUN" "$CONNS" "$pushes" "$push_fail" <<'PY' | tee "$OUT/soak-results.txt"
import re, sys
out, secs, conns, pushes, push_fail = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
wrk = open(out + "/wrk.txt").read()
reqs = int(re.search(r"(\d+) requests in", wrk).group(1))
rps = re.search(r"Requests/sec:\s+([\d.]+)", wrk).group(1)
sockerr = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", wrk)
errs = sum(int(x) for x in sockerr.groups()) if sockerr else 0
non2xx = int(re.search(r"Non-2xx or 3xx responses: (\d+)", wrk).group(1)) if "Non-2xx" in wrk else 0
lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", wrk, re.M))
rows = [l.split(",") for l in open(out + "/samples.csv").read().split("\n")[1:] if l]
rows = [(int(a), int(b), int(c), int(d)) for a, b, c, d in rows]
warm = [r for r in rows if r[0] > secs * 0.2]
base_anon, base_fd = warm[0][2], warm[0][3]
max_anon = max(r[2] for r in warm)
fd_span = max(abs(r[3] - base_fd) for r in warm)
growth = max_anon - base_anon
ok_mem = growth < max(8192, base_anon * 0.10)
ok_fd = fd_span <= 16
ok = errs == 0 and non2xx == 0 and push_fail == 0 and ok_mem and ok_fd
print("soak: %d s, %s connections: %d requests (%s/s), p50 %s p99 %s, socket errors %d, non-2xx/3xx %d"
      % (secs, conns, reqs, rps, lat.get("50", "?"), lat.get("99", "?"), errs, non2xx))
print("soak: %d pushes during the load, %d failed" % (pushes, push_fail))
print("soak: RssAnon after warm-up %d -> max %d KiB (growth %d KiB); VmRSS %d -> %d KiB (includes the growing store map)"
      % (base_anon, max_anon, growth, warm[0][1], rows[-1][1]))
print("soak: open fds after warm-up %d, max deviation %d" % (base_fd, fd_span))
print("soak: %s" % ("PASS" if ok else "FAIL"))
sys.exit(0 if ok else 1)
PY
