#!/usr/bin/env bash
# tls_hostile.sh - hostile clients against the TLS listeners (issue 15):
# handshake garbage and plain HTTP on both HTTPS ports, slow (dripped)
# handshakes, and handshakes that never finish. Throughout, /healthz is
# probed over a new TLS connection every 100 ms and must answer; the
# pipeline host (127.0.0.1) is still served on the admin port while another
# host (127.0.0.2) holds half-finished handshakes; every one of those is
# closed by the server after --connection-timeout (the minimum, 76 s): a
# client that never finishes the handshake does not hold a slot for ever.
# Afterwards the store is unchanged and fsck passes.
# ctest hardening_tls_hostile: in a test-hooks build the server's timeout is
# ORIGIND_TEST_CONNECTION_TIMEOUT=8 and the close is awaited; in a build
# without hooks, ORIGIND_QUICK=1: the stalled handshakes are held 8 s while
# the pipeline host is served, then closed here. At the real 76 s floor:
# hardening_tls_hostile_timeout_76s (label slow: scripts/test.sh --full).
# The probe bound: a probe may take at most HEALTHZ_MAX_MS (default: 300 ms,
# or 8x the median of the probes made before the attacks, on a machine slower
# than that), 5% of probes may exceed it (the load of a shared 2-core machine
# changes during the run; a listener held by a slow or stalled handshake
# delays every probe of that phase, a quarter of them), none may go
# unanswered for 10 s.
. "$(dirname "$0")/hardening_lib.sh"
TLSH="$HARD_DIR/tls_hostile.py"
TIMEOUT="${ORIGIND_TEST_CONNECTION_TIMEOUT:-76}" # what the server closes them after
QUICK="${ORIGIND_QUICK:-0}"

W="$(origind_tmpdir)"
C="$W/certs"
tls_make_certs "$C" || fail "openssl could not make the test certificates"
origind_start "$W/store" --connection-timeout 76 --admin-max-connections 16 \
    --admin-tls-cert "$C/server.pem" --admin-tls-key "$C/server.key" \
    --tls-cert "$C/server.pem" --tls-key "$C/server.key" || fail "origind did not start"
mkdir -p "$W/site"
echo "an asset" >"$W/site/a.txt"
"$ORIGIN_INGEST" push --node "$NODE_ADMIN" --token-file "$NODE_TOKEN_FILE" --cacert "$C/ca.pem" \
    --release t1 --cache-dir none --quiet "$W/site" || fail "push before the attacks"
acurl() { curl -sS --cacert "$C/ca.pem" -H "Authorization: Bearer $NODE_TOKEN" "$@"; }
snap() { acurl "$NODE_ADMIN/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["store"])'; }
before="$(snap)"

python3 "$TLSH" probe "$NODE_PUBLIC" "$C/ca.pem" $((TIMEOUT + 30)) "$W/probe.txt" &
PROBER=$!
# a baseline before any attack: 20 probes
for _ in $(seq 1 200); do
    [ "$(cat "$W/probe.txt" 2>/dev/null | wc -l)" -ge 20 ] && break
    sleep 0.05
done
base="$(head -n 20 "$W/probe.txt" | grep -v FAIL | sort -n | awk '{ a[NR] = $1 } END { printf "%d", a[int((NR + 1) / 2)] }')"
: "${HEALTHZ_MAX_MS:=$((base * 8 > 300 ? base * 8 : 300))}"
python3 "$TLSH" garbage "$NODE_PUBLIC" 120 || fail "garbage on the public port"
python3 "$TLSH" garbage "$NODE_ADMIN" 60 || fail "garbage on the admin port"
python3 "$TLSH" slow "$NODE_PUBLIC" "$C/ca.pem" 40 6 || fail "slow handshakes (public)"
python3 "$TLSH" slow "$NODE_ADMIN" "$C/ca.pem" 8 6 || fail "slow handshakes (admin)"

# never-finished handshakes: 8 on the admin port from 127.0.0.2 (its share
# of --admin-max-connections 16), 100 on the public port
if [ "$QUICK" = 1 ]; then
    stall_for=8 hold=hold
else
    stall_for=$((TIMEOUT + 20)) hold=""
fi
python3 "$TLSH" stall "$NODE_ADMIN" 8 "$stall_for" 127.0.0.2 $hold >"$W/stall_admin.txt" &
SA=$!
python3 "$TLSH" stall "$NODE_PUBLIC" 100 "$stall_for" 127.0.0.1 $hold >"$W/stall_public.txt" &
SP=$!
sleep 2
for _ in 1 2 3; do
    st="$(python3 "$TLSH" get "$NODE_ADMIN" "$C/ca.pem" "$NODE_TOKEN" /v1/status)"
    expect_eq "pipeline host on the admin port during stalled handshakes" "$st" 200
    sleep 1
done
ok "the pipeline host is served while 127.0.0.2 holds half-finished handshakes"
wait "$SA" || fail "admin: $(cat "$W/stall_admin.txt")"
wait "$SP" || fail "public: $(cat "$W/stall_public.txt")"
cat "$W/stall_admin.txt" "$W/stall_public.txt"
st="$(python3 "$TLSH" get "$NODE_ADMIN" "$C/ca.pem" "$NODE_TOKEN" /v1/status)"
expect_eq "admin after the stalls" "$st" 200
kill "$PROBER" 2>/dev/null || true # its lines are flushed one by one
wait "$PROBER" || true

n="$(wc -l <"$W/probe.txt")"
bad="$(grep -c FAIL "$W/probe.txt" || true)"
slow="$(awk -v m="$HEALTHZ_MAX_MS" '!/FAIL/ && $1 > m' "$W/probe.txt" | wc -l)"
p99="$(grep -v FAIL "$W/probe.txt" | sort -n | awk '{a[NR]=$1} END {print a[int(NR*0.99)]}')"
[ "$n" -ge 100 ] || fail "only $n probes"
[ "$bad" = 0 ] || fail "$bad of $n TLS healthz probes failed: $(grep FAIL "$W/probe.txt" | sort | uniq -c)"
# at most 5% over the bound (a loaded shared machine), none unanswered (10 s)
[ "$slow" -le $((n / 20)) ] || fail "$slow of $n probes over $HEALTHZ_MAX_MS ms (baseline median $base ms)"
ok "healthz over TLS: $n probes, 0 failed, p99 $p99 ms, $slow over $HEALTHZ_MAX_MS ms (baseline median $base ms)"

expect_eq "store unchanged" "$(snap)" "$before"
kill -0 "$NODE_PID" || fail "origind died"
origind_stop || fail "origind did not stop cleanly"
"$ORIGIND" fsck --store "$W/store" >/dev/null || fail "fsck"
ok "store unchanged, clean stop, fsck passes"
