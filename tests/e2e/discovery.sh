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
#      themselves; verify --nodes-dns sees three complete nodes;
#   4. a name that does not resolve at start: serve refuses, push
#      --nodes-dns exits 4, each naming it;
#   5. an address that leaves the name is skipped by the others;
#   6. a name that stops resolving keeps the peers known.
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
# 4. A name that does not resolve at start: a configuration error, one line,
#    nothing listens. --nodes-dns with no answer: the push fails (exit 4,
#    node failure) naming the name, before contacting anything.
BAD="origind-dns-none-$$.invalid"
rc=0
timeout 20 "$ORIGIND" serve --store "$T/bad" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
    --admin-token-file "$T/token" --peers-dns "$BAD:$P" >"$T/bad.out" 2>"$T/bad.err" || rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "serve --peers-dns with a name that does not resolve: exit $rc: $(cat "$T/bad.err")"
grep -q "$BAD" "$T/bad.err" || fail "the unresolvable name is not named: $(cat "$T/bad.err")"
grep -q '^origind: public ' "$T/bad.err" && fail "listened with a name that does not resolve"
rc=0
"$ORIGIN_INGEST" push --nodes-dns "$BAD:$P" --token-file "$T/token" --release dns-bad \
    --cache-dir none "$E2E_REPO/sample-site" >"$T/nodns.out" 2>"$T/nodns.err" || rc=$?
expect_eq "push --nodes-dns with no answer: exit" "$rc" 4
grep -q "^origin-ingest: --nodes-dns: .*$BAD" "$T/nodns.err" || fail "push --nodes-dns: $(cat "$T/nodns.err")"
ok "a name that does not resolve: serve refuses to start, push --nodes-dns exits 4, both name it"

# 5. An address leaves the name: the others skip it. 127.0.0.4 (C, still
#    running) leaves and 127.0.0.5 (nothing there) joins in the same edit, in
#    that order: a lookup that shows .5 no longer shows .4. A release pushed
#    to C alone then never reaches A or B, however many rounds they run.
sed -i "/^127\.0\.0\.4[[:space:]]$NAME\$/d" /etc/hosts
hosts_add 127.0.0.5
for _ in $(seq 1 200); do
    grep -q "new peer http://127.0.0.5:$P" "$A_ERR" && grep -q "new peer http://127.0.0.5:$P" "$B_ERR" && break
    sleep 0.1
done
grep -q "new peer http://127.0.0.5:$P" "$A_ERR" || fail "A never re-resolved the name"
grep -q "new peer http://127.0.0.5:$P" "$B_ERR" || fail "B never re-resolved the name"
tries() { grep -c "peer http://127.0.0.5:$P: " "$1" || true; }
a0="$(tries "$A_ERR")" b0="$(tries "$B_ERR")"
"$ORIGIN_INGEST" push --node "http://127.0.0.4:$P" --token-file "$T/token" --release dns-left \
    --cache-dir none --keep-names --prefix /left "$E2E_REPO/sample-site" >/dev/null 2>"$T/left.err" ||
    fail "push to C alone: $(cat "$T/left.err")"
# two more rounds on A and B (each tries .5, after C in the peer order)
for _ in $(seq 1 300); do
    [ "$(tries "$A_ERR")" -ge $((a0 + 2)) ] && [ "$(tries "$B_ERR")" -ge $((b0 + 2)) ] && break
    sleep 0.1
done
[ "$(tries "$A_ERR")" -ge $((a0 + 2)) ] && [ "$(tries "$B_ERR")" -ge $((b0 + 2)) ] ||
    fail "A and B did not run two rounds in 30 s: $(tail -n 3 "$A_ERR")"
for adm in "http://127.0.0.2:$P" "http://127.0.0.3:$P"; do
    expect_eq "release pushed to the node that left, on $adm" \
        "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$T/token")" "$adm/v1/releases/dns-left")" 404
done
ok "an address that leaves the name is skipped (nothing taken from it in two rounds)"

# 6. The name stops resolving: the peers known are kept. A says so; a release
#    pushed to B alone still reaches A through anti-entropy.
hosts_clean
for _ in $(seq 1 100); do
    grep -q -- "--peers-dns: .*(keeping the [0-9]* peers known)" "$A_ERR" && break
    sleep 0.1
done
grep -q -- "--peers-dns: .*(keeping the [0-9]* peers known)" "$A_ERR" ||
    fail "A did not say it keeps its peers: $(tail -n 3 "$A_ERR")"
"$ORIGIN_INGEST" push --node "http://127.0.0.3:$P" --token-file "$T/token" --release dns-kept \
    --cache-dir none --keep-names --prefix /kept "$E2E_REPO/sample-site" >/dev/null 2>"$T/kept.err" ||
    fail "push to B alone: $(cat "$T/kept.err")"
for _ in $(seq 1 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$T/token")" \
        "http://127.0.0.2:$P/v1/releases/dns-kept")" = 200 ] && break
    sleep 0.1
done
expect_eq "A caught dns-kept from B with the name gone" \
    "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$T/token")" "http://127.0.0.2:$P/v1/releases/dns-kept")" 200
ok "a name that stops resolving keeps the peers known (A still catches up from B)"
echo "discovery: push and peers by DNS name"
