# peer_lib.sh - shared setup for the peer_* tests (tests/integration/peers/):
# real origind nodes on loopback sharing one admin token, sites pushed with
# the real origin-ingest, and byte-exact checks of every published path.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../lib.sh"

PEER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$(origind_tmpdir)"
export ORIGIN_INGEST_CACHE="$WORK/cache"
TOKEN_FILE="$WORK/token"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TOKEN_FILE"
chmod 600 "$TOKEN_FILE"
TOKEN="$(cat "$TOKEN_FILE")"

# start NAME STORE [ARGS...]: starts a node with the shared token; sets
# ADMIN_<NAME>, PUBLIC_<NAME>, PID_<NAME>, ERR_<NAME>.
start() {
    local name="$1" store="$2"
    shift 2
    origind_start "$store" --admin-token-file "$TOKEN_FILE" "$@" >/dev/null || fail "node $name did not start"
    printf -v "ADMIN_$name" %s "$NODE_ADMIN"
    printf -v "PUBLIC_$name" %s "$NODE_PUBLIC"
    printf -v "PID_$name" %s "$NODE_PID"
    printf -v "ERR_$name" %s "$NODE_STDERR"
}

# make_site DIR SEED NFILES: NFILES small files (css/js compressible, bin not).
make_site() {
    python3 - "$1" "$2" "$3" <<'PY'
import os, sys, random
root, seed, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(seed)
for d in ("css", "js", "bin"):
    os.makedirs(os.path.join(root, d), exist_ok=True)
for i in range(n):
    k = i % 3
    if k == 0:
        open(f"{root}/css/s{seed}_{i}.css", "w").write((".c%d{margin:%dpx}\n" % (i, seed)) * (20 + i % 50))
    elif k == 1:
        open(f"{root}/js/m{seed}_{i}.js", "w").write(("var v%d=%d;\n" % (i, seed)) * (30 + i % 70))
    else:
        open(f"{root}/bin/b{seed}_{i}.bin", "wb").write(bytes(rnd.getrandbits(8) for _ in range(200 + i % 900)))
PY
}

# push RELEASE DIR ADMIN_URL...: publishes DIR as RELEASE on every node given.
push() {
    local rel="$1" dir="$2" a args=()
    shift 2
    for a in "$@"; do args+=(--node "$a"); done
    "$ORIGIN_INGEST" push "${args[@]}" --token-file "$TOKEN_FILE" --release "$rel" \
        --jobs 4 "$dir" >"$WORK/push.out" 2>&1 || { cat "$WORK/push.out" >&2; fail "push $rel"; }
}

# healthz URL: the status code of GET URL/healthz.
healthz() {
    curl -s -o /dev/null -w '%{http_code}' "$1/healthz" || true
}

# wait_healthy PUBLIC SECONDS: waits for /healthz 200.
wait_healthy() {
    local i
    for i in $(seq 1 $(($2 * 10))); do
        [ "$(healthz "$1")" = 200 ] && return 0
        sleep 0.1
    done
    return 1
}

# check_releases REF_ADMIN PUBLIC: every path of every release on the
# reference node is served by PUBLIC with the release's bytes and type, and
# exactly as the reference node's own public listener serves it (status,
# bytes and every header that must be identical across nodes: ETag,
# Last-Modified, Content-Type, Content-Encoding, Content-Length, Cache-Control,
# Vary, ...), for identity, gzip and br; prints a count.
check_releases() {
    local v ref_public=""
    for v in ${!ADMIN_*}; do
        if [ "${!v}" = "$1" ]; then
            v="PUBLIC_${v#ADMIN_}"
            ref_public="${!v}"
        fi
    done
    [ -n "$ref_public" ] || { echo "check_releases: no node has admin URL $1" >&2; return 1; }
    python3 "$PEER_DIR/peer_check.py" "$TOKEN" "$1" "$2" "$ref_public"
}

# stat_of ADMIN KEY: a number from GET /v1/status .store.KEY
stat_of() {
    curl -sS -H "Authorization: Bearer $TOKEN" "$1/v1/status" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["store"][sys.argv[1]])' "$2"
}

# metric ADMIN NAME: the value of a Prometheus sample line starting with NAME
metric() {
    curl -sS -H "Authorization: Bearer $TOKEN" "$1/metrics" | awk -v n="$2" '$1 == n { print $2 }'
}
