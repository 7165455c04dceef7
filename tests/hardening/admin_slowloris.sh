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
import socket, sys, time
port = int(sys.argv[1])
socks = []
for _ in range(80):
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /v1/status HTTP/1.1\r\n")
        socks.append(s)
    except OSError:
        pass
end = time.time() + 12
while time.time() < end:
    for s in socks:
        try:
            s.sendall(b"X")
        except OSError:
            pass
    time.sleep(0.25)
print("held", len(socks))
PY
slow=$!
sleep 2

code=$(curl -sS -m 5 --interface 127.0.0.1 -o /dev/null -w '%{http_code}' \
    -H "Authorization: Bearer $NODE_TOKEN" "$NODE_ADMIN/v1/status") || code=timeout
expect_eq "admin answers the pipeline host while another host holds slow connections" "$code" 200
code=$(curl -sS -m 1 -o /dev/null -w '%{http_code}' "$NODE_PUBLIC/healthz") || code=timeout
expect_eq "/healthz during the admin slowloris" "$code" 200
wait "$slow"
ok "admin slowloris from one address: pipeline still served ($(cat "$dir/slow.out"))"
