# helpers.sh - shared setup for the server_* integration tests (sources ../lib.sh).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

WORK="$(origind_tmpdir)"

# put_blob FILE: uploads FILE to the node, prints its digest.
put_blob() {
    local h
    h="$(sha256sum "$1" | cut -c1-64)"
    local code
    code="$(admin_curl -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$1" \
        "$NODE_ADMIN/v1/blobs/$h")"
    case "$code" in 200 | 201) ;; *) fail "put_blob $1: HTTP $code" ;; esac
    echo "$h"
}

# put_variant FILE ENC COMPRESSED_FILE
put_variant() {
    local h code
    h="$(sha256sum "$1" | cut -c1-64)"
    code="$(admin_curl -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$3" \
        "$NODE_ADMIN/v1/blobs/$h/$2")"
    case "$code" in 200 | 201) ;; *) fail "put_variant $1 $2: HTTP $code" ;; esac
}

# publish RELEASE PATH FILE TYPE [PATH FILE TYPE ...]: uploads the files and publishes.
publish() {
    local rel="$1" json="" sep="" code
    shift
    while [ $# -gt 0 ]; do
        local h
        h="$(put_blob "$2")"
        json="$json$sep{\"path\":\"$1\",\"sha256\":\"$h\",\"type\":\"$3\"}"
        sep=","
        shift 3
    done
    code="$(admin_curl -o "$WORK/publish.out" -w '%{http_code}' -X PUT \
        --data-binary "{\"files\":[$json]}" "$NODE_ADMIN/v1/releases/$rel")"
    case "$code" in 200 | 201) ;; *) fail "publish $rel: HTTP $code $(cat "$WORK/publish.out")" ;; esac
}

# raw_http URL_BASE [TIMEOUT]: sends stdin's bytes as-is to the node's host:port and
# prints whatever comes back until the server closes or TIMEOUT (default 3) seconds pass.
RAW_HTTP_PY='
import socket, sys, time
base, timeout = sys.argv[1], float(sys.argv[2])
hostport = base.split("//", 1)[1]
host, port = hostport.rsplit(":", 1)
data = sys.stdin.buffer.read()
s = socket.create_connection((host, int(port)), timeout=timeout)
try:
    s.sendall(data)
except OSError:
    pass
out = b""
closed = False
end = time.time() + timeout
while time.time() < end:
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        break
    except OSError:
        closed = True
        break
    if not chunk:
        closed = True
        break
    out += chunk
    if len(sys.argv) > 3 and b"\r\n" in out:
        break  # outcome mode: the status line is enough
if len(sys.argv) > 3:  # outcome mode: the first status code, or closed, or silent
    first = out.split(b"\r\n", 1)[0].split()
    print(first[1].decode() if out.startswith(b"HTTP/") and len(first) > 1
          else "closed" if closed and not out else "silent" if not out else "garbage")
else:
    sys.stdout.buffer.write(out)
'
raw_http() {
    python3 -c "$RAW_HTTP_PY" "$1" "${2:-3}"
}

# raw_outcome URL_BASE [TIMEOUT]: as raw_http, but prints the first answer's
# status code, "closed" (the server closed or reset without answering) or
# "silent" (nothing within TIMEOUT: a hung listener is not a refusal).
raw_outcome() {
    python3 -c "$RAW_HTTP_PY" "$1" "${2:-3}" outcome
}

# raw_status: the status code of the first response in raw_http output on stdin.
raw_status() {
    head -c 64 | head -n1 | awk '{print $2}'
}

# expect_status WHAT WANT CURL-ARGS...: runs curl, compares the status code.
expect_status() {
    local what="$1" want="$2" got
    shift 2
    got="$(curl -sS -o /dev/null -w '%{http_code}' "$@")"
    expect_eq "$what" "$got" "$want"
}

# node_alive: the node still runs and answers /healthz.
node_alive() {
    kill -0 "$NODE_PID" || fail "origind died"
    expect_status "healthz after abuse" 200 "$NODE_PUBLIC/healthz"
}
