# tests/lib.sh - bash helpers for tests that drive the real origind binary.
#
# Source it from a test script:   . "$(dirname "$0")/../lib.sh"
#
# Binaries are found in $ORIGIND_BIN_DIR (ctest sets it), else <repo>/build/bin.
#
#   origind_tmpdir                 prints a fresh temp dir (removed at exit)
#   origind_start DIR [ARGS...]    starts `origind serve --store DIR` on 127.0.0.1 port 0/0
#                                  and --drain-seconds 0 (ARGS come later and override
#                                  it), waits for its "listening" line on stderr and
#                                  exports NODE_PUBLIC (http://127.0.0.1:P), NODE_ADMIN,
#                                  NODE_TOKEN_FILE, NODE_TOKEN, NODE_PID, NODE_STDERR.
#                                  Several nodes may run at once: copy the variables
#                                  before starting the next one. Returns non-zero (and
#                                  prints the server's stderr) if it does not come up.
#   origind_stop [PID]             SIGTERM (default NODE_PID), waits for exit, returns its
#                                  exit status. Drains for --drain-seconds (0 unless given).
#   origind_kill [PID]             SIGKILL and reap.
#   origind_cleanup                kills every node still running, removes temp dirs
#                                  (installed as the EXIT trap unless ORIGIND_LIB_NO_TRAP=1).
#   refused_port                   sets REFUSED_PORT to a loopback port bound (not listening)
#                                  by a helper process until the test ends: connections are
#                                  refused, and no other test can take the port meanwhile
#                                  (a "free" port checked and used later races under -j2).
#   reserve_port                   prints a loopback TCP port for a server that cannot
#                                  take port 0 and report it (nginx, a set of nodes that
#                                  must share one port): outside the kernel's ephemeral
#                                  range (no port-0 bind or outgoing connection can be
#                                  given it), reserved against every other test that uses
#                                  reserve_port until this test exits, and free when
#                                  chosen. Not "a port that was free a moment ago".
#   admin_curl ARGS...             curl -sS with the node's bearer token; ARGS may use
#                                  "$NODE_ADMIN/v1/..." URLs.
#   fail MSG / ok MSG              report; fail exits 1.
#   expect_eq WHAT GOT WANT        fail unless GOT == WANT.
#   header_of FILE NAME            value of header NAME in a curl -D dump (last response),
#                                  trailing CR stripped; empty if absent.
#   status_of FILE                 status code of the last response in a curl -D dump.
#   tls_make_certs DIR             with openssl: DIR/ca.pem (a test CA), DIR/server.pem and
#                                  DIR/server.key (signed by it, for 127.0.0.1 and
#                                  localhost), DIR/other-ca.pem (an unrelated CA).
#
# The "listening" line origind prints on stderr (stable format, one line):
#   origind: public http://ADDR:PORT admin http://ADDR:PORT store DIR token-file FILE

_lib_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${ORIGIND_BIN_DIR:=$_lib_dir/../build/bin}"
export ORIGIND_BIN_DIR
ORIGIND="$ORIGIND_BIN_DIR/origind"
ORIGIN_INGEST="$ORIGIND_BIN_DIR/origin-ingest"

_origind_pids=()
_origind_tmpdirs=()

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

ok() {
    echo "ok: $*"
}

expect_eq() {
    if [ "$2" != "$3" ]; then
        fail "$1: got '$2', want '$3'"
    fi
}

origind_tmpdir() {
    local d
    d="$(mktemp -d "${TMPDIR:-/tmp}/origind-test.XXXXXX")" || return 1
    _origind_tmpdirs+=("$d")
    echo "$d"
}

origind_start() {
    local dir="$1"
    shift
    [ -x "$ORIGIND" ] || {
        echo "origind_start: $ORIGIND not found (set ORIGIND_BIN_DIR)" >&2
        return 1
    }
    mkdir -p "$dir"
    NODE_STDERR="$(mktemp "${TMPDIR:-/tmp}/origind-stderr.XXXXXX")"
    _origind_tmpdirs+=("$NODE_STDERR")
    "$ORIGIND" serve --store "$dir" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
        --drain-seconds 0 "$@" 2>"$NODE_STDERR" &
    NODE_PID=$!
    _origind_pids+=("$NODE_PID")
    local i line
    for i in $(seq 1 200); do
        line="$(grep -m1 '^origind: public ' "$NODE_STDERR" 2>/dev/null || true)"
        if [ -n "$line" ]; then
            # origind: public URL admin URL store DIR token-file FILE
            set -- $line
            NODE_PUBLIC="$3"
            NODE_ADMIN="$5"
            NODE_TOKEN_FILE="$9"
            NODE_TOKEN="$(tr -d ' \r\n\t' <"$NODE_TOKEN_FILE")"
            export NODE_PUBLIC NODE_ADMIN NODE_TOKEN_FILE NODE_TOKEN NODE_PID NODE_STDERR
            return 0
        fi
        if ! kill -0 "$NODE_PID" 2>/dev/null; then
            echo "origind_start: origind exited early:" >&2
            cat "$NODE_STDERR" >&2
            return 1
        fi
        sleep 0.05
    done
    echo "origind_start: no listening line after 10 s:" >&2
    cat "$NODE_STDERR" >&2
    return 1
}

origind_stop() {
    local pid="${1:-$NODE_PID}" rc=0
    kill -TERM "$pid" 2>/dev/null || return 0
    wait "$pid" || rc=$?
    return $rc
}

origind_kill() {
    local pid="${1:-$NODE_PID}"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

origind_cleanup() {
    local p d
    for p in "${_origind_pids[@]}"; do
        kill -KILL "$p" 2>/dev/null || true
    done
    for d in "${_origind_tmpdirs[@]}"; do
        rm -rf "$d"
    done
    for d in "$_origind_port_dir"/*; do
        [ "$(cat "$d/pid" 2>/dev/null)" = "$$" ] && rm -rf "$d"
    done
    return 0
}

if [ "${ORIGIND_LIB_NO_TRAP:-0}" != 1 ]; then
    trap origind_cleanup EXIT
fi

refused_port() {
    local f i
    f="$(mktemp "${TMPDIR:-/tmp}/origind-port.XXXXXX")"
    _origind_tmpdirs+=("$f")
    python3 -c 'import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
time.sleep(3600)' >"$f" &
    _origind_pids+=("$!")
    for i in $(seq 1 100); do
        [ -s "$f" ] && break
        sleep 0.05
    done
    REFUSED_PORT="$(cat "$f")"
    [ -n "$REFUSED_PORT" ] || { echo "refused_port: helper did not start" >&2; return 1; }
}

# Reservations: one directory per port holding the pid of the test ($$, also
# in a $(...) subshell) that reserved it; a dead owner's is taken over.
_origind_port_dir="${TMPDIR:-/tmp}/origind-ports"
reserve_port() {
    local lo p owner i
    mkdir -p "$_origind_port_dir"
    lo="$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)"
    [ "$lo" -gt 12000 ] 2>/dev/null || lo=32768
    for i in $(seq 1 500); do
        p=$((10000 + (RANDOM * 32768 + RANDOM) % (lo - 10000)))
        if ! mkdir "$_origind_port_dir/$p" 2>/dev/null; then
            owner="$(cat "$_origind_port_dir/$p/pid" 2>/dev/null || true)"
            # an owner that is gone: take the reservation over (a fresh one
            # has no pid file yet for a moment: it is left alone)
            [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null || continue
            rm -rf "${_origind_port_dir:?}/$p"
            mkdir "$_origind_port_dir/$p" 2>/dev/null || continue
        fi
        echo "$$" >"$_origind_port_dir/$p/pid"
        if python3 -c 'import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))' "$p" 2>/dev/null; then
            echo "$p"
            return 0
        fi
        rm -rf "${_origind_port_dir:?}/$p"
    done
    echo "reserve_port: no free port after $i tries" >&2
    return 1
}

admin_curl() {
    curl -sS -H "Authorization: Bearer $NODE_TOKEN" "$@"
}

header_of() {
    # Last response in the dump wins (curl -D with redirects/100-continue writes several).
    awk -v name="$2" '
        /^HTTP\// { delete h }
        { sub(/\r$/, "") }
        index($0, ":") > 0 { k = tolower(substr($0, 1, index($0, ":") - 1));
                             v = substr($0, index($0, ":") + 1); sub(/^[ \t]+/, "", v); h[k] = v }
        END { if (tolower(name) in h) print h[tolower(name)] }' "$1"
}

status_of() {
    awk '/^HTTP\// { s = $2 } END { print s }' "$1"
}

tls_make_certs() {
    local d="$1" ca
    mkdir -p "$d"
    for ca in ca other-ca; do
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
            -subj "/CN=origind test $ca" -keyout "$d/$ca.key" -out "$d/$ca.pem" 2>/dev/null ||
            return 1
    done
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null || return 1
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$d/ext.cnf"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
        -days 2 -extfile "$d/ext.cnf" -out "$d/server.pem" 2>/dev/null || return 1
    chmod 600 "$d"/*.key
}
