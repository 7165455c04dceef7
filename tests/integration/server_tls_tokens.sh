#!/usr/bin/env bash
# The admin path across networks (issue 15): both listeners over HTTPS with
# real certificates made here by openssl; origin-ingest --cacert verifies the
# node (the right CA works, another CA is a clear one-line error, never a
# retry over plain HTTP); plain HTTP to the TLS port is served nothing;
# keep-alive, Range and a large body over TLS; several admin tokens and
# rotation by SIGHUP (a removed token stops working, a file that does not
# parse keeps the old set); a read token reads and is refused every write
# with 403, nothing stored; /metrics counts auth failures by reason; an audit
# line per write with the token's fingerprint; no token in any log.
. "$(dirname "$0")/helpers.sh"
export ORIGIN_INGEST_CACHE="$WORK/cache"
C="$WORK/certs"
tls_make_certs "$C" || fail "openssl could not make the test certificates"

tok() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
fp() { printf %s "$1" | sha256sum | cut -c1-8; }
T1="$(tok)"
T2="$(tok)"
R1="$(tok)"
printf '# admin tokens (rotation: old and new)\n%s\n\n  %s  \n' "$T1" "$T2" >"$WORK/admin.tokens"
printf '%s\n' "$R1" >"$WORK/read.tokens"
chmod 600 "$WORK/admin.tokens" "$WORK/read.tokens"

# a key that does not belong to the certificate, a certificate that is not
# PEM: refused at start with one line, before anything listens
rc=0
"$ORIGIND" serve --store "$WORK/bad" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
    --admin-tls-cert "$C/server.pem" --admin-tls-key "$C/other-ca.key" 2>"$WORK/badkey.err" || rc=$?
expect_eq "mismatched key: exit" "$rc" 1
grep -q "admin listener: the key in $C/other-ca.key does not belong to the certificate" "$WORK/badkey.err" ||
    fail "mismatched key: $(cat "$WORK/badkey.err")"
rc=0
"$ORIGIND" serve --store "$WORK/bad" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
    --tls-cert "$C/ext.cnf" --tls-key "$C/server.key" 2>"$WORK/badcert.err" || rc=$?
expect_eq "not a certificate: exit" "$rc" 1
grep -q "public listener: $C/ext.cnf holds no PEM certificate" "$WORK/badcert.err" ||
    fail "not a certificate: $(cat "$WORK/badcert.err")"
grep -q "^origind: public " "$WORK/badkey.err" "$WORK/badcert.err" && fail "listened with a bad TLS pair"
ok "a key that is not the certificate's, or a file that is no certificate: one-line refusal at start"

origind_start "$WORK/store" --admin-token-file "$WORK/admin.tokens" \
    --read-token-file "$WORK/read.tokens" --access-log "$WORK/access.log" \
    --admin-tls-cert "$C/server.pem" --admin-tls-key "$C/server.key" \
    --tls-cert "$C/server.pem" --tls-key "$C/server.key" --drain-seconds 3 ||
    fail "TLS node did not start"
A="$NODE_ADMIN"
P="$NODE_PUBLIC"
case "$A $P" in https://127.0.0.1:*" https://127.0.0.1:"*) ;; *) fail "listening line: $A $P" ;; esac
ok "both listeners announce https:// URLs"

# --- plain HTTP to the TLS admin port: nothing served ---
plain="http://${A#https://}"
out="$(printf 'GET /v1/status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n' "$T1" |
    raw_http "$plain" 3 | head -c 200 | tr -d '\0')"
case "$out" in *HTTP/* | *version* | *store*) fail "plain HTTP on the TLS admin port got: $out" ;; esac
got="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $T1" \
    "$plain/v1/status" 2>/dev/null || true)"
expect_eq "plain HTTP curl" "$got" 000
ok "plain HTTP to the TLS admin port: no answer"

# --- origin-ingest over HTTPS ---
mkdir -p "$WORK/site/css"
printf 'body{color:#123}\n%.0s' $(seq 1 50) >"$WORK/site/css/app.css"
head -c 3145728 /dev/urandom >"$WORK/site/big.bin"
printf '%s\n' "$T1" >"$WORK/t1"
printf '%s\n' "$T2" >"$WORK/t2"
printf '%s\n' "$R1" >"$WORK/r1"
chmod 600 "$WORK"/t1 "$WORK"/t2 "$WORK"/r1

rc=0
"$ORIGIN_INGEST" push --node "$A" --token-file "$WORK/t1" --cacert "$C/other-ca.pem" \
    --release bad-ca --retries 3 "$WORK/site" >"$WORK/badca.out" 2>"$WORK/badca.err" || rc=$?
expect_eq "push with another CA: exit" "$rc" 4
grep -q "certificate does not verify" "$WORK/badca.err" ||
    fail "no clear certificate error: $(cat "$WORK/badca.err")"
grep -q "after retries" "$WORK/badca.err" && fail "a certificate failure was retried"
rc=0
"$ORIGIN_INGEST" push --node "$A" --token-file "$WORK/t1" --release no-ca \
    "$WORK/site" >/dev/null 2>"$WORK/noca.err" || rc=$?
expect_eq "push without --cacert (system CAs): exit" "$rc" 4
grep -q "certificate does not verify against the system's CAs" "$WORK/noca.err" ||
    fail "no clear certificate error: $(cat "$WORK/noca.err")"
expect_eq "nothing published by the refused pushes" \
    "$(curl -sS --cacert "$C/ca.pem" -H "Authorization: Bearer $T1" "$A/v1/releases")" \
    '{"releases":[]}'
ok "a certificate that does not verify: exit 4, one clear line, no retry, nothing sent"

"$ORIGIN_INGEST" push --node "$A" --token-file "$WORK/t1" --cacert "$C/ca.pem" \
    --release r1 --manifest-out "$WORK/m1.json" "$WORK/site" >/dev/null 2>"$WORK/push1.err" ||
    fail "push over HTTPS with the right CA: $(cat "$WORK/push1.err")"
"$ORIGIN_INGEST" verify --node "$A" --token-file "$WORK/t2" --cacert "$C/ca.pem" \
    --release r1 >/dev/null 2>&1 || fail "verify over HTTPS with the second admin token"
ok "push with the right CA (token 1), verify with the rotation token (token 2)"

# --- the public listener over HTTPS: asset, keep-alive, Range, a large body ---
css_url="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["css/app.css"])' "$WORK/m1.json")"
big_url="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["big.bin"])' "$WORK/m1.json")"
got="$(curl -sS --cacert "$C/ca.pem" -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\n' \
    "$P$css_url" "$P$css_url" | tr '\n' ' ')"
expect_eq "two GETs on one TLS connection" "$got" "200 1 200 0 "
curl -sS --cacert "$C/ca.pem" -D "$WORK/range.h" -o "$WORK/range.b" -H 'Range: bytes=10-19' "$P$css_url"
expect_eq "Range over TLS" "$(status_of "$WORK/range.h")" 206
expect_eq "Range bytes" "$(cat "$WORK/range.b")" "$(tail -c +11 "$WORK/site/css/app.css" | head -c 10)"
curl -sS --cacert "$C/ca.pem" -o "$WORK/big.got" "$P$big_url"
cmp -s "$WORK/big.got" "$WORK/site/big.bin" || fail "3 MiB body over TLS differs"
expect_status "healthz over TLS" 200 --cacert "$C/ca.pem" "$P/healthz"
ok "public HTTPS: keep-alive, Range 206, a 3 MiB body byte-exact (no sendfile under TLS)"

# --- read token: reads, and every write is 403 with nothing stored ---
acurl() { curl -sS --cacert "$C/ca.pem" "$@"; }
for path in /v1/status /v1/releases /v1/releases/r1 "/v1/blobs?limit=5" /metrics; do
    expect_status "read token GET $path" 200 --cacert "$C/ca.pem" -H "Authorization: Bearer $R1" "$A$path"
done
h_css="$(sha256sum "$WORK/site/css/app.css" | cut -c1-64)"
expect_status "read token GET blob" 200 --cacert "$C/ca.pem" -H "Authorization: Bearer $R1" "$A/v1/blobs/$h_css"
expect_status "read token missing check" 200 --cacert "$C/ca.pem" -H "Authorization: Bearer $R1" \
    -X POST -d "{\"digests\":[\"$h_css\"]}" "$A/v1/missing"
printf 'never stored\n' >"$WORK/new.txt"
h_new="$(sha256sum "$WORK/new.txt" | cut -c1-64)"
before="$(acurl -H "Authorization: Bearer $T1" "$A/v1/status")"
expect_status "read token PUT blob" 403 --cacert "$C/ca.pem" -H "Authorization: Bearer $R1" \
    -X PUT --data-binary @"$WORK/new.txt" "$A/v1/blobs/$h_new"
expect_status "read token PUT variant" 403 --cacert "$C/ca.pem" -H "Authorization: Bearer $R1" \
    -X PUT --data-binary @"$WORK/new.txt" "$A/v1/blobs/$h_css/gzip"
expect_status "read token bundle" 403 --cacert "$C/ca.pem" -H "Authorization: Bearer $R1" \
    -H 'Content-Type: application/x-origind-bundle' -X POST --data-binary @"$WORK/new.txt" "$A/v1/bundle"
expect_status "read token publish" 403 --cacert "$C/ca.pem" -H "Authorization: Bearer $R1" \
    -X PUT -d "{\"files\":[{\"path\":\"/x.css\",\"sha256\":\"$h_css\",\"type\":\"text/css\"}]}" \
    "$A/v1/releases/by-reader"
# prune: the most dangerous write, and every peer holds a read token
expect_status "read token prune" 403 --cacert "$C/ca.pem" -H "Authorization: Bearer $R1" \
    -X POST -d '{"prune":["r1"]}' "$A/v1/prune"
expect_status "r1 still served after the read-token prune" 200 --cacert "$C/ca.pem" "$P$css_url"
rc=0
"$ORIGIN_INGEST" push --node "$A" --token-file "$WORK/r1" --cacert "$C/ca.pem" \
    --release by-reader-cli "$WORK/site" >/dev/null 2>"$WORK/rpush.err" || rc=$?
[ "$rc" = 0 ] && fail "a push with a read token succeeded"
after="$(acurl -H "Authorization: Bearer $T1" "$A/v1/status")"
strip() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d.pop("in_flight"); print(json.dumps(d, sort_keys=True))' "$1"; }
expect_eq "store unchanged by read-token writes" "$(strip "$after")" "$(strip "$before")"
expect_status "the refused blob is absent" 404 --cacert "$C/ca.pem" -H "Authorization: Bearer $T1" "$A/v1/blobs/$h_new"
expect_status "the refused release is absent" 404 --cacert "$C/ca.pem" -H "Authorization: Bearer $T1" "$A/v1/releases/by-reader"
ok "read token: listings, blobs, releases, status, metrics 200; every write (upload, variant, bundle, publish, prune) 403, nothing stored"

# --- origin-ingest prune over HTTPS: --cacert, --nodes-dns ---
mkdir -p "$WORK/old-site"
printf 'old{color:#456}\n' >"$WORK/old-site/old.css"
"$ORIGIN_INGEST" push --node "$A" --token-file "$WORK/t1" --cacert "$C/ca.pem" \
    --release old-tls "$WORK/old-site" >/dev/null 2>"$WORK/push-old.err" ||
    fail "push old-tls: $(cat "$WORK/push-old.err")"
rc=0
"$ORIGIN_INGEST" prune --node "$A" --token-file "$WORK/t1" --cacert "$C/other-ca.pem" \
    --keep r1 >/dev/null 2>"$WORK/prune-badca.err" || rc=$?
expect_eq "prune with another CA: exit" "$rc" 4
expect_eq "prune with another CA: one line" "$(wc -l <"$WORK/prune-badca.err")" 1
grep -q "listing releases: .*certificate does not verify" "$WORK/prune-badca.err" ||
    fail "prune: no clear certificate error: $(cat "$WORK/prune-badca.err")"
grep -q "after retries" "$WORK/prune-badca.err" && fail "prune: a certificate failure was retried"
expect_eq "the refused prune changed nothing" \
    "$(acurl -H "Authorization: Bearer $T1" "$A/v1/releases" | jq -r '[.releases[].id] | sort | join(",")')" \
    "old-tls,r1"
# 127.0.0.1, not localhost: a stock Debian /etc/hosts also maps localhost to ::1,
# every address is a node (--nodes-dns), and this node listens on 127.0.0.1 only.
"$ORIGIN_INGEST" prune --nodes-dns "127.0.0.1:${A##*:}" --token-file "$WORK/t1" \
    --cacert "$C/ca.pem" --keep r1 --json >"$WORK/prune.json" 2>"$WORK/prune.err" ||
    fail "prune --nodes-dns over HTTPS with the right CA: $(cat "$WORK/prune.err")"
expect_eq "prune over HTTPS: node" "$(jq -r '.nodes[0].node' "$WORK/prune.json")" "$A"
expect_eq "prune over HTTPS: pruned" "$(jq -r '.prune | join(",")' "$WORK/prune.json")" old-tls
expect_eq "prune over HTTPS: the node's answer" "$(jq -r '.nodes[0].pruned' "$WORK/prune.json")" 1
expect_eq "releases after the prune" \
    "$(acurl -H "Authorization: Bearer $T1" "$A/v1/releases" | jq -r '[.releases[].id] | join(",")')" r1
ok "prune over HTTPS: another CA is one clear line (exit 4, nothing changed); --nodes-dns with the right CA prunes"

# --- auth failures by reason ---
expect_status "no token" 401 --cacert "$C/ca.pem" "$A/v1/status"
expect_status "bad token" 401 --cacert "$C/ca.pem" -H "Authorization: Bearer nope$T1" "$A/v1/status"
m="$(acurl -H "Authorization: Bearer $T1" "$A/metrics")"
for reason in missing bad scope; do
    n="$(printf '%s\n' "$m" | sed -n "s/^origind_admin_auth_failures_total{reason=\"$reason\"} //p")"
    [ -n "$n" ] && [ "$n" -ge 1 ] || fail "auth failures $reason: '$n'"
done
n="$(printf '%s\n' "$m" | sed -n 's/^origind_admin_auth_failures_total{reason="scope"} //p')"
[ "$n" -ge 4 ] || fail "scope failures: $n, want >= 4"
ok "/metrics counts auth failures by reason (missing, bad, scope=$n)"

# --- rotation: remove T1, SIGHUP; a file that does not parse keeps the old set ---
printf '%s\n' "$T2" >"$WORK/admin.tokens"
kill -HUP "$NODE_PID"
for _ in $(seq 1 50); do
    [ "$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$C/ca.pem" -H "Authorization: Bearer $T1" "$A/v1/status")" = 401 ] && break
    sleep 0.1
done
expect_status "removed token after SIGHUP" 401 --cacert "$C/ca.pem" -H "Authorization: Bearer $T1" "$A/v1/status"
expect_status "kept token after SIGHUP" 200 --cacert "$C/ca.pem" -H "Authorization: Bearer $T2" "$A/v1/status"
expect_status "read token after SIGHUP" 200 --cacert "$C/ca.pem" -H "Authorization: Bearer $R1" "$A/v1/status"
printf '%s\nbad token with spaces\001\n' "$T1" >"$WORK/admin.tokens"
kill -HUP "$NODE_PID"
for _ in $(seq 1 50); do
    grep -q "token files not reloaded" "$NODE_STDERR" && break
    sleep 0.1
done
grep -q "admin token file: .*admin.tokens line 2: a byte that cannot go in an HTTP header" "$NODE_STDERR" ||
    fail "no reason logged for the bad token file"
expect_status "bad file keeps T2" 200 --cacert "$C/ca.pem" -H "Authorization: Bearer $T2" "$A/v1/status"
expect_status "bad file does not bring T1 back" 401 --cacert "$C/ca.pem" -H "Authorization: Bearer $T1" "$A/v1/status"
ok "rotation: a removed token is refused after SIGHUP; a file that does not parse keeps the old set"

# --- the last read token can be revoked: an emptied read-token file is no read token ---
printf '%s\n' "$T2" >"$WORK/admin.tokens"
: >"$WORK/read.tokens"
kill -HUP "$NODE_PID"
for _ in $(seq 1 50); do
    grep -q "token files reloaded: 1 admin and 0 read tokens" "$NODE_STDERR" && break
    sleep 0.1
done
grep -q "token files reloaded: 1 admin and 0 read tokens" "$NODE_STDERR" ||
    fail "an emptied read-token file was not reloaded: $(grep 'auth:' "$NODE_STDERR" | tail -2)"
expect_status "revoked read token" 401 --cacert "$C/ca.pem" -H "Authorization: Bearer $R1" "$A/v1/status"
expect_status "admin token kept" 200 --cacert "$C/ca.pem" -H "Authorization: Bearer $T2" "$A/v1/status"
: >"$WORK/admin.tokens"
kill -HUP "$NODE_PID"
for _ in $(seq 1 50); do
    [ "$(grep -c "token files not reloaded" "$NODE_STDERR")" -ge 2 ] && break
    sleep 0.1
done
grep -q "admin token file: .*holds no token" "$NODE_STDERR" || fail "an emptied admin file was accepted"
expect_status "an emptied admin file keeps T2" 200 --cacert "$C/ca.pem" -H "Authorization: Bearer $T2" "$A/v1/status"
printf '%s\n' "$T2" >"$WORK/admin.tokens"
ok "an emptied read-token file revokes every read token on SIGHUP; an emptied admin file is refused"

# --- audit lines ---
grep '^origind: audit: ' "$NODE_STDERR" >"$WORK/audit" || fail "no audit lines"
grep -q "client=127.0.0.1 token=$(fp "$T1") action=publish subject=r1 status=201 outcome=ok created=1" "$WORK/audit" ||
    fail "no audit line for the publish of r1: $(cat "$WORK/audit")"
grep -q "token=$(fp "$T1") action=bundle subject=- status=200 outcome=ok created=[1-9]" "$WORK/audit" ||
    fail "no audit line for the bundle upload"
grep -q "token=$(fp "$R1") action=upload subject=$h_new status=403 outcome=denied" "$WORK/audit" ||
    fail "no audit line for the refused upload"
grep -q "token=$(fp "$R1") action=publish subject=by-reader status=403 outcome=denied" "$WORK/audit" ||
    fail "no audit line for the refused publish"
grep -q "token=$(fp "$R1") action=prune subject=.* status=403 outcome=denied" "$WORK/audit" ||
    fail "no audit line for the refused prune"
grep -q 'action=' "$WORK/audit" && ! grep -v -q '^origind: audit: 20[0-9-]*T[0-9:.]*Z client=' "$WORK/audit" ||
    fail "an audit line without its time and client"
ok "audit: $(wc -l <"$WORK/audit") lines with time, client, fingerprint, release, outcome"

# --- drain over TLS: healthz 503 at once, assets still served, exit 0 ---
kill -TERM "$NODE_PID"
# healthz turns 503 at once: wait for that (not a fixed sleep), within the drain
for _ in $(seq 1 100); do
    got="$(curl -sS --cacert "$C/ca.pem" -o /dev/null -w '%{http_code}' "$P/healthz")"
    [ "$got" != 200 ] && break
    sleep 0.02
done
expect_eq "healthz over TLS while draining" "$got" 503
got="$(curl -sS --cacert "$C/ca.pem" -o /dev/null -w '%{http_code}' "$P$css_url")"
expect_eq "asset over TLS while draining" "$got" 200
rc=0
wait "$NODE_PID" || rc=$?
expect_eq "exit after the drain" "$rc" 0
ok "drain over TLS: healthz 503, assets 200, exit 0"

# --- no token in any log ---
# the logs searched exist and hold lines (a missing file would make grep's
# "not found" vacuous): stderr, the access log with the requests made above
for f in "$NODE_STDERR" "$WORK/access.log" "$WORK/audit"; do
    [ -s "$f" ] || fail "log $f is missing or empty: the token search would prove nothing"
done
[ "$(grep -c ' /v1/status ' "$WORK/access.log" || true)" -ge 3 ] ||
    fail "the access log does not hold the admin requests: $(head -3 "$WORK/access.log")"
for t in "$T1" "$T2" "$R1"; do
    grep -q -- "$t" "$NODE_STDERR" "$WORK/access.log" "$WORK/audit" && fail "a token appears in a log"
done
grep -q -- "$T1" "$WORK"/*.err && fail "a token appears in origin-ingest's output"
ok "no token in stderr, the access log, the audit lines or origin-ingest's output"
