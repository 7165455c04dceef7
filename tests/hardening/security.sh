#!/usr/bin/env bash
# security.sh - the security properties of both listeners (issue 7, part 7):
#   - the admin listener answers 401 to every request, known path or not, any
#     method, without exactly the right bearer token (missing, wrong, prefix,
#     longer, other scheme, empty), and serves it with the right one;
#   - a wrong token costs the same time wherever it differs (smoke check;
#     the guarantee is http_secret_equal: SHA-256 both, CRYPTO_memcmp);
#   - the generated token file is mode 0600;
#   - no token or secret (right or wrong) ever reaches stderr or the access log,
#     even at --log-level debug;
#   - the public listener never writes: every admin route and write method
#     there is refused, and the store counters do not move;
#   - with --origin-secret-file, every public request but /healthz needs it.
. "$(dirname "$0")/hardening_lib.sh"

W="$(origind_tmpdir)"
SECRET="origin-secret-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$SECRET" >"$W/secret"
chmod 600 "$W/secret"
origind_start "$W/store" --drain-seconds 0 --log-level debug --access-log "$W/access.log" \
    --origin-secret-file "$W/secret" || fail "origind did not start"
TOKEN="$NODE_TOKEN"
expect_eq "token file mode" "$(stat -c %a "$NODE_TOKEN_FILE")" 600
[ "${#TOKEN}" -ge 32 ] || fail "generated token is short (${#TOKEN} chars)"

# content to check against
mkdir -p "$W/site"
echo "secured asset" >"$W/site/a.txt"
"$ORIGIN_INGEST" push --node "$NODE_ADMIN" --token-file "$NODE_TOKEN_FILE" --release sec-1 \
    --manifest-out "$W/m.json" --cache-dir none --quiet "$W/site" || fail "push"
ASSET="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["a.txt"])' "$W/m.json")"
HEX="$(sha256sum "$W/site/a.txt" | cut -c1-64)"
before="$(store_snapshot)"

# 1. admin: every path x method x bad credential -> 401
WRONG="wrong-token-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
bad_auth=("" "Bearer $WRONG" "Bearer ${TOKEN:0:${#TOKEN}-1}" "Bearer ${TOKEN}x" "Bearer ${TOKEN:1}"
          "Basic $TOKEN" "Bearer" "Bearer " "$TOKEN" "Token $TOKEN" "Bearer $TOKEN $TOKEN")
paths=(/v1/missing /v1/bundle "/v1/blobs/$HEX" "/v1/blobs/$HEX/gzip" /v1/blobs "/v1/releases/sec-1"
       /v1/releases /v1/status /metrics /nope / /healthz "/v1/blobs?after=$HEX&limit=1")
n=0
for p in "${paths[@]}"; do
    for m in GET HEAD PUT POST DELETE PATCH OPTIONS; do
        for a in "${bad_auth[@]}"; do
            args=()
            [ -z "$a" ] || args=(-H "Authorization: $a")
            case "$m" in
            HEAD) args+=(-I) ;;
            GET) ;;
            *) args+=(-X "$m" --data-binary x) ;;
            esac
            code="$(curl -s -o /dev/null -w '%{http_code}' "${args[@]}" "$NODE_ADMIN$p" \
                    2>/dev/null || true)"
            [ "$code" = 401 ] || fail "admin $m $p with '${a:0:14}...': $code, want 401"
            n=$((n + 1))
        done
    done
done
ok "admin: $n requests without the right token, all 401"
expect_eq "admin with the token" "$(admin_curl -o /dev/null -w '%{http_code}' "$NODE_ADMIN/v1/status")" 200
expect_eq "scheme is case-insensitive" "$(curl -s -o /dev/null -w '%{http_code}' \
    -H "Authorization: bEaReR $TOKEN" "$NODE_ADMIN/v1/status")" 200

# 2. timing smoke check: a token wrong in its first byte vs in its last byte
python3 - "$NODE_ADMIN" "$TOKEN" <<'PY' || fail "token comparison timing differs"
import socket, statistics, sys, time
admin, tok = sys.argv[1], sys.argv[2]
h, p = admin.split("//")[1].split(":")
def once(tokv):
    req = (b"GET /v1/status HTTP/1.1\r\nHost: o\r\nConnection: close\r\n"
           b"Authorization: Bearer " + tokv.encode() + b"\r\n\r\n")
    t0 = time.perf_counter_ns()
    s = socket.create_connection((h, int(p)), timeout=5)
    s.sendall(req)
    d = s.recv(4096)
    while d and not d.endswith(b"}"):
        c = s.recv(4096)
        if not c:
            break
        d += c
    s.close()
    if b" 401 " not in d.split(b"\r\n")[0]:
        print("unexpected answer: %r" % d[:60])
        sys.exit(1)
    return time.perf_counter_ns() - t0
first = ("x" if tok[0] != "x" else "y") + tok[1:]
last = tok[:-1] + ("x" if tok[-1] != "x" else "y")
# Interleaved (and after a warm-up), so that a busy moment of the machine (other
# tests run beside this one) lands on all three series alike, not on one.
for _ in range(20):
    once("z")
out = {first: [], last: [], "z": []}
for _ in range(200):
    for k in out:
        out[k].append(once(k))
a, b, c = (statistics.median(out[k]) / 1000 for k in (first, last, "z"))
print("401 latency median: wrong first byte %.1f us, wrong last byte %.1f us, 1-byte token %.1f us" % (a, b, c))
sys.exit(0 if max(a, b, c) < 2 * min(a, b, c) else 1)
PY

# 3. the public listener never writes
for p in "/v1/blobs/$HEX" "/v1/releases/x" /v1/missing /v1/bundle "$ASSET" /assets/new.txt /; do
    for m in PUT POST DELETE PATCH; do
        code="$(curl -s -o /dev/null -w '%{http_code}' -X "$m" -H "X-Origin-Verify: $SECRET" \
            -H "Authorization: Bearer $TOKEN" --data-binary "overwrite" "$NODE_PUBLIC$p")"
        [ "$code" = 405 ] || fail "public $m $p: $code, want 405"
    done
done
for p in /v1/status /v1/releases "/v1/blobs/$HEX" /metrics; do
    code="$(curl -s -o /dev/null -w '%{http_code}' -H "X-Origin-Verify: $SECRET" \
        -H "Authorization: Bearer $TOKEN" "$NODE_PUBLIC$p")"
    [ "$code" = 404 ] || fail "public GET $p: $code, want 404 (admin routes do not exist there)"
done
expect_eq "store counters after public writes" "$(store_snapshot)" "$before"
ok "public listener: every write refused (405), no admin route, store unchanged"

# 4. origin secret
expect_eq "no secret" "$(curl -s -o /dev/null -w '%{http_code}' "$NODE_PUBLIC$ASSET")" 403
expect_eq "wrong secret" "$(curl -s -o /dev/null -w '%{http_code}' \
    -H "X-Origin-Verify: ${SECRET}x" "$NODE_PUBLIC$ASSET")" 403
expect_eq "healthz needs no secret" "$(curl -s -o /dev/null -w '%{http_code}' "$NODE_PUBLIC/healthz")" 200
expect_eq "right secret" "$(curl -s -o /dev/null -w '%{http_code}' \
    -H "X-Origin-Verify: $SECRET" "$NODE_PUBLIC$ASSET")" 200

# 5. no secret in any log
origind_stop || fail "stop"
for s in "$TOKEN" "$WRONG" "$SECRET" "${TOKEN:0:16}" "${SECRET:0:20}"; do
    if grep -qF -- "$s" "$NODE_STDERR" "$W/access.log"; then
        fail "a secret (${s:0:6}...) appears in the logs: $(grep -F -- "$s" "$NODE_STDERR" "$W/access.log" | head -2)"
    fi
done
[ -s "$W/access.log" ] || fail "the access log is empty (nothing was checked)"
ok "no token or secret in stderr ($(wc -l <"$NODE_STDERR") lines) or the access log ($(wc -l <"$W/access.log") lines)"
"$ORIGIND" fsck --store "$W/store" >/dev/null || fail "fsck"
ok "security checks pass"
