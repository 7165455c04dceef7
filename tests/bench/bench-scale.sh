#!/usr/bin/env bash
# bench-scale.sh - the rest of the system at scale (GitHub issue 19, part 3): each operation timed
# at two or more sizes, with its memory, to show it grows no worse than linearly.
#
#   tests/bench/bench-scale.sh [BUILD_DIR]      (not part of ctest: run it on purpose, alone)
#
# BUILD_DIR (default build/; configured and built if needed) provides bench_lookup; origind and
# origin-ingest come from $ORIGIND_BIN_DIR if set, else BUILD_DIR/bin.
# Phases (BENCH_SCALE_PHASES, default "push catchup"), every size of each list in turn:
#   push     for F in BENCH_SCALE_FILES ("10000 100000"): a release of F files (512 B-4 KiB,
#            deterministic, in 100 directories) pushed by the real
#            `origin-ingest push --node A --node B --node C --token-file T --release rF
#            --compress none --cache-dir none --quiet SITE` to 3 fresh nodes (ORIGIN_INGEST_TIMING=1
#            gives the phases: hash, missing, upload, publish); the same push again (unchanged:
#            every file re-hashed, nothing missing, publish a no-op); `origin-ingest verify` of
#            it against the 3 nodes; then, nodes stopped, `origind fsck` and `origind backup`
#            of node A's store.
#   catchup  for N in BENCH_SCALE_BLOBS ("100000 1000000"): a peer serving a store of N blobs
#            (`bench_lookup --build-only --size N`: 1-2 KiB blobs, releases of 10,000 paths)
#            and an empty node `origind serve --peer PEER --peer-interval I` started beside it:
#            time until its /healthz says 200 (polled every 0.2 s; its blob and release counts
#            at the first 200 must be the peer's, and no 200 may come before); then the CPU
#            both spend on anti-entropy over BENCH_SCALE_AE_SECONDS (20) at I =
#            BENCH_SCALE_AE_INTERVAL (1) s, per interval; then fsck and backup of the peer's
#            store.
# Memory: the peak RSS of every command (/usr/bin/time), and of every node VmHWM plus the
# largest RssAnon (private memory; the rest of VmRSS is the LMDB map, i.e. page cache) sampled
# every 0.2 s while it works. fsck/backup read a store that is in the page cache (just written),
# so they measure CPU and copying, not the disk.
# Env: BENCH_DIR (mktemp in /var/tmp) BENCH_KEEP=1 (keep it; stores are reused when present)
#      BENCH_SCALE_FILES BENCH_SCALE_BLOBS BENCH_SCALE_PHASES BENCH_SCALE_AE_SECONDS
#      BENCH_SCALE_AE_INTERVAL. Results: one row per measurement in BENCH_DIR/scale.tsv
#      (appended: run it once per size to keep each run short) and a table on stdout.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BUILD="$(cd "${1:-$REPO/build}" 2>/dev/null && pwd || echo "${1:-$REPO/build}")"
FILES="${BENCH_SCALE_FILES:-10000 100000}"
BLOBS="${BENCH_SCALE_BLOBS:-100000 1000000}"
PHASES="${BENCH_SCALE_PHASES:-push catchup}"
AE_SECS="${BENCH_SCALE_AE_SECONDS:-20}"
AE_INT="${BENCH_SCALE_AE_INTERVAL:-1}"

for t in cmake python3 curl; do
    command -v "$t" >/dev/null || { echo "bench-scale: $t not found" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "bench-scale: /usr/bin/time not found (Debian package time)" >&2; exit 1; }
[ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
if [ -n "${ORIGIND_BIN_DIR:-}" ]; then
    cmake --build "$BUILD" -j2 --target bench_lookup >/dev/null
else
    cmake --build "$BUILD" -j2 --target origind origin-ingest bench_lookup >/dev/null
    export ORIGIND_BIN_DIR="$BUILD/bin"
fi
export ORIGIND_LIB_NO_TRAP=1
. "$REPO/tests/lib.sh"

if [ -n "${BENCH_DIR:-}" ]; then B="$BENCH_DIR"; mkdir -p "$B"; else B="$(mktemp -d /var/tmp/origind-bench-scale.XXXXXX)"; fi
SAMPLERS=()
cleanup() {
    local p
    for p in "${SAMPLERS[@]}"; do kill "$p" 2>/dev/null || true; done
    origind_cleanup
    rm -rf "$B"/n-* "$B"/catchup-* "$B"/*.backup
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench-scale: kept $B"; else rm -rf "$B"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
TOKEN_FILE="$B/token"
[ -f "$TOKEN_FILE" ] || { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TOKEN_FILE"; chmod 600 "$TOKEN_FILE"; }
TOKEN="$(cat "$TOKEN_FILE")"
RES="$B/scale.tsv"
touch "$RES"

now() { date +%s.%N; }
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
hz="$(getconf CLK_TCK)"
kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }
# sampler PID FILE: writes the largest RssAnon (KiB) of PID seen every 0.2 s to FILE
sampler() {
    local m=0 v
    while kill -0 "$1" 2>/dev/null; do
        v="$(kib "$1" RssAnon 2>/dev/null || echo 0)"
        [ -n "$v" ] && [ "$v" -gt "$m" ] && { m="$v"; echo "$m" >"$2"; }
        sleep 0.2
    done
}
start_sampler() { echo 0 >"$2"; sampler "$1" "$2" & SAMPLERS+=("$!"); }
# row OP SIZE UNIT SECONDS PEAK_RSS_KIB NOTE: one measurement
row() {
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%H:%M)" "$@" >>"$RES"
    printf '  %-28s %9s %-6s %9.3f s  peak RSS %8s KiB  %s\n' "$1" "$2" "$3" "$4" "$5" "$6"
}
# timed OUT CMD...: runs CMD under /usr/bin/time; sets T_WALL, T_RSS (KiB), T_CPU; CMD's
# stdout+stderr in OUT
timed() {
    local out="$1" rc=0
    shift
    /usr/bin/time -o "$out.time" -f '%e %M %U %S' "$@" >"$out" 2>&1 || rc=$?
    read -r T_WALL T_RSS u s <"$out.time"
    T_CPU="$(echo "$u + $s" | bc)"
    return $rc
}
data_bytes() { stat -c %s "$1/data.mdb"; }
fsck_backup() { # fsck_backup STORE SIZE: fsck and backup of a store whose nodes are stopped
    local st="$1" n="$2" bytes gb
    bytes="$(data_bytes "$st")"
    gb="$(echo "scale=4; $bytes / 1000000000" | bc)"
    timed "$B/fsck.out" "$ORIGIND" fsck --store "$st" || { cat "$B/fsck.out" >&2; fail "fsck $st"; }
    row fsck "$n" blobs "$T_WALL" "$T_RSS" "data.mdb $bytes B; $(echo "scale=2; $T_WALL / $gb" | bc) s/GB; cpu ${T_CPU}s"
    rm -f "$B/s.backup"
    timed "$B/backup.out" "$ORIGIND" backup --store "$st" --out "$B/s.backup" ||
        { cat "$B/backup.out" >&2; fail "backup $st"; }
    row backup "$n" blobs "$T_WALL" "$T_RSS" "$(echo "scale=2; $T_WALL / $gb" | bc) s/GB; out $(stat -c %s "$B/s.backup") B; cpu ${T_CPU}s"
    rm -f "$B/s.backup"
}

echo "== bench-scale in $B ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $("$ORIGIND" --version 2>&1 | head -1))"
for phase in $PHASES; do
    case "$phase" in
    push)
        for F in $FILES; do
            site="$B/site-$F"
            if [ ! -f "$site/.done" ]; then
                python3 - "$site" "$F" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(n)
for d in range(100):
    os.makedirs(os.path.join(root, "d%02d" % d), exist_ok=True)
for i in range(n):
    with open(os.path.join(root, "d%02d" % (i % 100), "f%07d.css" % i), "w") as f:
        k = rnd.randint(512, 4096)
        f.write(rnd.randbytes((k + 1) // 2).hex()[:k])
        f.write("/* %d */\n" % i)
open(os.path.join(root, ".done"), "w").close()
PY
            fi
            echo "== push: $F files ($(du -sb --exclude=.done "$site" | cut -f1) bytes) to 3 nodes"
            rm -rf "$B"/n-*
            NODE_ARGS=()
            NPIDS=()
            for i in a b c; do
                origind_start "$B/n-$i" --admin-token-file "$TOKEN_FILE" --log-level warn >/dev/null
                NODE_ARGS+=(--node "$NODE_ADMIN")
                NPIDS+=("$NODE_PID")
                start_sampler "$NODE_PID" "$B/rss.$i"
            done
            c0=0
            for p in "${NPIDS[@]}"; do c0=$((c0 + $(cpu_ticks "$p"))); done
            ING=("$ORIGIN_INGEST" push "${NODE_ARGS[@]}" --token-file "$TOKEN_FILE" --release "r$F"
                --compress none --cache-dir none --quiet "$site")
            ORIGIN_INGEST_TIMING=1 timed "$B/push.out" "${ING[@]}" || { cat "$B/push.out" >&2; fail "push"; }
            c1=0
            for p in "${NPIDS[@]}"; do c1=$((c1 + $(cpu_ticks "$p"))); done
            phases="$(awk '/timing:/ { printf "%s %s, ", $3, $4 }' "$B/push.out")"
            row "push first (3 nodes)" "$F" files "$T_WALL" "$T_RSS" "client cpu ${T_CPU}s; nodes cpu $(echo "scale=2; ($c1 - $c0) / $hz" | bc)s; ms: ${phases%, }"
            ORIGIN_INGEST_TIMING=1 timed "$B/push.out" "${ING[@]}" || { cat "$B/push.out" >&2; fail "re-push"; }
            phases="$(awk '/timing:/ { printf "%s %s, ", $3, $4 }' "$B/push.out")"
            row "push unchanged (3 nodes)" "$F" files "$T_WALL" "$T_RSS" "client cpu ${T_CPU}s; ms: ${phases%, }"
            timed "$B/verify.out" "$ORIGIN_INGEST" verify "${NODE_ARGS[@]}" --token-file "$TOKEN_FILE" --release "r$F" ||
                { cat "$B/verify.out" >&2; fail "verify"; }
            row "verify (3 nodes)" "$F" files "$T_WALL" "$T_RSS" "client cpu ${T_CPU}s"
            j=0
            for i in a b c; do
                row "node $i during push+verify" "$F" files 0 "$(kib "${NPIDS[$j]}" VmHWM)" "VmHWM; max RssAnon $(cat "$B/rss.$i") KiB"
                j=$((j + 1))
            done
            for p in "${NPIDS[@]}"; do origind_stop "$p" >/dev/null 2>&1 || true; done
            fsck_backup "$B/n-a" "$F"
            rm -rf "$B"/n-*
        done
        ;;
    catchup)
        for N in $BLOBS; do
            echo "== catch-up: an empty node from a peer holding $N blobs"
            "$BUILD/bin/bench_lookup" --build-only --size "$N" "$B" >/dev/null
            peer_store="$B/s$N"
            origind_start "$peer_store" --admin-token-file "$TOKEN_FILE" --log-level warn >/dev/null
            PEER_PID="$NODE_PID"
            PEER_ADMIN="$NODE_ADMIN"
            status() { curl -sS -H "Authorization: Bearer $TOKEN" "$1/v1/status"; }
            read -r want_blobs want_rel < <(status "$PEER_ADMIN" |
                python3 -c 'import json,sys; s=json.load(sys.stdin)["store"]; print(s["blobs"], s["releases"])')
            start_sampler "$PEER_PID" "$B/rss.peer"
            rm -rf "$B/catchup-$N"
            p0="$(cpu_ticks "$PEER_PID")"
            t0="$(now)"
            origind_start "$B/catchup-$N" --admin-token-file "$TOKEN_FILE" --log-level warn \
                --peer "$PEER_ADMIN" --peer-interval "$AE_INT" --peer-timeout 0 >/dev/null
            D_PID="$NODE_PID"
            D_PUBLIC="$NODE_PUBLIC"
            D_ADMIN="$NODE_ADMIN"
            start_sampler "$D_PID" "$B/rss.d"
            polls=0
            while :; do
                code="$(curl -s -o /dev/null -w '%{http_code}' "$D_PUBLIC/healthz" || true)"
                [ "$code" = 200 ] && break
                [ "$code" = 503 ] || fail "healthz during catch-up: $code"
                polls=$((polls + 1))
                kill -0 "$D_PID" 2>/dev/null || fail "catching-up node died"
                sleep 0.2
            done
            t1="$(now)"
            read -r got_blobs got_rel < <(status "$D_ADMIN" |
                python3 -c 'import json,sys; s=json.load(sys.stdin)["store"]; print(s["blobs"], s["releases"])')
            [ "$got_blobs" = "$want_blobs" ] && [ "$got_rel" = "$want_rel" ] ||
                fail "first healthz 200 with $got_blobs/$want_blobs blobs, $got_rel/$want_rel releases"
            secs="$(echo "$t1 - $t0" | bc)"
            d_cpu="$(echo "scale=2; $(cpu_ticks "$D_PID") / $hz" | bc)"
            p_cpu="$(echo "scale=2; ($(cpu_ticks "$PEER_PID") - $p0) / $hz" | bc)"
            row "catch-up (healthz 200)" "$N" blobs "$secs" "$(kib "$D_PID" VmHWM)" \
                "$polls polls said 503 first; at the first 200: $got_blobs blobs, $got_rel releases (= peer); $(echo "scale=0; $N / $secs" | bc) blobs/s; node cpu ${d_cpu}s, max RssAnon $(cat "$B/rss.d") KiB; peer cpu ${p_cpu}s, VmHWM $(kib "$PEER_PID" VmHWM) KiB, max RssAnon $(cat "$B/rss.peer") KiB"
            d0="$(cpu_ticks "$D_PID")"
            p0="$(cpu_ticks "$PEER_PID")"
            sleep "$AE_SECS"
            d1="$(cpu_ticks "$D_PID")"
            p1="$(cpu_ticks "$PEER_PID")"
            ivals="$(echo "$AE_SECS / $AE_INT" | bc)"
            row "anti-entropy per interval" "$N" blobs "$(echo "scale=5; ($d1 - $d0 + $p1 - $p0) / $hz / $ivals" | bc)" "$(kib "$D_PID" VmHWM)" \
                "cpu s per interval (node + peer), $ivals intervals of ${AE_INT}s: node $(echo "scale=2; ($d1 - $d0) / $hz" | bc)s, peer $(echo "scale=2; ($p1 - $p0) / $hz" | bc)s in ${AE_SECS}s"
            origind_stop "$D_PID" >/dev/null 2>&1 || true
            origind_stop "$PEER_PID" >/dev/null 2>&1 || true
            rm -rf "$B/catchup-$N"
            fsck_backup "$peer_store" "$N"
        done
        ;;
    *) echo "bench-scale: unknown phase $phase" >&2; exit 2 ;;
    esac
done
echo
echo "== all rows so far ($RES): time, operation, size, unit, seconds, peak RSS KiB, notes"
cat "$RES"
