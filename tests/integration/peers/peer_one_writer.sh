#!/usr/bin/env bash
# peer_one_writer: one writer per store (SPEC invariant 8; issue 23 case 1).
# A client is still reading a 512 KiB asset of release w1 from node N (sizes
# from 64 KiB to 1 MiB go out with sendfile straight from data.mdb) when a
# second process writes N's store:
#   sync   `origind sync --store <N's store> --from P`, where peer P has pruned
#          w1: the tombstone would prune w1 in that other process;
#   serve  a second `origind serve` on N's store, pruning w1 through its own
#          admin port.
# Then w2 is pushed to N, which would reuse the freed pages. The landed code
# let both happen and the slow client got w2's bytes under w1's immutable URL.
# Now: the second process refuses in one line naming the holder's pid, and
# the client gets w1's exact bytes. A read-only command (stats, fsck,
# backup) still runs beside the server.
. "$(dirname "$0")/peer_lib.sh"

# site DIR NAME SEED: one 512 KiB incompressible file DIR/NAME.
site() {
    mkdir -p "$1"
    python3 -c 'import random,sys; r=random.Random(int(sys.argv[2])); open(sys.argv[1],"wb").write(bytes(r.getrandbits(8) for _ in range(524288)))' \
        "$1/$2" "$3"
}

# The slow client: sends GET, reads the headers and 16 KiB with a 4 KiB
# receive buffer, then waits until the file GO exists, reads the rest and
# prints "status etag sha256 length".
SLOW_PY='
import hashlib, os, socket, sys, time
host, port, path, go = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.settimeout(60)
s.connect((host, port))
s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path).encode())
buf = b""
while b"\r\n\r\n" not in buf:
    c = s.recv(4096)
    if not c:
        break
    buf += c
head, _, body = buf.partition(b"\r\n\r\n")
while len(body) < 16384:
    c = s.recv(4096)
    if not c:
        break
    body += c
open(go + ".started", "w").close()
deadline = time.time() + 120
while not os.path.exists(go) and time.time() < deadline:
    time.sleep(0.05)
while True:
    c = s.recv(65536)
    if not c:
        break
    body += c
lines = head.decode("latin-1").split("\r\n")
etag = [l.split(":", 1)[1].strip() for l in lines[1:] if l.lower().startswith("etag:")]
print(lines[0].split()[1], etag[0] if etag else "-", hashlib.sha256(body).hexdigest(), len(body))
'

# wait_file FILE SECONDS
wait_file() {
    local i
    for i in $(seq 1 $(($2 * 20))); do
        [ -e "$1" ] && return 0
        sleep 0.05
    done
    return 1
}

run_case() {
    local how="$1" d="$WORK/$1" want rc pid out
    mkdir -p "$d"
    site "$d/w1" big.png 1
    mkdir -p "$d/keep" && printf 'keep me' >"$d/keep/keep.txt"
    site "$d/w2" other.png 2
    start P "$d/p"
    start N "$d/n"
    "$ORIGIN_INGEST" push --node "$ADMIN_P" --node "$ADMIN_N" --token-file "$TOKEN_FILE" \
        --release w1 --keep-names --prefix / "$d/w1" >"$d/push.out" 2>&1 || { cat "$d/push.out" >&2; fail "push w1"; }
    "$ORIGIN_INGEST" push --node "$ADMIN_P" --node "$ADMIN_N" --token-file "$TOKEN_FILE" \
        --release keep --keep-names --prefix / "$d/keep" >"$d/push.out" 2>&1 || { cat "$d/push.out" >&2; fail "push keep"; }
    want="$(sha256sum "$d/w1/big.png" | cut -c1-64)"

    # P prunes w1 (so a sync from P carries w1's tombstone)
    "$ORIGIN_INGEST" prune --node "$ADMIN_P" --token-file "$TOKEN_FILE" --keep keep \
        >"$d/prune.out" 2>&1 || { cat "$d/prune.out" >&2; fail "prune on P"; }

    local hp="${PUBLIC_N#http://}"
    python3 -c "$SLOW_PY" "${hp%:*}" "${hp##*:}" /big.png "$d/go" >"$d/slow.out" 2>"$d/slow.err" &
    local slow=$!
    wait_file "$d/go.started" 20 || fail "$how: the slow client never got its first 16 KiB: $(cat "$d/slow.err")"

    case "$how" in
    sync)
        set +e
        "$ORIGIND" sync --store "$d/n" --from "$ADMIN_P" --token-file "$TOKEN_FILE" >"$d/second.out" 2>&1
        rc=$?
        set -e
        expect_eq "sync on a held store: exit" "$rc" 1
        ;;
    serve)
        set +e
        timeout 20 "$ORIGIND" serve --store "$d/n" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
            --admin-token-file "$TOKEN_FILE" --drain-seconds 0 >"$d/second.out" 2>&1 &
        pid=$!
        # the landed code came up: prune w1 through the second server's admin port
        for _ in $(seq 1 100); do
            out="$(grep -m1 '^origind: public ' "$d/second.out" || true)"
            [ -n "$out" ] || ! kill -0 "$pid" 2>/dev/null || { sleep 0.1; continue; }
            break
        done
        if [ -n "$out" ]; then
            set -- $out
            "$ORIGIN_INGEST" prune --node "$5" --token-file "$TOKEN_FILE" --keep keep >>"$d/second.out" 2>&1
            kill "$pid" 2>/dev/null
        fi
        wait "$pid"
        rc=$?
        set -e
        expect_eq "second serve on a held store: exit" "$rc" 1
        ;;
    esac
    [ "$(grep -c . "$d/second.out")" = 1 ] || fail "$how: want one line, got: $(cat "$d/second.out")"
    grep -q "held by .*(pid $PID_N)" "$d/second.out" || fail "$how: holder's pid $PID_N not named: $(cat "$d/second.out")"
    ok "$how on a held store refused: $(cat "$d/second.out")"

    # a push after the attempt would reuse pages the other process freed
    "$ORIGIN_INGEST" push --node "$ADMIN_N" --token-file "$TOKEN_FILE" \
        --release w2 --keep-names --prefix / "$d/w2" >"$d/push.out" 2>&1 || { cat "$d/push.out" >&2; fail "push w2"; }
    touch "$d/go"
    wait "$slow" || fail "$how: slow client failed: $(cat "$d/slow.err")"
    set -- $(cat "$d/slow.out")
    expect_eq "$how: slow client status" "$1" 200
    expect_eq "$how: slow client length" "$4" 524288
    expect_eq "$how: slow client bytes (sha256)" "$3" "$want"
    expect_eq "$how: w1 still served" "$(curl -sS -o /dev/null -w '%{http_code}' "$PUBLIC_N/big.png")" 200
    ok "$how: the slow client got w1's exact bytes"

    # read-only commands run beside the server
    "$ORIGIND" stats --store "$d/n" >"$d/stats.out" || fail "$how: stats beside the server"
    "$ORIGIND" fsck --store "$d/n" >"$d/fsck.out" || fail "$how: fsck beside the server"
    "$ORIGIND" backup --store "$d/n" --out "$d/backup.mdb" >/dev/null 2>&1 || fail "$how: backup beside the server"
    ok "$how: stats, fsck and backup run beside the server"
    origind_stop "$PID_N" || fail "N exit"
    origind_stop "$PID_P" || fail "P exit"
}

run_case sync
run_case serve

# kill -9 leaves no stale lock
start K "$WORK/k"
origind_kill "$PID_K"
start K "$WORK/k" || fail "restart after kill -9"
ok "a store is free again after its server was killed with -9"
origind_stop "$PID_K"
