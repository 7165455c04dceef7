#!/usr/bin/env bash
# admin_slowloris.sh - unauthenticated slow connections from one host must not
# lock the deploy pipeline out of the admin listener. 80 connections from
# 127.0.0.2 trickle header bytes (more than the whole --admin-max-connections
# cap of 64; one address may hold only half of it); meanwhile the pipeline
# host (127.0.0.1) must still be answered within 5 s, and /healthz at once.
# Without the per-address limit this fails with a timeout.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

dir=$(origind_tmpdir)
origind_start "$dir/store" --admin-max-connections 64 >/dev/null
port=${NODE_ADMIN##*:}

python3 - "$port" >"$dir/slow.out" 2>&1 <<'PY' &
import errno, socket, sys, time
port = int(sys.argv[1])
socks, refused = [], 0
for _ in range(80):
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /v1/status HTTP/1.1\r\n")
        socks.append(s)
    except OSError:
        refused += 1
def alive():
    # a socket the server closed reads EOF (or a reset) without blocking
    n = 0
    for s in socks:
        try:
            n += s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
        except BlockingIOError:
            n += 1
        except OSError:
            pass
    return n
def trickle():
    for s in socks:
        try:
            s.sendall(b"X")
        except OSError:
            pass
for _ in range(6):  # 1.5 s for the server to accept and sort them
    trickle()
    time.sleep(0.25)
print("ready: %d connected, %d refused, %d held" % (len(socks), refused, alive()), flush=True)
end = time.time() + 10
while time.time() < end:
    trickle()
    time.sleep(0.25)
print("held at the end: %d" % alive())
PY
slow=$!
for _ in $(seq 1 100); do
    grep -q '^ready' "$dir/slow.out" && break
    kill -0 "$slow" 2>/dev/null || break
    sleep 0.05
done
ready="$(grep '^ready' "$dir/slow.out")" || fail "slow client not ready: $(cat "$dir/slow.out")"
held="${ready##* refused, }"
held="${held%% held}"
# the attack is real only if 127.0.0.2 holds its whole share (half of the cap)
# open while the pipeline asks; the per-address limit means not more
[ "$held" -ge 32 ] || fail "only $held slow connections held ($ready): the attack did not fill its share"
[ "$held" -le 32 ] || fail "$held slow connections held from one address: more than half of the cap of 64"

code=$(curl -sS -m 5 --interface 127.0.0.1 -o /dev/null -w '%{http_code}' \
    -H "Authorization: Bearer $NODE_TOKEN" "$NODE_ADMIN/v1/status") || code=timeout
expect_eq "admin answers the pipeline host while another host holds slow connections" "$code" 200
code=$(curl -sS -m 1 -o /dev/null -w '%{http_code}' "$NODE_PUBLIC/healthz") || code=timeout
expect_eq "/healthz during the admin slowloris" "$code" 200
wait "$slow"
ok "admin slowloris from one address: pipeline still served ($(tr '\n' ' ' <"$dir/slow.out"))"
