#!/usr/bin/env bash
# faults.sh - store fault injection seen from the server (issue 7, part 2).
#
# For each fault point (alloc, write, commit) and N = 1, 2, ...: start origind
# on a copy of a store holding release r1, with ORIGIND_FAULT=<point>:N (the
# N-th store call at that point fails), and run one upload-and-publish
# sequence over the admin API (missing, bundle with a gzip variant, single
# blob, variant, release r2). Then check:
#   - every step before the failure answered 2xx, and the failing step a clear
#     5xx (500/503/507) with a JSON "error": never a 4xx blaming the client;
#   - the store reports every fault that fires (origind_faults_fired_total in
#     /metrics): a fault fired exactly when some answer was a 5xx, so a fault
#     the server turns into a 2xx fails here; a fault during start-up must end
#     origind with a clean exit 1 and a reason, never a signal;
#   - reads keep working: /healthz 200 and every r1 asset byte-for-byte, its
#     gzip and br variants too (when the sequence did not reach the fault, the
#     reads may meet it: one 500, reported as fired, then right);
#   - nothing half-visible: r2 is either complete (all paths serve their
#     bytes, gzip variants included) or absent (GET /v1/releases/r2 404 and
#     every r2 path 404);
#   - the same sequence run again on the same server (the fault is one-shot)
#     succeeds completely, and after a clean stop fsck passes.
# The loop for a point ends at the first N whose fault does not fire at all
# (SQLite-style countdown).
. "$(dirname "$0")/hardening_lib.sh"
: "${FAULT_MAX_N:=80}"

W="$(origind_tmpdir)"
BASE="$W/base"
mkdir -p "$W/files"
# r1 content, published before any fault
printf 'release one stylesheet\n%.0s' $(seq 1 50) >"$W/files/r1.css"
head -c 20000 /dev/urandom >"$W/files/r1.bin"
# r2 content: A and B go in a bundle (A with a gzip variant), C alone (+ gzip)
python3 - "$W/files" <<'PY'
import gzip, hashlib, os, sys
d = sys.argv[1]
A = b"alpha asset for the fault test\n" * 300
B = os.urandom(5000)
C = b"charlie: a single-blob upload\n" * 200
for n, v in (("A", A), ("B", B), ("C", C)):
    open(os.path.join(d, n), "wb").write(v)
    open(os.path.join(d, n + ".hex"), "w").write(hashlib.sha256(v).hexdigest())
open(os.path.join(d, "C.gz"), "wb").write(gzip.compress(C))
def rec(kind, data, digest_of):
    return bytes([kind]) + hashlib.sha256(digest_of).digest() + len(data).to_bytes(8, "big") + data
open(os.path.join(d, "bundle"), "wb").write(rec(0, A, A) + rec(1, gzip.compress(A), A) + rec(0, B, B))
h = lambda v: hashlib.sha256(v).hexdigest()
open(os.path.join(d, "missing.json"), "w").write('{"digests": ["%s", "%s", "%s"]}' % (h(A), h(B), h(C)))
open(os.path.join(d, "r2.json"), "w").write(
    '{"files": [{"path": "/r2/a.txt", "sha256": "%s", "type": "text/plain; charset=utf-8"},'
    ' {"path": "/r2/b.bin", "sha256": "%s", "type": "application/octet-stream"},'
    ' {"path": "/r2/c.txt", "sha256": "%s", "type": "text/plain; charset=utf-8"}]}' % (h(A), h(B), h(C)))
PY
HA="$(cat "$W/files/A.hex")" HB="$(cat "$W/files/B.hex")" HC="$(cat "$W/files/C.hex")"

origind_start "$BASE" --drain-seconds 0 || fail "origind did not start"
mkdir -p "$W/r1"
cp "$W/files/r1.css" "$W/files/r1.bin" "$W/r1/"
"$ORIGIN_INGEST" push --node "$NODE_ADMIN" --token-file "$NODE_TOKEN_FILE" --release r1 \
    --manifest-out "$W/r1.manifest" --cache-dir none --quiet "$W/r1" || fail "push r1"
origind_stop || fail "stop base"

# step NAME METHOD PATH BODY_FILE [CONTENT_TYPE]: one admin request; prints the code.
step() {
    local ct="${5:-application/json}" args=()
    [ "$4" = - ] || args=(-H "Content-Type: $ct" --data-binary @"$4")
    admin_curl -o "$W/step.out" -w '%{http_code}' -X "$2" "${args[@]}" "$NODE_ADMIN$3" ||
        echo 000
}

# sequence: runs the five steps, sets SEQ_CODES ("200 200 201 ..."); fails on a
# bad pattern; returns 0 if all were 2xx, 1 if one failed with a clear 5xx.
sequence() {
    local what="$1" failed=0 code name
    SEQ_CODES=""
    for s in "missing POST /v1/missing $W/files/missing.json" \
             "bundle POST /v1/bundle $W/files/bundle application/x-origind-bundle" \
             "blob PUT /v1/blobs/$HC $W/files/C application/octet-stream" \
             "variant PUT /v1/blobs/$HC/gzip $W/files/C.gz application/octet-stream" \
             "release PUT /v1/releases/r2 $W/files/r2.json"; do
        set -- $s
        name="$1"
        code="$(step "$@")"
        SEQ_CODES="$SEQ_CODES $name=$code"
        case "$code" in
        2??) ;;
        500 | 503 | 507)
            if [ "$failed" = 0 ]; then
                grep -q '"error"' "$W/step.out" || fail "$what: $name $code without a JSON error"
                failed=1
            fi ;;
        *)
            # a 4xx is only legitimate as a consequence of an earlier 5xx
            # (e.g. publishing after the bundle failed: 422 missing)
            [ "$failed" = 1 ] || fail "$what: $name answered $code ($(head -c 200 "$W/step.out"))"
            ;;
        esac
    done
    return "$failed"
}

# reads MODE WHAT: healthz, every r1 asset (identity, and its gzip and br
# variants where stored), release r2 and its paths (identity and gzip). Sets
# R2_STATE (visible or absent; fails if half-visible) and READ_500S.
# MODE strict: every answer must be right. MODE prime (after a sequence the
# fault did not reach, so the one-shot fault may still be armed): a read may
# answer 500 at most once (that fault firing); it is read again and must then
# be right. Whether a fault really fired is asked of the server afterwards.
# C_VARIANT=1: /r2/c.txt must have its gzip variant (its upload succeeded).
reads() {
    local out
    out="$(python3 - "$1" "$NODE_PUBLIC" "$NODE_ADMIN" "$NODE_TOKEN" "$W/r1.manifest" "$W/r1" \
        "$W/files" <<'PY'
import gzip, json, os, subprocess, sys, urllib.error, urllib.request
mode, public, admin, token, man, r1dir, files = sys.argv[1:8]
errors = 0
def get(url, enc="identity", auth=False):
    h = {"Accept-Encoding": enc}
    if auth:
        h["Authorization"] = "Bearer " + token
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=h), timeout=10) as r:
            return r.status, r.headers.get("Content-Encoding"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, None, e.read()
def read(url, enc="identity", auth=False, ok=(200,)):
    global errors
    st, ce, body = get(url, enc, auth)
    if st == 500 and mode == "prime" and errors == 0:
        errors += 1
        st, ce, body = get(url, enc, auth)
    if st not in ok:
        print("%s (%s) answered %d: %s" % (url, enc, st, body[:200]))
        sys.exit(1)
    return st, ce, body
def decode(url, ce, body):
    if ce is None:
        return body
    if ce == "gzip":
        return gzip.decompress(body)
    if ce == "br":  # python has no brotli module: let curl decode it
        return subprocess.run(["curl", "-sf", "--compressed", "-H", "Accept-Encoding: br", url],
                              check=True, capture_output=True).stdout
    print("%s: unexpected Content-Encoding %s" % (url, ce))
    sys.exit(1)
read(public + "/healthz")
variants = 0
for src, path in json.load(open(man)).items():
    want = open(os.path.join(r1dir, src), "rb").read()
    for enc in ("identity", "gzip", "br"):
        st, ce, body = read(public + path, enc)
        if ce not in (None, enc) or decode(public + path, ce, body) != want:
            print("%s (%s): wrong bytes (Content-Encoding %s)" % (path, enc, ce))
            sys.exit(1)
        variants += ce is not None
if variants < 2:
    print("r1: only %d variants served (want gzip and br of r1.css)" % variants)
    sys.exit(1)
rel, _, _ = read(admin + "/v1/releases/r2", auth=True, ok=(200, 404))
served = 0
for name, f, gz in (("a.txt", "A", True), ("b.bin", "B", False), ("c.txt", "C", True)):
    want = open(os.path.join(files, f), "rb").read()
    st, _, body = read(public + "/r2/" + name, ok=(200, 404))
    if st == 200:
        if body != want:
            print("/r2/%s serves wrong bytes" % name)
            sys.exit(1)
        served += 1
        if gz and (name != "c.txt" or os.environ.get("C_VARIANT") == "1"):
            st, ce, body = read(public + "/r2/" + name, "gzip")
            if ce != "gzip" or gzip.decompress(body) != want:
                print("/r2/%s: gzip variant lost or wrong (Content-Encoding %s)" % (name, ce))
                sys.exit(1)
if (rel, served) == (200, 3):
    print("visible", errors)
elif (rel, served) == (404, 0):
    print("absent", errors)
else:
    print("r2 half-visible (release %d, %d of 3 paths serve)" % (rel, served))
    sys.exit(1)
PY
)" || fail "$2: $out"
    set -- $out
    R2_STATE="$1" READ_500S="$2"
}

# fired_count: sets FIRED to origind_faults_fired_total from /metrics. A 500
# here is the armed fault firing in the scrape itself: counted in
# METRICS_500S, read again.
fired_count() {
    local code
    code="$(admin_curl -o "$W/metrics.out" -w '%{http_code}' "$NODE_ADMIN/metrics")" || code=000
    if [ "$code" = 500 ] && [ "$METRICS_500S" = 0 ]; then
        METRICS_500S=1
        code="$(admin_curl -o "$W/metrics.out" -w '%{http_code}' "$NODE_ADMIN/metrics")" || code=000
    fi
    [ "$code" = 200 ] || fail "/metrics answered $code"
    FIRED="$(awk '$1 == "origind_faults_fired_total" { print $2 }' "$W/metrics.out")"
    [ -n "$FIRED" ] || fail "/metrics has no origind_faults_fired_total"
}

total=0
for point in alloc write commit; do
    n=1
    while :; do
        [ "$n" -le "$FAULT_MAX_N" ] || fail "$point: fault still firing at N=$FAULT_MAX_N"
        rm -rf "$W/store"
        cp -a "$BASE" "$W/store"
        if ! ORIGIND_FAULT="$point:$n" origind_start "$W/store" --drain-seconds 0 >/dev/null 2>&1; then
            # a fault during open: the only acceptable death is a clean exit 1
            # with a reason (not a signal, an ASan abort or a hang)
            rc=0
            wait "$NODE_PID" || rc=$?
            [ "$rc" = 1 ] || fail "$point:$n: origind died at start with status $rc: $(tail -5 "$NODE_STDERR")"
            grep -qi error "$NODE_STDERR" || fail "$point:$n: origind exited 1 at start without a reason"
            echo "$point:$n: origind refused to start (exit 1): $(grep -m1 -i error "$NODE_STDERR")"
            n=$((n + 1))
            continue
        fi
        seq_failed=0
        sequence "$point:$n" || seq_failed=1
        first="$SEQ_CODES"
        READ_500S=0 METRICS_500S=0
        if [ "$seq_failed" = 0 ]; then
            C_VARIANT=1 reads prime "$point:$n after the sequence"
            prime500="$READ_500S"
        else
            prime500=0
        fi
        fired_count
        fired="$FIRED"
        errors=$((seq_failed + prime500 + METRICS_500S))
        # the store reports every fault that fires: one fired <=> one error answer
        [ "$fired" -le 1 ] || fail "$point:$n: $fired faults fired for a one-shot fault"
        if [ "$fired" = 1 ] && [ "$errors" = 0 ]; then
            fail "$point:$n: a fault fired but every answer was 2xx (the server hid it):$first"
        fi
        if [ "$fired" = 0 ] && [ "$errors" != 0 ]; then
            fail "$point:$n: an error answer without a fault firing:$first"
        fi
        cvar=0
        case "$first" in *" variant=20"*) cvar=1 ;; esac
        if [ "$fired" = 0 ]; then
            # still armed: a read on a thread whose reader is not pooled yet
            # may meet it now (at most one 500, which must then be counted)
            READ_500S=0
            C_VARIANT=$cvar reads prime "$point:$n after the sequence, still armed"
            fired_count
            [ "$FIRED" -le 1 ] || fail "$point:$n: $FIRED faults fired for a one-shot fault"
            if [ "$FIRED" = 1 ] && [ "$READ_500S" = 0 ]; then
                fail "$point:$n: a fault fired in a read but every answer was 2xx"
            fi
            if [ "$FIRED" = 0 ] && [ "$READ_500S" != 0 ]; then
                fail "$point:$n: a read answered 500 without a fault firing"
            fi
            fired="$FIRED"
        fi
        if [ "$fired" = 0 ]; then
            # a reader pool per thread: the armed fault may still wait for a
            # thread's first fresh reader; the same one-500-then-right rule
            READ_500S=0
            C_VARIANT=$cvar reads prime "$point:$n after the fault"
            fired_count
            [ "$FIRED" -le 1 ] || fail "$point:$n: $FIRED faults fired for a one-shot fault"
            [ "$FIRED" = "$READ_500S" ] ||
                fail "$point:$n: fired $FIRED, read 500s $READ_500S (one fired fault <=> one 500)"
            fired="$FIRED"
        else
            C_VARIANT=$cvar reads strict "$point:$n after the fault"
        fi
        state1="$R2_STATE"
        if [ "$fired" = 1 ]; then
            sequence "$point:$n retried" || fail "$point:$n: retry failed:$SEQ_CODES"
            C_VARIANT=1 reads strict "$point:$n after the retry"
            expect_eq "$point:$n: r2 after the retry" "$R2_STATE" visible
        else
            expect_eq "$point:$n: r2 without a fault" "$state1" visible
        fi
        origind_stop || fail "$point:$n: origind did not exit 0"
        "$ORIGIND" fsck --store "$W/store" >/dev/null || fail "$point:$n: fsck"
        kill -0 "$NODE_PID" 2>/dev/null && fail "still running"
        total=$((total + 1))
        echo "$point:$n:$first -> r2 $state1; fired $fired (in reads $prime500, in /metrics $METRICS_500S);" \
            "$([ "$fired" = 1 ] && echo 'retry ok, ')fsck ok"
        [ "$fired" = 1 ] || break
        n=$((n + 1))
    done
    ok "$point: faults 1..$((n - 1)) each fired once and answered 5xx, store consistent, reads unaffected"
done
ok "faults: $total server runs, every injected failure reported and handled"
