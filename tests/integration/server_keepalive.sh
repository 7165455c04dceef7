#!/usr/bin/env bash
# Keep-alive is kept (200, 304, 404, healthz), and an idle connection survives
# 76 s (above the ALB's 60 s idle timeout). The idle part is skipped when
# ORIGIND_QUICK=1.
. "$(dirname "$0")/helpers.sh"
origind_start "$WORK/store"
printf 'x\n' >"$WORK/x.txt"
publish r1 /x.txt "$WORK/x.txt" "text/plain; charset=utf-8"
P="$NODE_PUBLIC"
ET="\"$(sha256sum "$WORK/x.txt" | cut -c1-32)\""
curl -sv -o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null \
    "$P/x.txt" "$P/nope" "$P/healthz" "$P/x.txt" "$P/x.txt" 2>"$WORK/v.txt"
expect_eq "connection reused" "$(grep -c 'Re-using existing connection' "$WORK/v.txt")" 4
grep -qi '^< Connection: close' "$WORK/v.txt" && fail "server asked to close"
curl -sv -o /dev/null -o /dev/null -H "If-None-Match: $ET" "$P/x.txt" "$P/x.txt" 2>"$WORK/v.txt"
expect_eq "304 keeps the connection" "$(grep -c 'Re-using existing connection' "$WORK/v.txt")" 1
curl -sv -I -o /dev/null -o /dev/null "$P/x.txt" "$P/x.txt" 2>"$WORK/v.txt"
expect_eq "HEAD keeps the connection" "$(grep -c 'Re-using existing connection' "$WORK/v.txt")" 1
admin_curl -v -o /dev/null -o /dev/null "$NODE_ADMIN/v1/status" "$NODE_ADMIN/v1/status" 2>"$WORK/v.txt"
expect_eq "admin keeps the connection" "$(grep -c 'Re-using existing connection' "$WORK/v.txt")" 1
ok "keep-alive kept"

# ORIGIND_TEST_CONNECTION_TIMEOUT=T (a test build; ctest server_keepalive_idle):
# the same idle connection with the timeout at T s survives T-2 s idle and is
# closed by the server after T s; without it (server_keepalive_idle_76s, label
# slow) it survives 76 s under the default --connection-timeout.
if [ "${ORIGIND_QUICK:-0}" != 1 ]; then
    T="${ORIGIND_TEST_CONNECTION_TIMEOUT:-}"
    python3 - "$P" "${T:-0}" <<'PY'
import socket, sys, time
host, port = sys.argv[1].split("//")[1].rsplit(":", 1)
t = int(sys.argv[2])
req = b"GET /x.txt HTTP/1.1\r\nHost: x\r\n\r\n"
def one(s):
    s.sendall(req)
    buf = b""
    while b"\r\n\r\nx\n" not in buf:
        c = s.recv(4096)
        if not c:
            sys.exit("connection closed by the server")
        buf += c
    assert buf.startswith(b"HTTP/1.1 200"), buf
s = socket.create_connection((host, int(port)), timeout=10)
one(s)
time.sleep(t - 2 if t else 76)
one(s)
if t:
    # idle past the timeout: the server closes it (EOF, or a reset)
    t0 = time.time()
    s.settimeout(t + 10)
    try:
        c = s.recv(4096)
    except socket.timeout:
        sys.exit("idle connection still open %.1f s after the %d s timeout" % (time.time() - t0, t))
    except OSError:  # a reset is a close too
        c = b""
    waited = time.time() - t0
    if c:
        sys.exit("data on an idle connection: %r" % c[:80])
    if waited < t - 1:
        sys.exit("closed after %.1f s idle, before the %d s timeout" % (waited, t))
    print("closed by the server after %.1f s idle (timeout %d s)" % (waited, t))
PY
    if [ -n "$T" ]; then
        ok "idle keep-alive connection open after $((T - 2)) s, closed after the $T s timeout"
    else
        ok "idle keep-alive connection open after 76 s"
    fi
fi
origind_stop
