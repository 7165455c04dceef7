#!/usr/bin/env bash
# hostile_clients.sh - the real origind under hostile clients (issue 7, part 4):
# slowloris on both ports, slow readers of a large asset, oversized headers
# and URLs, header floods, request smuggling on the admin listener, uploads
# cut half way, uploads far over the size limit, random bytes on both ports.
# Throughout, a separate process fetches /healthz every 100 ms on a new
# connection; every probe must answer 200 within HEALTHZ_MAX_MS (100).
# Afterwards: the store counters are unchanged (nothing stored), the published
# assets still serve their exact bytes, the server is alive, and fsck passes.
. "$(dirname "$0")/hardening_lib.sh"
: "${HEALTHZ_MAX_MS:=100}"

W="$(origind_tmpdir)"
origind_start "$W/store" --drain-seconds 0 --max-blob-bytes 4M --max-bundle-bytes 8M \
    --max-json-bytes 1M || fail "origind did not start"
PID=$NODE_PID

# a large asset (3 MiB) and a small one, published before the attacks
head -c 3145728 /dev/urandom >"$W/big.bin"
echo "small asset" >"$W/small.txt"
mkdir -p "$W/site"
cp "$W/big.bin" "$W/small.txt" "$W/site/"
"$ORIGIN_INGEST" push --node "$NODE_ADMIN" --token-file "$NODE_TOKEN_FILE" --release hostile-1 \
    --keep-names --manifest-out "$W/manifest.json" --cache-dir none --quiet "$W/site" ||
    fail "push before the attacks"
BIG_PATH="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["big.bin"])' "$W/manifest.json")"
before="$(store_snapshot)"
ok "published; store: $before"

# ATTACKS from the environment (hardening_smuggling runs "smuggling" alone)
read -r -a ATTACKS <<<"${ATTACKS:-slowloris slowloris_admin slow_readers big_headers header_flood \
big_url half_uploads oversize random_bytes}"
python3 "$HOSTILE" probe "$NODE_PUBLIC" 120 "$W/probe.txt" &
PROBER=$!
sleep 0.5
rc=0
for a in "${ATTACKS[@]}"; do
    if ! python3 "$HOSTILE" attack "$a" "$NODE_PUBLIC" "$NODE_ADMIN" "$NODE_TOKEN" "$BIG_PATH"; then
        echo "FAIL: attack $a" >&2
        rc=1
    fi
    kill -0 "$PID" 2>/dev/null || fail "origind died during attack $a: $(tail -5 "$NODE_STDERR")"
done
sleep 0.5
kill "$PROBER" 2>/dev/null || true
wait "$PROBER" 2>/dev/null || true
healthz_report "$W/probe.txt" "$HEALTHZ_MAX_MS" || { echo "FAIL: /healthz was late or failed" >&2; rc=1; }

after="$(store_snapshot)"
expect_eq "store counters after the attacks" "$after" "$before"
n="$(check_manifest "$W/manifest.json" "$W/site" "$NODE_PUBLIC")" || fail "assets changed"
ok "$n published assets still serve their exact bytes"
# a normal admin request still works (the slow admin connections are gone)
expect_eq "admin after attacks" \
    "$(admin_curl -o /dev/null -w '%{http_code}' "$NODE_ADMIN/v1/status")" 200
origind_stop "$PID" || fail "origind did not exit 0 on SIGTERM"
"$ORIGIND" fsck --store "$W/store" >/dev/null || fail "fsck after the attacks"
ok "fsck passes"
[ "$rc" = 0 ] || fail "some attacks were not handled (see above)"
ok "hostile clients: all attacks handled"
