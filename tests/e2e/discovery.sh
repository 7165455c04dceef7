#!/usr/bin/env bash
# discovery.sh - DNS discovery (ctest: e2e_discovery): several loopback
# addresses under one name in /etc/hosts stand for an autoscaling group's
# Route 53 record or a Kubernetes headless Service.
#   1. glibc returns every /etc/hosts address of the name;
#   2. two nodes started with --peers-dns NAME:PORT; a push with
#      --nodes-dns NAME:PORT reaches both (and only them);
#   3. a third address joins the name; a node started there with
#      --peers-dns catches up (healthz 200, the release complete on it), the
#      running nodes find it at their next --peer-interval and never list
#      themselves; verify --nodes-dns sees three complete nodes.
# The test's lines are removed from /etc/hosts on exit, even on failure.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/e2e_lib.sh"

[ -w /etc/hosts ] || { echo "SKIP: /etc/hosts is not writable (needs root or a container)"; exit 77; }
NAME="origind-dns-$$.test"
hosts_add() { printf '%s %s\n' "$1" "$NAME" >>/etc/hosts; }
hosts_clean() { sed -i "/[[:space:]]$NAME\$/d" /etc/hosts; }
trap 'hosts_clean; origind_cleanup' EXIT
T="$(origind_tmpdir)"

# 1. The resolver.
hosts_add 127.0.0.2
hosts_add 127.0.0.3
expect_eq "addresses of $NAME" "$(getent ahostsv4 "$NAME" | awk '{print $1}' | sort -u | tr '\n' ' ')" \
    "127.0.0.2 127.0.0.3 "
ok "glibc returns every /etc/hosts address of one name"

# 2. Two nodes that find each other, one push by name.
P="$(free_port)"
head -c 32 /dev/urandom | base64 | tr -d '\n=+/' >"$T/token"
start_at() { # ADDR NAME-OF-STORE
    origind_start "$T/$2" --listen "$1:0" --admin-listen "$1:$P" --admin-token-file "$T/token" \
        --peers-dns "$NAME:$P" --peer-interval 1 --peer-timeout 3 --log-level info ||
        fail "node on $1 does not start"
}
wait_ready() { # PUBLIC-URL
    local i
    for i in $(seq 1 200); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$1/healthz")" = 200 ] && return 0
        sleep 0.05
    done
    return 1
}
start_at 127.0.0.2 a
A_PUB="$NODE_PUBLIC" A_ERR="$NODE_STDERR"
start_at 127.0.0.3 b
B_PUB="$NODE_PUBLIC" B_ERR="$NODE_STDERR"
wait_ready "$A_PUB" || fail "node A never ready: $(tail -n 5 "$A_ERR")"
wait_ready "$B_PUB" || fail "node B never ready: $(tail -n 5 "$B_ERR")"
grep -q "new peer http://127.0.0.3:$P" "$A_ERR" || fail "A did not find B: $(cat "$A_ERR")"
grep -q "new peer http://127.0.0.2:$P" "$B_ERR" || fail "B did not find A: $(cat "$B_ERR")"
ok "two nodes found each other by --peers-dns"

"$ORIGIN_INGEST" push --nodes-dns "$NAME:$P" --token-file "$T/token" --release dns-1 \
    --cache-dir none --json --manifest-out "$T/manifest.json" "$E2E_REPO/sample-site" \
    >"$T/push.json" 2>"$T/push.err" || fail "push --nodes-dns: $(cat "$T/push.err")"
expect_eq "nodes the push reached" \
    "$(python3 -c 'import json,sys; print(" ".join(sorted(n["url"] + "=" + n["outcome"] for n in json.load(open(sys.argv[1]))["nodes"])))' "$T/push.json")" \
    "http://127.0.0.2:$P=published http://127.0.0.3:$P=published"
url="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["css/app.css"])' "$T/manifest.json")"
for pub in "$A_PUB" "$B_PUB"; do
    expect_eq "GET $url on $pub" "$(curl -s -o /dev/null -w '%{http_code}' "$pub$url")" 200
done
ok "push --nodes-dns $NAME:$P published on both nodes"

# 3. A node joins the name and catches up.
hosts_add 127.0.0.4
start_at 127.0.0.4 c
C_PUB="$NODE_PUBLIC" C_ERR="$NODE_STDERR"
wait_ready "$C_PUB" || fail "the joining node never became ready: $(tail -n 5 "$C_ERR")"
expect_eq "GET $url on the joined node" "$(curl -s -o /dev/null -w '%{http_code}' "$C_PUB$url")" 200
grep -q "caught up with peers" "$C_ERR" || fail "C did not catch up: $(cat "$C_ERR")"
for _ in $(seq 1 100); do # A and B re-resolve every --peer-interval (1 s)
    grep -q "new peer http://127.0.0.4:$P" "$A_ERR" && grep -q "new peer http://127.0.0.4:$P" "$B_ERR" && break
    sleep 0.1
done
grep -q "new peer http://127.0.0.4:$P" "$A_ERR" || fail "A never found the joined node"
grep -q "new peer http://127.0.0.4:$P" "$B_ERR" || fail "B never found the joined node"
! grep -q "new peer http://127.0.0.2:$P" "$A_ERR" || fail "A lists itself as a peer"
! grep -q "new peer http://127.0.0.4:$P" "$C_ERR" || fail "C lists itself as a peer"
"$ORIGIN_INGEST" verify --nodes-dns "$NAME:$P" --token-file "$T/token" --release dns-1 \
    2>"$T/verify.err" || fail "verify --nodes-dns: $(cat "$T/verify.err")"
expect_eq "nodes verify found" "$(grep -c 'release dns-1 complete' "$T/verify.err")" 3
ok "a node joining by --peers-dns caught up; the others found it; none lists itself"
env -u ORIGIN_NODES ORIGIN_NODES_DNS="$NAME:$P" ORIGIN_TOKEN_FILE="$T/token" \
    ASSET_DIR="$E2E_REPO/sample-site" RELEASE_ID=dns-2 MANIFEST_OUT="$T/m2.json" \
    INGEST_ARGS="--cache-dir none" ORIGIN_INGEST="$ORIGIN_INGEST" ORIGIN_PIPELINE_CONF_DIR="$T" \
    "$E2E_REPO/deploy/deploy-assets.sh" --skip-html >"$T/pipeline.log" 2>&1 ||
    fail "deploy-assets.sh with ORIGIN_NODES_DNS: $(tail -n 5 "$T/pipeline.log")"
grep -q "every node of $NAME:$P" "$T/pipeline.log" || fail "pipeline log: $(cat "$T/pipeline.log")"
expect_eq "nodes the pipeline verified" "$(grep -c 'release dns-2 complete' "$T/pipeline.log")" 3
ok "deploy-assets.sh with ORIGIN_NODES_DNS pushed and verified on the three nodes"
echo "discovery: push and peers by DNS name"
