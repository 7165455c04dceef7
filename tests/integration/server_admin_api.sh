#!/usr/bin/env bash
# The admin API of docs/admin-api.md: uploads (201/200/422/413/411/400), variants, missing,
# releases (201/200/422/409/400), listings with a cursor, bundle, status, metrics.
. "$(dirname "$0")/helpers.sh"
origind_start "$WORK/store" --max-blob-bytes 20M --max-bundle-bytes 30M
A="$NODE_ADMIN"
AUTH=(-H "Authorization: Bearer $NODE_TOKEN")
sha() { sha256sum "$1" | cut -c1-64; }

printf 'hello\n' >"$WORK/h.txt"
H=$(sha "$WORK/h.txt")
expect_status "new blob" 201 "${AUTH[@]}" -X PUT --data-binary @"$WORK/h.txt" "$A/v1/blobs/$H"
expect_status "same blob again" 200 "${AUTH[@]}" -X PUT --data-binary @"$WORK/h.txt" "$A/v1/blobs/$H"
Z=$(printf 'other' | sha256sum | cut -c1-64)
expect_status "wrong digest" 422 "${AUTH[@]}" -X PUT --data-binary @"$WORK/h.txt" "$A/v1/blobs/$Z"
expect_status "upper-case hex ok" 200 "${AUTH[@]}" -X PUT --data-binary @"$WORK/h.txt" "$A/v1/blobs/${H^^}"
expect_status "bad digest in path" 400 "${AUTH[@]}" -X PUT --data-binary @"$WORK/h.txt" "$A/v1/blobs/abc"
expect_status "bad encoding in path" 400 "${AUTH[@]}" -X PUT --data-binary @"$WORK/h.txt" "$A/v1/blobs/$H/deflate"
expect_status "zstd that is not zstd" 422 "${AUTH[@]}" -X PUT --data-binary @"$WORK/h.txt" "$A/v1/blobs/$H/zstd"
expect_status "chunked upload" 411 "${AUTH[@]}" -X PUT -H "Transfer-Encoding: chunked" --data-binary @"$WORK/h.txt" "$A/v1/blobs/$H"
expect_status "no body" 411 "${AUTH[@]}" -X PUT "$A/v1/blobs/$H"
head -c $((21 * 1024 * 1024)) /dev/urandom >"$WORK/huge.bin"
expect_status "over --max-blob-bytes" 413 "${AUTH[@]}" -X PUT --data-binary @"$WORK/huge.bin" "$A/v1/blobs/$(sha "$WORK/huge.bin")"
expect_status "wrong method" 405 "${AUTH[@]}" -X DELETE "$A/v1/blobs/$H"
ok "blob upload statuses"

# A large blob goes through the temp-file spool and is served byte-exact.
head -c $((12 * 1024 * 1024 + 7)) /dev/urandom >"$WORK/large.bin"
L=$(sha "$WORK/large.bin")
expect_status "large blob" 201 "${AUTH[@]}" -X PUT --data-binary @"$WORK/large.bin" "$A/v1/blobs/$L"
curl -sS "${AUTH[@]}" -o "$WORK/large.out" "$A/v1/blobs/$L"
cmp -s "$WORK/large.out" "$WORK/large.bin" || fail "large blob read back"
# the spool is an O_TMPFILE (or unlinked) file: nothing to see in the store
# directory, so look for it where a leak would live, among the node's open
# files (a deleted file under the store dir)
spool_fds() {
    local n=0 f
    for f in /proc/"$NODE_PID"/fd/*; do
        case "$(readlink "$f" 2>/dev/null)" in "$WORK/store/"*"(deleted)") n=$((n + 1)) ;; esac
    done
    echo "$n"
}
expect_eq "spool files still open after the upload" "$(spool_fds)" 0
ls -A "$WORK/store" | grep -q upload && fail "spool file left behind"
ok "12 MiB upload spooled and verified, spool file closed"

# Truncated bodies and vanishing clients store nothing; the server goes on.
T=$(printf 'truncated-body-0123456789' | sha256sum | cut -c1-64)
printf "PUT /v1/blobs/$T HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer $NODE_TOKEN\r\nContent-Length: 25\r\n\r\ntruncated" |
    raw_http "$A" 1 >/dev/null || true
out="$(curl -sS "${AUTH[@]}" --data-binary "{\"digests\":[\"$T\",\"$H\"]}" "$A/v1/missing")"
expect_eq "truncated upload not stored" "$out" "{\"missing\":[\"$T\"]}"
ok "truncated upload stores nothing"

# variants
gzip -c "$WORK/h.txt" >"$WORK/h.gz"
expect_status "gzip variant" 201 "${AUTH[@]}" -X PUT --data-binary @"$WORK/h.gz" "$A/v1/blobs/$H/gzip"
expect_status "gzip variant again" 200 "${AUTH[@]}" -X PUT --data-binary @"$WORK/h.gz" "$A/v1/blobs/$H/gzip"
printf 'not gzip' >"$WORK/bad.gz"
expect_status "bad br variant" 422 "${AUTH[@]}" -X PUT --data-binary @"$WORK/bad.gz" "$A/v1/blobs/$H/br"
expect_status "variant of absent blob" 404 "${AUTH[@]}" -X PUT --data-binary @"$WORK/h.gz" "$A/v1/blobs/$Z/gzip"
curl -sS "${AUTH[@]}" -o "$WORK/v.out" "$A/v1/blobs/$H/gzip"
cmp -s "$WORK/v.out" "$WORK/h.gz" || fail "variant read back"
expect_status "absent blob" 404 "${AUTH[@]}" "$A/v1/blobs/$Z"
ok "variants"

# missing: order kept, bad input refused
out="$(curl -sS "${AUTH[@]}" --data-binary "{\"digests\":[\"$Z\",\"$H\",\"$T\"]}" "$A/v1/missing")"
expect_eq "missing" "$out" "{\"missing\":[\"$Z\",\"$T\"]}"
expect_status "missing: bad hex" 400 "${AUTH[@]}" --data-binary '{"digests":["zz"]}' "$A/v1/missing"
expect_status "missing: not json" 400 "${AUTH[@]}" --data-binary 'nope' "$A/v1/missing"
expect_status "missing: GET" 405 "${AUTH[@]}" "$A/v1/missing"
ok "missing"

# releases
rel() { echo "{\"files\":[{\"path\":\"$1\",\"sha256\":\"$2\",\"type\":\"text/plain; charset=utf-8\"}]}"; }
expect_status "publish" 201 "${AUTH[@]}" -X PUT --data-binary "$(rel /h.txt "$H")" "$A/v1/releases/r1"
expect_status "publish again" 200 "${AUTH[@]}" -X PUT --data-binary "$(rel /h.txt "$H")" "$A/v1/releases/r1"
curl -sS "${AUTH[@]}" -o "$WORK/r.out" -w '%{http_code}' -X PUT --data-binary "$(rel /z.txt "$Z")" "$A/v1/releases/r2" >"$WORK/code"
expect_eq "missing blob" "$(cat "$WORK/code")" 422
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["missing"]==[sys.argv[2]], d' "$WORK/r.out" "$Z"
curl -sS "${AUTH[@]}" -o "$WORK/r.out" -w '%{http_code}' -X PUT --data-binary "$(rel /h.txt "$L")" "$A/v1/releases/r3" >"$WORK/code"
expect_eq "path conflict" "$(cat "$WORK/code")" 409
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["conflicts"]==[{"path":"/h.txt","sha256":sys.argv[2]}], d' "$WORK/r.out" "$H"
expect_status "release id reused" 409 "${AUTH[@]}" -X PUT --data-binary "$(rel /l.bin "$L")" "$A/v1/releases/r1"
expect_status "bad path" 400 "${AUTH[@]}" -X PUT --data-binary "$(rel /a/../h "$H")" "$A/v1/releases/r4"
expect_status "bad id" 400 "${AUTH[@]}" -X PUT --data-binary "$(rel /x "$H")" "$A/v1/releases/bad%20id"
expect_status "malformed json" 400 "${AUTH[@]}" -X PUT --data-binary '{"files":' "$A/v1/releases/r5"
dup="{\"files\":[{\"path\":\"/d.txt\",\"sha256\":\"$H\",\"type\":\"text/plain\"},{\"path\":\"/d.txt\",\"sha256\":\"$H\",\"type\":\"text/plain\"}]}"
curl -sS "${AUTH[@]}" -o "$WORK/r.out" -w '%{http_code}' -X PUT --data-binary "$dup" "$A/v1/releases/r6" >"$WORK/code"
expect_eq "the same entry twice" "$(cat "$WORK/code")" 400
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [b["path"] for b in d["bad"]]==["/d.txt"], d' "$WORK/r.out"
expect_status "nothing of r6 stored" 404 "${AUTH[@]}" "$A/v1/releases/r6"
# reserved paths (SPEC): 422 naming each, nothing published
res="{\"files\":[{\"path\":\"/healthz\",\"sha256\":\"$H\",\"type\":\"text/plain\"},{\"path\":\"/ok.txt\",\"sha256\":\"$H\",\"type\":\"text/plain\"},{\"path\":\"/.well-known/origind/release\",\"sha256\":\"$H\",\"type\":\"application/json\"}]}"
curl -sS "${AUTH[@]}" -o "$WORK/r.out" -w '%{http_code}' -X PUT --data-binary "$res" "$A/v1/releases/r7" >"$WORK/code"
expect_eq "reserved paths" "$(cat "$WORK/code")" 422
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert sorted(d["reserved"])==["/.well-known/origind/release","/healthz"] and "reserved" in d["error"], d' "$WORK/r.out"
expect_status "nothing of r7 stored" 404 "${AUTH[@]}" "$A/v1/releases/r7"
expect_eq "nothing of r7 visible" "$(curl -sS -o /dev/null -w '%{http_code}' "$NODE_PUBLIC/ok.txt")" 404
expect_eq "healthz still the health check" "$(curl -sS "$NODE_PUBLIC/healthz")" ok
expect_eq "nothing of r6 visible" "$(curl -sS -o /dev/null -w '%{http_code}' "$NODE_PUBLIC/d.txt")" 404
expect_eq "nothing of r2/r3 visible" "$(curl -sS -o /dev/null -w '%{http_code}' "$NODE_PUBLIC/z.txt")" 404
curl -sS "${AUTH[@]}" "$A/v1/releases/r1" >"$WORK/r.out"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["id"]=="r1" and d["files"][0]["path"]=="/h.txt" and d["created"]>0, d' "$WORK/r.out"
expect_status "absent release" 404 "${AUTH[@]}" "$A/v1/releases/nope"
curl -sS "${AUTH[@]}" "$A/v1/releases" >"$WORK/r.out"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [r["id"] for r in d["releases"]]==["r1"] and d["releases"][0]["files"]==1, d' "$WORK/r.out"
ok "releases"

# listing from a cursor visits every blob once, in digest order
for i in $(seq 1 7); do printf "blob $i" >"$WORK/b$i"; put_blob "$WORK/b$i" >/dev/null; done
after=""
: >"$WORK/listed"
while :; do
    curl -sS "${AUTH[@]}" "$A/v1/blobs?limit=3${after:+&after=$after}" >"$WORK/page"
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); [print(b["sha256"]) for b in d["blobs"]]; open(sys.argv[2],"w").write(d["next"] or "")' "$WORK/page" "$WORK/next" >>"$WORK/listed"
    after="$(cat "$WORK/next")"
    [ -n "$after" ] || break
done
expect_eq "listed count" "$(wc -l <"$WORK/listed")" 9
sort -c "$WORK/listed" || fail "not in digest order"
expect_eq "listed unique" "$(sort -u "$WORK/listed" | wc -l)" 9
expect_status "bad limit" 400 "${AUTH[@]}" "$A/v1/blobs?limit=0"
expect_status "bad cursor" 400 "${AUTH[@]}" "$A/v1/blobs?after=xyz"
ok "blob listing with a cursor"

# bundle: one commit, or nothing
python3 - "$WORK" <<'PY'
import gzip, hashlib, struct, sys
w = sys.argv[1]
def rec(kind, digest, data): return bytes([kind]) + digest + struct.pack(">Q", len(data)) + data
a, b = b"bundle blob a\n" * 50, b"bundle blob b\n"
da, db = hashlib.sha256(a).digest(), hashlib.sha256(b).digest()
good = rec(0, da, a) + rec(0, db, b) + rec(1, da, gzip.compress(a))
open(w + "/good.bundle", "wb").write(good)
c = b"bundle blob c\n"
d = b"bundle blob d\n"
open(w + "/bad.bundle", "wb").write(rec(0, hashlib.sha256(c).digest(), c) + rec(0, hashlib.sha256(d).digest(), d + b"x"))
open(w + "/trunc.bundle", "wb").write(good[:-5])
open(w + "/c.digest", "w").write(hashlib.sha256(c).hexdigest())
e = b"bundle blob e, never sent\n" * 20
open(w + "/orphan.bundle", "wb").write(rec(0, hashlib.sha256(c).digest(), c) + rec(1, hashlib.sha256(e).digest(), gzip.compress(e)))
PY
BH=(-H "Content-Type: application/x-origind-bundle")
out="$(curl -sS "${AUTH[@]}" "${BH[@]}" --data-binary @"$WORK/good.bundle" "$A/v1/bundle")"
expect_eq "bundle" "$out" '{"created":3,"present":0}'
out="$(curl -sS "${AUTH[@]}" "${BH[@]}" --data-binary @"$WORK/good.bundle" "$A/v1/bundle")"
expect_eq "bundle again" "$out" '{"created":0,"present":3}'
curl -sS "${AUTH[@]}" "${BH[@]}" -o "$WORK/b.out" -w '%{http_code}' --data-binary @"$WORK/bad.bundle" "$A/v1/bundle" >"$WORK/code"
expect_eq "bad bundle" "$(cat "$WORK/code")" 422
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["index"]==1, d' "$WORK/b.out"
C=$(cat "$WORK/c.digest")
out="$(curl -sS "${AUTH[@]}" --data-binary "{\"digests\":[\"$C\"]}" "$A/v1/missing")"
expect_eq "bad bundle stored nothing" "$out" "{\"missing\":[\"$C\"]}"
curl -sS "${AUTH[@]}" "${BH[@]}" -o "$WORK/b.out" -w '%{http_code}' --data-binary @"$WORK/orphan.bundle" "$A/v1/bundle" >"$WORK/code"
expect_eq "variant without its blob" "$(cat "$WORK/code")" 422
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["index"]==1 and "blob not present" in d["error"] and d["kind"]=="gzip", d' "$WORK/b.out"
expect_status "truncated bundle" 400 "${AUTH[@]}" "${BH[@]}" --data-binary @"$WORK/trunc.bundle" "$A/v1/bundle"
head -c $((31 * 1024 * 1024)) /dev/zero >"$WORK/big.bundle"
expect_status "bundle over the cap" 413 "${AUTH[@]}" "${BH[@]}" --data-binary @"$WORK/big.bundle" "$A/v1/bundle"
ok "bundle"

# status and metrics
curl -sS "${AUTH[@]}" "$A/v1/status" >"$WORK/s.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["draining"] is False and d["store"]["releases"]==1 and d["store"]["blobs"]>=10, d' "$WORK/s.json"
curl -sS "${AUTH[@]}" -D "$WORK/m.txt" -o "$WORK/m.out" "$A/metrics"
case "$(header_of "$WORK/m.txt" content-type)" in text/plain*) ;; *) fail "metrics type" ;; esac
for m in 'origind_http_requests_total{listener="admin",code="201"}' 'origind_http_requests_total{listener="admin",code="422"}' \
    origind_http_response_bytes_total origind_http_request_duration_seconds_bucket \
    origind_store_blobs origind_store_bytes origind_store_releases 'origind_uploads_total{result="created"}' \
    'origind_uploads_total{result="rejected"}' origind_draining; do
    grep -qF "$m" "$WORK/m.out" || fail "metrics lack $m"
done
ok "status and metrics"
node_alive
origind_stop
