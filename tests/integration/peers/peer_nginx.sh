#!/usr/bin/env bash
# peer_nginx: nginx load-balances two full nodes while a third joins the
# fleet the way an ALB would add it: started empty with --peer, put into the
# upstream (nginx reload) only once its /healthz says 200. A client walks
# every published path through nginx the whole time: zero wrong bytes, zero
# non-200 answers, and the new node serves its share after joining.
. "$(dirname "$0")/peer_lib.sh"
. "$PEER_DIR/../../e2e/e2e_lib.sh"
trap 'nginx_stop_all || true; kill "${CPID:-}" 2>/dev/null || true; origind_cleanup' EXIT
# a skip is reported as one (exit 77, SKIP_RETURN_CODE), never as a pass
command -v "$NGINX" >/dev/null 2>&1 || { echo "SKIP: nginx not installed (scripts/setup.sh installs it)"; exit 77; }

start A "$WORK/a"
start B "$WORK/b"
make_site "$WORK/s1" 1 2000
make_site "$WORK/s2" 2 100
push r1 "$WORK/s1" "$ADMIN_A" "$ADMIN_B"
push r2 "$WORK/s2" "$ADMIN_A" "$ADMIN_B"

LB="$WORK/lb"
LB_PORT=$(free_port)
lb_conf() { # lb_conf PUBLIC_URL...: the load balancer over these nodes
    local u
    {
        nginx_conf_head "$LB"
        echo "http {"
        nginx_http_common "$LB"
        echo "    upstream origins {"
        for u in "$@"; do echo "        server ${u#http://} max_fails=0;"; done
        echo "        keepalive 16;"
        echo "    }"
        cat <<EOC
    server {
        listen 127.0.0.1:$LB_PORT;
        location / {
            proxy_pass http://origins;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_next_upstream off;
        }
    }
}
EOC
    } >"$LB/nginx.conf"
}
mkdir -p "$LB"
lb_conf "$PUBLIC_A" "$PUBLIC_B"
nginx_start "$LB" || fail "nginx did not start"

# the client: every path of every release, round after round, until told to stop
curl -sS -H "Authorization: Bearer $TOKEN" "$ADMIN_A/v1/releases/r1" >"$WORK/r1.json"
curl -sS -H "Authorization: Bearer $TOKEN" "$ADMIN_A/v1/releases/r2" >"$WORK/r2.json"
python3 - "$WORK" "http://127.0.0.1:$LB_PORT" <<'PY' &
import hashlib, http.client, json, os, sys, urllib.parse
work, base = sys.argv[1], sys.argv[2]
files = json.load(open(work + "/r1.json"))["files"] + json.load(open(work + "/r2.json"))["files"]
u = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
n = bad = 0
while not os.path.exists(work + "/stop"):
    for f in files:
        for attempt in (0, 1):
            try:
                conn.request("GET", urllib.parse.quote(f["path"]), headers={"Accept-Encoding": "identity"})
                r = conn.getresponse()
                body = r.read()
                break
            except (http.client.RemoteDisconnected, ConnectionError):
                # nginx closes idle keep-alive connections on reload: a
                # client retries an idempotent GET on a new connection
                conn.close()
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
                if attempt:
                    raise
        n += 1
        if r.status != 200 or hashlib.sha256(body).hexdigest() != f["sha256"]:
            bad += 1
            print("BAD", r.status, f["path"], flush=True)
        if os.path.exists(work + "/stop"):
            break
open(work + "/client.tmp", "w").write("%d %d\n" % (n, bad))
os.rename(work + "/client.tmp", work + "/client.out")
PY
CPID=$!

# the third node joins: out of the upstream until its /healthz is 200
start C "$WORK/c" --peer "$ADMIN_A" --peer "$ADMIN_B"
expect_eq "joining node healthz" "$(healthz "$PUBLIC_C")" 503
wait_healthy "$PUBLIC_C" 60 || fail "third node never healthy"
lb_conf "$PUBLIC_A" "$PUBLIC_B" "$PUBLIC_C"
nginx_reload "$LB" || fail "nginx reload"
# a release pushed to the whole fleet while the client runs
make_site "$WORK/s3" 3 20
push r3 "$WORK/s3" "$ADMIN_A" "$ADMIN_B" "$ADMIN_C"
sleep 3
touch "$WORK/stop"
for i in $(seq 1 300); do [ -s "$WORK/client.out" ] && break; sleep 0.1; done
[ -s "$WORK/client.out" ] || fail "client did not finish"
read -r N BAD <"$WORK/client.out"
expect_eq "wrong or failed answers through nginx" "$BAD" 0
C_HITS=$(grep -c "up=${PUBLIC_C#http://}" "$LB/logs/access.log" || true)
[ "$C_HITS" -gt 0 ] || fail "the new node got no traffic after joining"
check_releases "$ADMIN_A" "http://127.0.0.1:$LB_PORT" >/dev/null || fail "release check through nginx"
check_releases "$ADMIN_A" "$PUBLIC_C" >/dev/null || fail "release check on the new node"
ok "$N requests through nginx while a third node joined: 0 wrong; the new node served $C_HITS after joining"
