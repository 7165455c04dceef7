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
# the download is under way (bytes arrived), then SIGTERM
for _ in $(seq 1 100); do
    [ "$(stat -c %s "$WORK/big.out" 2>/dev/null || echo 0)" -gt 0 ] && break
    sleep 0.05
done
[ "$(stat -c %s "$WORK/big.out")" -gt 0 ] || fail "the download did not start within 5 s"
t_term=$(date +%s%N)
kill -TERM "$NODE_PID"
# "at once": 503 within 1 s of the signal
for _ in $(seq 1 20); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$P/healthz")" = 503 ] && break
    sleep 0.05
done
expect_status "healthz draining" 503 "$P/healthz"
expect_eq "healthz body" "$(curl -sS "$P/healthz")" draining
expect_status "assets still served while draining" 206 "$P/big.bin" -r 0-99
kill -0 "$NODE_PID" || fail "exited before the drain ended"
ok "draining: healthz 503, assets 200"

# the listener closes once the 3 s drain ends: connection refused (curl exit
# 7), not a timeout (a hung listener is not a closed one); wait for it with
# a deadline instead of a fixed sleep
crc=0
for _ in $(seq 1 160); do
    crc=0
    curl -s -o /dev/null --max-time 2 "$P/healthz" 2>/dev/null || crc=$?
    [ "$crc" = 7 ] && break
    [ "$crc" = 0 ] || fail "healthz during the drain: curl exit $crc (want an answer, then refused)"
    sleep 0.05
done
expect_eq "listener closed after the drain (curl exit: 7 is connection refused)" "$crc" 7
waited_ms=$(( ($(date +%s%N) - t_term) / 1000000 ))
[ "$waited_ms" -ge 2900 ] || fail "listener closed after $waited_ms ms, before the 3 s drain"
ok "listener closed after the drain ($waited_ms ms after SIGTERM)"

wait "$dl" || fail "download failed"
expect_eq "download status" "$(cat "$WORK/dl.code")" 200
cmp -s "$WORK/big.out" "$WORK/big.bin" || fail "download bytes differ"
rc=0
wait "$NODE_PID" || rc=$?
expect_eq "exit status" "$rc" 0
grep -q "draining" "$NODE_STDERR" || fail "no drain message"
ok "in-flight download completed, exit 0"
