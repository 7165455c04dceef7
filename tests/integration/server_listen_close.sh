#!/usr/bin/env bash
# SIGTERM: the listening sockets are closed only after MHD_stop_daemon (the
# libmicrohttpd manual: a quiesced socket must not be closed while the
# daemon's threads run, or its fd number can be reused by a dup() or open()
# meanwhile). Runs origind under strace and checks that every other thread
# has exited before the main thread closes either listening fd, and that
# new connections are refused as soon as the drain ends.
. "$(dirname "$0")/helpers.sh"
command -v strace >/dev/null || { echo "SKIP: no strace"; exit 77; }
REAL="$ORIGIND"
cat >"$WORK/origind-traced" <<SH
#!/bin/sh
exec strace -f -q -e trace=close,shutdown -o "$WORK/trace" "$REAL" "\$@"
SH
chmod +x "$WORK/origind-traced"
ORIGIND="$WORK/origind-traced"
origind_start "$WORK/store" --drain-seconds 1
ORIGIND="$REAL"
PID=""
for i in $(seq 1 50); do
    PID=$(pgrep -P "$NODE_PID" -x origind || true)
    [ -n "$PID" ] && break
    sleep 0.1
done
[ -n "$PID" ] || fail "no origind under strace"

# listen_fd PORT: the fd of origind's listening socket on PORT
listen_fd() {
    local hex inode fd
    hex=$(printf '%04X' "$1")
    inode=$(awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { print $10; exit }' /proc/net/tcp)
    [ -n "$inode" ] || return 1
    for fd in /proc/"$PID"/fd/*; do
        [ "$(readlink "$fd")" = "socket:[$inode]" ] && { basename "$fd"; return 0; }
    done
    return 1
}
PUB_FD=$(listen_fd "${NODE_PUBLIC##*:}") || fail "public listening fd not found"
ADM_FD=$(listen_fd "${NODE_ADMIN##*:}") || fail "admin listening fd not found"
expect_status "healthz" 200 "$NODE_PUBLIC/healthz"
kill -TERM "$PID"
# past the drain: origind says so once both listeners are shut (not a sleep)
for _ in $(seq 1 300); do
    grep -q "listeners closed" "$NODE_STDERR" && break
    sleep 0.05
done
grep -q "listeners closed" "$NODE_STDERR" || fail "no 'listeners closed' line 15 s after SIGTERM: $(tail -3 "$NODE_STDERR")"
code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$NODE_PUBLIC/healthz" || true)
expect_eq "a new connection after the drain" "$code" 000
wait "$NODE_PID" || true

python3 - "$WORK/trace" "$PID" "$PUB_FD" "$ADM_FD" <<'PY' || fail "a listening socket was closed while the daemon's threads ran"
import re, sys
trace, main, fds = sys.argv[1], sys.argv[2], sys.argv[3:]
lines = open(trace).read().splitlines()
closed = {}
last_exit = -1
for i, l in enumerate(lines):
    pid, rest = l.split(" ", 1)
    m = re.match(r"close\((\d+)\)\s+= 0", rest.strip())
    if pid == main and m and m.group(1) in fds:  # the last close of that fd number
        closed[m.group(1)] = i
    if pid != main and "+++ exited" in rest:
        last_exit = max(last_exit, i)
for fd in fds:
    if fd not in closed:
        print("listening fd %s never closed" % fd); sys.exit(1)
    if closed[fd] < last_exit:
        print("listening fd %s closed at trace line %d, a thread exited at line %d" % (fd, closed[fd], last_exit))
        sys.exit(1)
print("closed after the last thread exit (line %d)" % last_exit)
PY
ok "listening fds $PUB_FD and $ADM_FD closed after every daemon thread exited; new connections refused after the drain"
