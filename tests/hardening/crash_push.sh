#!/usr/bin/env bash
# crash_push.sh - system-level crash safety (issue 7, part 3): kill -9 the
# real `origind serve` at random points while `origin-ingest push` uploads
# and publishes, CRASH_ITERATIONS times (default 16) on the same store. After
# every kill:
#   - `origind fsck` passes on the store as the crash left it;
#   - on restart, every release the node lists is complete: each of its paths
#     serves bytes whose SHA-256 is the bound digest (all or nothing);
#   - every release whose push exited 0 (acknowledged by the node) before any
#     kill is still listed, and every URL of its manifest serves exactly its
#     source file's bytes: an acknowledged release is never lost, and a wiped
#     or rolled-back store fails here;
# and at the end, re-running every push completes and every published URL
# serves exactly its source file's bytes. The random delays are seeded
# (CRASH_SEED, printed) so a failing run can be repeated; every 4th push runs
# to its exit 0 and the node is killed right after the acknowledgement.
. "$(dirname "$0")/hardening_lib.sh"
: "${CRASH_ITERATIONS:=16}" "${CRASH_SEED:=$RANDOM}"
echo "crash_push: CRASH_SEED=$CRASH_SEED CRASH_ITERATIONS=$CRASH_ITERATIONS"
RANDOM=$CRASH_SEED

W="$(origind_tmpdir)"
STORE="$W/store"
N="$CRASH_ITERATIONS"
# one site per push: each iteration uploads new blobs (so the kill lands in
# real work); every site also holds the same 5 shared files
make_site "$W/shared" 5 999
for r in $(seq 1 "$N"); do
    make_site "$W/site$r" 60 "$r"
    mkdir -p "$W/site$r/common" && cp -r "$W/shared/." "$W/site$r/common/"
done

push() { # push RELEASE_NO
    "$ORIGIN_INGEST" push --node "$NODE_ADMIN" --token-file "$W/token" --release "rel-$1" \
        --manifest-out "$W/m$1.json" --cache-dir "$W/cache" --compress gzip --jobs 4 \
        --bundle-bytes 262144 --retries 0 --quiet "$W/site$1" >"$W/push$1.out" 2>&1
}

# check_releases [ACKED_ID...]: every release the node lists must be complete
# and byte-exact, and every ACKED_ID must be among them
check_releases() {
    python3 - "$NODE_ADMIN" "$NODE_TOKEN" "$NODE_PUBLIC" "$@" <<'PY'
import hashlib, json, sys, urllib.parse, urllib.request
admin, token, public = sys.argv[1:4]
acked = sys.argv[4:]
def get(url, auth=True):
    h = {"Authorization": "Bearer " + token} if auth else {"Accept-Encoding": "identity"}
    return urllib.request.urlopen(urllib.request.Request(url, headers=h), timeout=10).read()
rels = json.loads(get(admin + "/v1/releases"))["releases"]
lost = sorted(set(acked) - {r["id"] for r in rels})
if lost:
    print("acknowledged release(s) lost: %s (node lists %d)" % (" ".join(lost), len(rels)))
    sys.exit(1)
n = 0
for r in rels:
    for f in json.loads(get(admin + "/v1/releases/" + r["id"]))["files"]:
        body = get(public + urllib.parse.quote(f["path"]), auth=False)
        if hashlib.sha256(body).hexdigest() != f["sha256"]:
            print("release %s: %s serves wrong bytes" % (r["id"], f["path"]))
            sys.exit(1)
        n += 1
print("%d releases (%d acknowledged), %d files verified" % (len(rels), len(acked), n))
PY
}

# check_acked: every URL of every acknowledged release's manifest serves
# exactly its source file's bytes (independent of what the node lists)
check_acked() {
    local r n total=0
    for r in "${acked[@]}"; do
        n="$(check_manifest "$W/m$r.json" "$W/site$r" "$NODE_PUBLIC")" ||
            { echo "acknowledged rel-$r: $n"; return 1; }
        total=$((total + n))
    done
    echo "${#acked[@]} acknowledged releases, $total URLs byte-exact"
}

echo "secret-token-for-crash-test" >"$W/token"
chmod 600 "$W/token"
# how long one push takes here (a throwaway store): kills land in [2%, 100%] of it
make_site "$W/site0" 60 0
mkdir -p "$W/site0/common" && cp -r "$W/shared/." "$W/site0/common/"
origind_start "$W/probe-store" --drain-seconds 0 --admin-token-file "$W/token" || fail "start"
t0=$(date +%s%N)
push 0 || fail "baseline push: $(tail -5 "$W/push0.out")"
push_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
origind_stop || fail "baseline stop"
echo "one push takes ${push_ms} ms here"
kills=0 during=0
acked=()     # release numbers whose push exited 0
acked_ids=() # the same as release ids
for i in $(seq 1 "$CRASH_ITERATIONS"); do
    origind_start "$STORE" --drain-seconds 0 --admin-token-file "$W/token" ||
        fail "iteration $i: origind did not start after a kill -9"
    r=$i
    push "$r" &
    pusher=$!
    if [ $((i % 4)) = 0 ]; then
        # every 4th push runs to its acknowledgement, then kill -9 at once:
        # what the node acknowledged must survive
        delay_ms=ack
        wait "$pusher" || fail "iteration $i: push rel-$r failed: $(tail -5 "$W/push$r.out")"
        origind_kill
        pusher=""
    else
        delay_ms=$(( push_ms / 50 + RANDOM % (push_ms + 1) ))
        sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
        if kill -0 "$pusher" 2>/dev/null; then
            during=$((during + 1))
        elif [ "$push_ms" -gt 30 ]; then
            # the push was already done: later pushes (less to upload than
            # the baseline, or a quieter machine) are faster; aim earlier
            push_ms=$((push_ms * 2 / 3))
        fi
        origind_kill
    fi
    kills=$((kills + 1))
    prc=0
    [ -z "$pusher" ] || wait "$pusher" || prc=$?
    if [ "$prc" = 0 ]; then
        acked+=("$r")
        acked_ids+=("rel-$r")
    fi
    "$ORIGIND" fsck --store "$STORE" >"$W/fsck.out" 2>&1 ||
        fail "iteration $i (kill after ${delay_ms} ms): fsck failed: $(tail -5 "$W/fsck.out")"
    origind_start "$STORE" --drain-seconds 0 --admin-token-file "$W/token" || fail "restart $i"
    v="$(check_releases "${acked_ids[@]}")" || fail "iteration $i: $v"
    a="$(check_acked)" || fail "iteration $i: $a"
    origind_kill
    echo "iteration $i: kill -9 after ${delay_ms} ms (push rel-$r exit $prc); fsck ok; $v; $a"
done
ok "$kills kill -9s ($during during a running push), fsck passed after every one"
[ $((during * 4)) -ge "$kills" ] || fail "only $during of $kills kills hit a running push"
[ "${#acked[@]}" -ge 1 ] || fail "no push completed before its kill: durability of acknowledged releases untested"
ok "${#acked[@]} acknowledged releases survived every later kill -9, byte-exact"

origind_start "$STORE" --drain-seconds 0 --admin-token-file "$W/token" || fail "final start"
for r in $(seq 1 "$N"); do
    push "$r" || fail "re-push rel-$r: $(tail -5 "$W/push$r.out")"
    n="$(check_manifest "$W/m$r.json" "$W/site$r" "$NODE_PUBLIC")" || fail "rel-$r bytes: $n"
    echo "re-push rel-$r completes; $n URLs serve exactly their files"
done
ok "every push re-run to completion, every URL byte-exact"
v="$(check_releases "${acked_ids[@]}")" || fail "final: $v"
origind_stop || fail "final stop"
"$ORIGIND" fsck --store "$STORE" >/dev/null || fail "final fsck"
ok "crash safety: $v; fsck passes"
