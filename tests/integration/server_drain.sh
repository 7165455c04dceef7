#!/usr/bin/env bash
# SIGTERM: /healthz 503 at once while a slow large download goes on; requests are
# served for --drain-seconds; then the listener closes, the download completes
# byte-exact, and origind exits 0.
. "$(dirname "$0")/helpers.sh"
origind_start "$WORK/store" --drain-seconds 3
head -c $((16 * 1024 * 1024)) /dev/urandom >"$WORK/big.bin"
publish r1 /big.bin "$WORK/big.bin" application/octet-stream
P="$NODE_PUBLIC"
expect_status "healthz before" 200 "$P/healthz"

# ~8 s at 2 MiB/s: longer than the drain. (origind may exit before curl has read
# everything: once the client's kernel has acknowledged every byte, nothing is lost.)
curl -sS --limit-rate 2M -o "$WORK/big.out" -w '%{http_code}' "$P/big.bin" >"$WORK/dl.code" &
dl=$!
sleep 1
kill -TERM "$NODE_PID"
sleep 0.3
expect_status "healthz draining" 503 "$P/healthz"
expect_eq "healthz body" "$(curl -sS "$P/healthz")" draining
expect_status "assets still served while draining" 206 "$P/big.bin" -r 0-99
kill -0 "$NODE_PID" || fail "exited before the drain ended"
ok "draining: healthz 503, assets 200"

sleep 3.5
got="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 2 "$P/healthz" 2>/dev/null || true)"
expect_eq "listener closed after the drain" "$got" 000
ok "listener closed after the drain"

wait "$dl" || fail "download failed"
expect_eq "download status" "$(cat "$WORK/dl.code")" 200
cmp -s "$WORK/big.out" "$WORK/big.bin" || fail "download bytes differ"
rc=0
wait "$NODE_PID" || rc=$?
expect_eq "exit status" "$rc" 0
grep -q "draining" "$NODE_STDERR" || fail "no drain message"
ok "in-flight download completed, exit 0"
