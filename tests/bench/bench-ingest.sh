#!/usr/bin/env bash
# bench-ingest.sh - origin-ingest push vs rsync, both to 3 local receivers on one disk.
#
#   tests/bench/bench-ingest.sh [--record]      (not part of ctest: run it on purpose, alone)
#
# Generates a deterministic 5,000-file ~100 MB site (mixed sizes, text and binary), starts
# 3 origind nodes (LMDB stores on disk, every commit fsynced as always) and 3 `rsync --daemon`
# on loopback, then alternates runs of:
#   first push  origin-ingest --compress none to 3 fresh nodes  vs  3 parallel `rsync -a` to
#               3 empty daemon modules
#   compressed  first push with br+gzip (cold cache), and again on fresh nodes (warm cache)
#   unchanged   re-push of the same tree (every byte re-hashed) vs rsync re-sync
#   1% changed  50 files modified, new release vs rsync
#   20k files   a 20,000-file release, first push and unchanged re-push
#   scaling     first push and unchanged re-push to 1, 3, 8 fresh nodes (BENCH_NODES), with
#               the client's CPU time, the bytes it uploaded (measured by libcurl: every
#               request body it sent, retries and JSON included) and a least-squares line
#               (seconds per node) extrapolated to 50 nodes; with BENCH_SEED_NODES="K ..."
#               each node count is also pushed with --seed-nodes K (runner uploads to K
#               nodes, the others fetch from them), and the uploaded bytes are given as a
#               multiple of the site's new bytes
# and prints medians and ratios. --record appends them to tests/bench/RESULTS.md (## Ingest).
# Env: BENCH_DIR (default /var/tmp/origind-bench-ingest, must not be tmpfs), BENCH_RUNS (3),
#      BENCH_FILES (5000), BENCH_BIG_FILES (20000), ORIGIND_BIN_DIR (default build/bin),
#      BENCH_COMPRESS (1; 0 skips the br+gzip runs, which take minutes when the cache is cold),
#      BENCH_NODES ("1 3 8"; node counts of the scaling runs, "" skips them),
#      BENCH_SEED_NODES ("" ; seed counts K to push the scaling runs with too, e.g. "2"),
#      BENCH_ONLY ("" ; "scaling" runs only the scaling runs: no rsync, compression or 20k;
#      "tls" runs only the HTTPS comparison: first push and unchanged re-push to 3 fresh
#      nodes whose admin listener speaks plain HTTP, then to 3 whose admin listener speaks
#      HTTPS (ECDSA P-256, --cacert), alternated per run, and the ratio HTTPS/plain).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
RECORD=0
[ "${1:-}" = "--record" ] && RECORD=1
export ORIGIND_LIB_NO_TRAP=1
. "$REPO/tests/lib.sh"
trap 'bench_cleanup' EXIT

B="${BENCH_DIR:-/var/tmp/origind-bench-ingest}"
RUNS="${BENCH_RUNS:-3}"
NFILES="${BENCH_FILES:-5000}"
NBIG="${BENCH_BIG_FILES:-20000}"
COMPRESS="${BENCH_COMPRESS:-1}"
SCALE_NODES="${BENCH_NODES-1 3 8}"
SEED_KS="${BENCH_SEED_NODES-}"
ONLY="${BENCH_ONLY-}"
rm -rf "$B"
mkdir -p "$B"
FSTYPE="$(stat -f -c %T "$B")"
[ "$FSTYPE" != tmpfs ] || { echo "bench: $B is tmpfs; use a disk (BENCH_DIR)" >&2; exit 1; }
ING="$ORIGIND_BIN_DIR/origin-ingest"
[ -x "$ING" ] && [ -x "$ORIGIND" ] || { echo "bench: build origind and origin-ingest first" >&2; exit 1; }
export ORIGIN_INGEST_CACHE="$B/cache"
RSYNC_PIDS=()
BENCH_HOST_NOTE="$(nproc) cores, $(uname -r)"
LOAD_START="$(cut -d" " -f1-3 /proc/loadavg)"

bench_cleanup() {
    local p
    for p in "${RSYNC_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    origind_cleanup
    rm -rf "$B"
}

gen_site() { # gen_site DIR NFILES SEED TARGET_BYTES
    python3 - "$@" <<'PY'
import os, random, sys
root, n, seed, target = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
rnd = random.Random(seed)
words = [("w%d" % i) * (1 + i % 5) for i in range(3000)]
total = 0
for i in range(n):
    d = os.path.join(root, "d%02d" % (i % 50), "s%d" % (i % 7))
    os.makedirs(d, exist_ok=True)
    r = rnd.random()
    # Mostly small files, a few large ones; the raw mix averages ~34 KB, scaled to the target.
    if r < 0.70:
        size = rnd.randint(200, 12000)
    elif r < 0.97:
        size = rnd.randint(12000, 60000)
    elif r < 0.995:
        size = rnd.randint(60000, 800000)
    else:
        size = rnd.randint(800000, 3000000)
    size = max(0, int(size * target / n / 34000.0))
    if i % 3 == 0:  # binary (images, fonts)
        ext = rnd.choice([".png", ".jpg", ".woff2", ".webp"])
        data = rnd.randbytes(size)
    else:           # text (css, js, json, svg, html)
        ext = rnd.choice([".css", ".js", ".json", ".svg", ".html", ".map"])
        out, ln = [], 0
        while ln < size:
            w = rnd.choice(words)
            out.append(w); ln += len(w) + 1
        data = (" ".join(out))[:size].encode()
    with open(os.path.join(d, "f%05d%s" % (i, ext)), "wb") as f:
        f.write(data)
    total += len(data)
print(total)
PY
}

now() { date +%s.%N; }
median() { python3 -c 'import sys,statistics; v=[float(x) for x in sys.argv[1:]]; print("%.3f" % statistics.median(v))' "$@"; }
ratio() { python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"; }

TOKEN_FILE="$B/token"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TOKEN_FILE"
chmod 600 "$TOKEN_FILE"
NODE_PIDS=()
NODE_ARGS=()
TLS_ARGS=() # start_nodes with NODE_TLS=1: the admin listener speaks HTTPS
start_nodes() { # start_nodes TAG [N]: N (3) fresh nodes
    local i
    NODE_ARGS=()
    NODE_PIDS=()
    for i in $(seq 0 $((${2:-3} - 1))); do
        origind_start "$B/store-$1-$i" --admin-token-file "$TOKEN_FILE" "${TLS_ARGS[@]}" >/dev/null
        NODE_ARGS+=(--node "$NODE_ADMIN")
        NODE_PIDS+=("$NODE_PID")
    done
    [ "${#TLS_ARGS[@]}" = 0 ] || NODE_ARGS+=(--cacert "$B/certs/ca.pem")
}
stop_nodes() {
    local p
    for p in "${NODE_PIDS[@]}"; do origind_kill "$p"; done
    rm -rf "$B"/store-*
}
RPORTS=()
start_rsyncd() { # 3 daemons, each with module "site" -> $B/rsync-dst-i
    local i port
    for i in 0 1 2; do
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        mkdir -p "$B/rsync-dst-$i"
        cat >"$B/rsyncd-$i.conf" <<CONF
pid file = $B/rsyncd-$i.pid
use chroot = no
[site]
path = $B/rsync-dst-$i
read only = no
uid = $(id -un)
gid = $(id -gn)
CONF
        rsync --daemon --no-detach --address 127.0.0.1 --port "$port" --config "$B/rsyncd-$i.conf" &
        RSYNC_PIDS+=("$!")
        RPORTS+=("$port")
    done
    sleep 0.5
}
rsync_push() { # rsync_push SRC: 3 in parallel, like rsync to 3 hosts
    local i pids=()
    for i in 0 1 2; do
        rsync -a "$1/" "rsync://127.0.0.1:${RPORTS[$i]}/site/" &
        pids+=("$!")
    done
    for i in "${pids[@]}"; do wait "$i"; done
}
rsync_clear() { local i; for i in 0 1 2; do rm -rf "$B/rsync-dst-$i"; mkdir -p "$B/rsync-dst-$i"; done; }
ingest() { # ingest RELEASE DIR [ARGS...]; fails the bench on a non-zero exit
    local rel="$1" dir="$2"
    shift 2
    "$ING" push "${NODE_ARGS[@]}" --token-file "$TOKEN_FILE" --release "$rel" --quiet "$@" "$dir"
}

echo "bench: generating $NFILES files in $B/site ($FSTYPE)"
BYTES=$(gen_site "$B/site" "$NFILES" 1 "$((NFILES * 20000))")
echo "bench: $BYTES bytes"
# emit_report: prints $REPORT; with --record, adds it to RESULTS.md's "## Ingest"
emit_report() {
    echo
    echo "$REPORT"
    if [ "$RECORD" = 1 ]; then
        R="$HERE/RESULTS.md"
        [ -f "$R" ] || printf '# Benchmark results\n' >"$R"
        grep -q '^## Ingest' "$R" || printf '\n## Ingest\n' >>"$R"
        python3 - "$R" "$(date -u +%Y-%m-%dT%H:%MZ)" "$(git -C "$REPO" rev-parse --short HEAD)" \
            "${ONLY:+BENCH_ONLY=$ONLY }tests/bench/bench-ingest.sh --record" "$(lscpu | sed -n 's/^Model name: *//p')" \
            "$REPORT" <<'PY'
import sys
path, when, rev, cmd, cpu, report = sys.argv[1:7]
text = open(path).read()
start = text.index("## Ingest")
nxt = text.find("\n## ", start + 1)
section_end = len(text) if nxt < 0 else nxt
entry = "\n### %s (commit %s, %s)\n\nCommand: `%s`\n\n%s\n" % (when, rev, cpu, cmd, report)
text = text[:section_end].rstrip("\n") + "\n" + entry + text[section_end:]
open(path, "w").write(text)
PY
        echo "bench: recorded in $R"
    fi
}
if [ "$ONLY" = tls ]; then
    tls_make_certs "$B/certs" || { echo "bench: openssl could not make the certificates" >&2; exit 1; }
    declare -a P1=() P0=() H1=() H0=()
    for run in $(seq 1 "$RUNS"); do
        echo "bench: run $run/$RUNS (plain and HTTPS admin listeners)"
        for mode in $( [ $((run % 2)) = 1 ] && echo "plain tls" || echo "tls plain"); do
            if [ "$mode" = tls ]; then
                TLS_ARGS=(--admin-tls-cert "$B/certs/server.pem" --admin-tls-key "$B/certs/server.key")
            else
                TLS_ARGS=()
            fi
            start_nodes "$mode$run"
            sync
            t=$(now); ingest r1 "$B/site" --compress none; first="$(echo "$(now) - $t" | bc)"
            t=$(now); ingest r1 "$B/site" --compress none; again="$(echo "$(now) - $t" | bc)"
            stop_nodes
            if [ "$mode" = tls ]; then H1+=("$first"); H0+=("$again"); else P1+=("$first"); P0+=("$again"); fi
        done
    done
    TLS_ARGS=()
    p1=$(median "${P1[@]}"); p0=$(median "${P0[@]}"); h1=$(median "${H1[@]}"); h0=$(median "${H0[@]}")
    REPORT="$(cat <<TXT
Site: $NFILES files, $BYTES bytes ($FSTYPE, $BENCH_HOST_NOTE); 3 fresh origind nodes on loopback, --compress none; $RUNS alternated runs, medians (seconds). Admin listener plain HTTP vs HTTPS (--admin-tls-cert, ECDSA P-256; origin-ingest --cacert). Load average (1/5/15 min) at start: $LOAD_START, at end: $(cut -d" " -f1-3 /proc/loadavg).

| case | plain HTTP | HTTPS | HTTPS / plain |
|---|---:|---:|---:|
| first push | $p1 | $h1 | $(ratio "$h1" "$p1") |
| unchanged re-push | $p0 | $h0 | $(ratio "$h0" "$p0") |

raw: plain first [${P1[*]}] again [${P0[*]}]; HTTPS first [${H1[*]}] again [${H0[*]}]
TXT
)"
    emit_report
    exit 0
fi
if [ "$ONLY" != scaling ]; then
cp -a "$B/site" "$B/site-changed"
python3 - "$B/site-changed" <<'PY'
import os, sys
root = sys.argv[1]
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)
for p in files[:: max(1, len(files) // 50)][:50]:   # 1% of the files
    with open(p, "ab") as f:
        f.write(b"/* changed */")
PY
start_rsyncd

declare -a T_RS1 T_IN1 T_RS0 T_IN0 T_RSC T_INC T_CZC T_CZW
for run in $(seq 1 "$RUNS"); do
    echo "bench: run $run/$RUNS"
    # Alternate which tool goes first.
    for who in $( [ $((run % 2)) = 1 ] && echo "rsync ingest" || echo "ingest rsync"); do
        if [ "$who" = rsync ]; then
            rsync_clear
            sync
            t=$(now); rsync_push "$B/site"; T_RS1+=("$(echo "$(now) - $t" | bc)")
            t=$(now); rsync_push "$B/site"; T_RS0+=("$(echo "$(now) - $t" | bc)")
            t=$(now); rsync_push "$B/site-changed"; T_RSC+=("$(echo "$(now) - $t" | bc)")
        else
            start_nodes "r$run"
            sync
            t=$(now); ingest r1 "$B/site" --compress none; T_IN1+=("$(echo "$(now) - $t" | bc)")
            t=$(now); ingest r1 "$B/site" --compress none; T_IN0+=("$(echo "$(now) - $t" | bc)")
            t=$(now); ingest r2 "$B/site-changed" --compress none; T_INC+=("$(echo "$(now) - $t" | bc)")
            stop_nodes
        fi
    done
    # Compression: cold cache then warm cache, each onto fresh nodes.
    if [ "$COMPRESS" = 1 ]; then
        rm -rf "$ORIGIN_INGEST_CACHE"
        start_nodes "c$run"
        sync
        t=$(now); ingest r1 "$B/site"; T_CZC+=("$(echo "$(now) - $t" | bc)")
        stop_nodes
        start_nodes "w$run"
        sync
        t=$(now); ingest r1 "$B/site"; T_CZW+=("$(echo "$(now) - $t" | bc)")
        stop_nodes
    else
        T_CZC+=(0); T_CZW+=(0)
    fi
done

echo "bench: generating $NBIG files"
BIGBYTES=$(gen_site "$B/site20k" "$NBIG" 2 100000000)
declare -a T_BIG1 T_BIG0
start_nodes big
sync
t=$(now); ingest big "$B/site20k" --compress none; T_BIG1+=("$(echo "$(now) - $t" | bc)")
for run in $(seq 1 "$RUNS"); do
    t=$(now); ingest big "$B/site20k" --compress none; T_BIG0+=("$(echo "$(now) - $t" | bc)")
done
stop_nodes
fi

# Scaling with the number of nodes: fresh nodes, first push then unchanged re-push, the
# client's user+system CPU (GNU time) and the upload bytes its --json summary reports.
SCALE_ROWS=""
SCALE_PTS=""
SEED_PTS=""
for n in $SCALE_NODES; do
  for k in 0 $SEED_KS; do
    [ "$k" = 0 ] || [ "$k" -lt "$n" ] || continue
    declare -a S1=() S0=() SC=() SU=()
    sbytes=0
    for run in $(seq 1 "$RUNS"); do
        start_nodes "n$n-$run" "$n"
        sync
        t=$(now)
        /usr/bin/time -f "%U %S" -o "$B/time.txt" "$ING" push "${NODE_ARGS[@]}" --token-file "$TOKEN_FILE" \
            --release r1 --quiet --json --compress none --seed-nodes "$k" "$B/site" >"$B/push.json"
        S1+=("$(echo "$(now) - $t" | bc)")
        SC+=("$(awk '{print $1 + $2}' "$B/time.txt")")
        # measured: libcurl's upload counter summed over every transfer (bodies, JSON, retries)
        SU+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["uploaded_bytes"])' "$B/push.json")")
        sbytes=$(python3 -c 'import json,sys; print(sum(n["bytes_sent"] for n in json.load(open(sys.argv[1]))["nodes"]))' "$B/push.json")
        t=$(now); ingest r1 "$B/site" --compress none; S0+=("$(echo "$(now) - $t" | bc)")
        stop_nodes
    done
    m1=$(median "${S1[@]}"); m0=$(median "${S0[@]}"); mc=$(median "${SC[@]}"); mu=$(median "${SU[@]}")
    if [ "$k" = 0 ]; then SCALE_PTS="$SCALE_PTS $n:$m1:$m0"; else SEED_PTS="$SEED_PTS $n:$m1:$m0"; fi
    SCALE_ROWS="$SCALE_ROWS| $n | $k | $m1 | $(python3 -c 'import sys; print("%.3f" % (float(sys.argv[1]) / int(sys.argv[2])))' "$m1" "$n") | $mc | $(python3 -c 'import sys; print("%.1f" % (float(sys.argv[1]) / 1e6))' "$mu") | $(ratio "$mu" "$BYTES") | $((sbytes / 1000000)) | $m0 |
"
  done
done
SCALE_FIT=""
if [ -n "$SCALE_PTS" ]; then
    SCALE_FIT="$(python3 - $SCALE_PTS <<'PY'
import sys
pts = [tuple(float(x) for x in a.split(":")) for a in sys.argv[1:]]
def fit(ys):
    xs = [p[0] for p in pts]
    if len(set(xs)) < 2:
        return None
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return my - b * mx, b
f1, f0 = fit([p[1] for p in pts]), fit([p[2] for p in pts])
if f1 is None:
    print("(one node count: no fit)")
else:
    print("Least squares: first push %.3f s + %.3f s/node (50 nodes: %.1f s); unchanged re-push "
          "%.3f s + %.4f s/node (50 nodes: %.2f s)." % (f1[0], f1[1], f1[0] + 50 * f1[1], f0[0], f0[1], f0[0] + 50 * f0[1]))
PY
)"
fi
if [ -n "$SEED_PTS" ]; then
    SCALE_FIT="$SCALE_FIT
With --seed-nodes $SEED_KS: $(python3 - $SEED_PTS <<'PY'
import sys
pts = [tuple(float(x) for x in a.split(":")) for a in sys.argv[1:]]
xs, ys = [p[0] for p in pts], [p[1] for p in pts]
if len(set(xs)) < 2:
    print("(one node count: no fit)")
else:
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    print("first push %.3f s + %.3f s/node (50 nodes: %.1f s); wall time at the largest count / the smallest: %.2fx."
          % (my - b * mx, b, my - b * mx + 50 * b, ys[-1] / ys[0]))
PY
)"
fi
SCALE_TABLE="| nodes | seed nodes K | first push (s) | per node (s) | client CPU (s) | uploaded, measured (MB) | uploaded / new bytes | blob bytes acknowledged (MB) | unchanged re-push (s) |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|
$SCALE_ROWS
$SCALE_FIT"

if [ "$ONLY" = scaling ]; then
REPORT="$(cat <<TXT
Site: $NFILES files, $BYTES bytes ($FSTYPE, $BENCH_HOST_NOTE); scaling runs only (BENCH_ONLY=scaling), $RUNS run(s) each, medians. Load average (1/5/15 min) at start: $LOAD_START, at end: $(cut -d" " -f1-3 /proc/loadavg). Fresh nodes on loopback, --compress none; client CPU = origin-ingest's user+system seconds; uploaded = libcurl's CURLINFO_SIZE_UPLOAD_T summed over every transfer the runner made (blob bodies, JSON requests, retries).

$SCALE_TABLE
TXT
)"
else
RS1=$(median "${T_RS1[@]}"); IN1=$(median "${T_IN1[@]}")
RS0=$(median "${T_RS0[@]}"); IN0=$(median "${T_IN0[@]}")
RSC=$(median "${T_RSC[@]}"); INC=$(median "${T_INC[@]}")
CZC=$(median "${T_CZC[@]}"); CZW=$(median "${T_CZW[@]}")
BIG1=$(median "${T_BIG1[@]}"); BIG0=$(median "${T_BIG0[@]}")
REPORT="$(cat <<TXT
Site: $NFILES files, $BYTES bytes ($FSTYPE, $BENCH_HOST_NOTE); 3 origind nodes vs 3 rsync daemons on loopback, same disk; $RUNS alternated runs, medians (seconds). Load average (1/5/15 min) at start: $LOAD_START, at end: $(cut -d" " -f1-3 /proc/loadavg).

| case | origin-ingest | rsync x3 | ratio (ingest/rsync) |
|---|---|---|---|
| first push, --compress none | $IN1 | $RS1 | $(ratio "$IN1" "$RS1") |
| unchanged re-push (all bytes re-hashed) | $IN0 | $RS0 | $(ratio "$IN0" "$RS0") |
| 1% of files changed (new release) | $INC | $RSC | $(ratio "$INC" "$RSC") |
| first push, br+gzip, cold compression cache | $CZC | | |
| first push, br+gzip, warm cache (fresh nodes) | $CZW | | |
| 20,000-file release ($BIGBYTES bytes), first push, --compress none | $BIG1 | | |
| 20,000-file release, unchanged re-push | $BIG0 | | |

Scaling with the number of nodes (fresh nodes on this machine, --compress none; client CPU = origin-ingest's user+system seconds; uploaded = libcurl's upload counter summed over every transfer; blob bytes = request bytes every node acknowledged):

$SCALE_TABLE

raw: first ingest [${T_IN1[*]}] rsync [${T_RS1[*]}]; unchanged ingest [${T_IN0[*]}] rsync [${T_RS0[*]}]; changed ingest [${T_INC[*]}] rsync [${T_RSC[*]}]; br+gzip cold [${T_CZC[*]}] warm [${T_CZW[*]}]; 20k re-push [${T_BIG0[*]}]
TXT
)"
fi
emit_report
