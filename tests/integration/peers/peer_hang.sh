#!/usr/bin/env bash
# peer_hang: one peer accepts connections and never answers (a python
# socket server), another is healthy. A new node listing the hanging peer
# first turns healthy within --peer-timeout plus a small margin (every
# transfer honours the remaining budget); a read-through heal gets past the
# hanging peer to the healthy one, a heal of a path no peer has answers 404
# within a bounded time, and the public listener keeps serving meanwhile.
. "$(dirname "$0")/peer_lib.sh"

start A "$WORK/a"
make_site "$WORK/s1" 1 30
push r1 "$WORK/s1" "$ADMIN_A"
python3 "$PEER_DIR/hang_peer.py" "$WORK/hport" &
HPID=$!
trap 'kill $HPID 2>/dev/null || true; origind_cleanup' EXIT
for i in $(seq 1 100); do [ -s "$WORK/hport" ] && break; sleep 0.05; done
HANG="http://127.0.0.1:$(cat "$WORK/hport")"

# ms since the epoch
now_ms() { date +%s%3N; }

# catch-up: the hanging peer first, the healthy one second
t0=$(now_ms)
start C "$WORK/c" --peer "$HANG" --peer "$ADMIN_A" --peer-timeout 1 --peer-interval 3600
wait_healthy "$PUBLIC_C" 60 || fail "never healthy"
took=$(($(now_ms) - t0))
[ "$(cat "$WORK/hport.conns" 2>/dev/null || echo 0)" -ge 1 ] || fail "the hanging peer was never asked"
[ "$took" -le 4500 ] || fail "healthy after $took ms with --peer-timeout 1 (a hanging peer stalled catch-up)"
check_releases "$ADMIN_A" "$PUBLIC_C" >/dev/null || fail "C differs from A"
ok "catch-up past a hanging peer: healthy in $took ms with --peer-timeout 1"

# a path published on A after C caught up: the heal tries the hanging peer,
# gives up on it in time and reads through to A
make_site "$WORK/s2" 2 3
push r2 "$WORK/s2" "$ADMIN_A"
NEWPATH=$(curl -sS -H "Authorization: Bearer $TOKEN" "$ADMIN_A/v1/releases/r2" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["files"][0]["path"])')
t0=$(now_ms)
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$PUBLIC_C$NEWPATH")
took=$(($(now_ms) - t0))
expect_eq "heal of $NEWPATH past the hanging peer (after $took ms)" "$code" 200
ok "a heal gets past the hanging peer to the healthy one in $took ms"

# a path no peer has: 404 within a bounded time, while the public listener
# keeps serving other requests
KNOWN=$(curl -sS -H "Authorization: Bearer $TOKEN" "$ADMIN_A/v1/releases/r1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["files"][0]["path"])')
sleep 1.2 # past the heal cooldown (the time itself is the subject)
conns() { cat "$WORK/hport.conns" 2>/dev/null || echo 0; }
c0="$(conns)"
t0=$(now_ms)
curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$PUBLIC_C/no/such/file.css" >"$WORK/miss.code" &
MISS=$!
# the heal is under way once it has connected to the hanging peer (it then
# waits there for its --peer-timeout): a condition, not a sleep
for _ in $(seq 1 200); do
    [ "$(conns)" -gt "$c0" ] && break
    sleep 0.02
done
[ "$(conns)" -gt "$c0" ] || fail "the heal never reached the hanging peer"
for k in 1 2 3; do
    t1=$(now_ms)
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$PUBLIC_C$KNOWN")
    t2=$(now_ms)
    expect_eq "known path during the heal" "$code" 200
    # the first hit is served while the heal still waits on the hanging
    # peer: it did not queue behind the heal
    [ "$k" != 1 ] || [ ! -s "$WORK/miss.code" ] ||
        fail "a hit ($((t2 - t1)) ms) returned only after the heal had ended"
done
wait $MISS
took=$(($(now_ms) - t0))
expect_eq "missing path" "$(cat "$WORK/miss.code")" 404
[ "$took" -le 4000 ] || fail "a heal against a hanging peer held the request $took ms"
ok "a heal of a missing path answers 404 in $took ms; the public listener kept serving"
