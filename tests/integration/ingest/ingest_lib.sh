# ingest_lib.sh - shared setup for the ingest_* integration tests: the real
# origin-ingest against real origind nodes on loopback (sources ../../lib.sh).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../lib.sh"

WORK="$(origind_tmpdir)"
export ORIGIN_INGEST_CACHE="$WORK/cache"
# No ORIGIN_INGEST_* from the caller's environment may change what a test means.
for v in $(env | sed -n 's/^\(ORIGIN_INGEST_[A-Z_]*\)=.*/\1/p'); do
    [ "$v" = ORIGIN_INGEST_CACHE ] || unset "$v"
done

ingest() {
    "$ORIGIN_INGEST" "$@"
}

# start_nodes N: starts N nodes sharing one token; sets ADMIN[i], PUBLIC[i], PIDS[i], TOKEN_FILE.
ADMIN=()
PUBLIC=()
PIDS=()
start_nodes() {
    local i
    TOKEN_FILE="$WORK/token"
    [ -f "$TOKEN_FILE" ] || { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TOKEN_FILE"; chmod 600 "$TOKEN_FILE"; }
    for i in $(seq 0 $(($1 - 1))); do
        origind_start "$WORK/store$i" --admin-token-file "$TOKEN_FILE" >/dev/null || fail "node $i did not start"
        ADMIN[$i]="$NODE_ADMIN"
        PUBLIC[$i]="$NODE_PUBLIC"
        PIDS[$i]="$NODE_PID"
    done
}

node_args() {
    local a
    for a in "${ADMIN[@]}"; do printf -- '--node\n%s\n' "$a"; done
}

# run_ingest OUTVAR ARGS...: runs origin-ingest, stdout to $WORK/out, stderr to $WORK/err,
# exit status in $RC (never aborts the test).
run_ingest() {
    set +e
    "$ORIGIN_INGEST" "$@" >"$WORK/out" 2>"$WORK/err"
    RC=$?
    set -e
}

json_get() { # json_get FILE PYEXPR  (d is the document)
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

# check_manifest MANIFEST DIR PUBLIC_URL: every URL serves exactly the bytes of its source file.
check_manifest() {
    python3 - "$1" "$2" "$3" <<'PY'
import json, sys, urllib.request, hashlib
man, root, base = sys.argv[1], sys.argv[2], sys.argv[3]
m = json.load(open(man))
bad = 0
for src, v in m.items():
    url = v if isinstance(v, str) else v["url"]
    want = open(root + "/" + src, "rb").read()
    req = urllib.request.Request(base + url, headers={"Accept-Encoding": "identity"})
    with urllib.request.urlopen(req) as r:
        got = r.read()
    if got != want:
        print("wrong bytes at", url, "for", src); bad += 1
print("checked", len(m), "urls")
sys.exit(1 if bad else 0)
PY
}
