#!/usr/bin/env bash
# Contract edges the other server tests leave out (SPEC, docs/): If-Range with
# a date; no chunked encoding on 200/206/304/variant/HEAD answers; HEAD and
# Allow on the admin listener; a listing limit above 10,000; a bundle that
# does not fit answers 507 and stores none of its records.
. "$(dirname "$0")/helpers.sh"
origind_start "$WORK/store"
P="$NODE_PUBLIC" A="$NODE_ADMIN"
AUTH=(-H "Authorization: Bearer $NODE_TOKEN")
python3 -c 'import sys; sys.stdout.write("a stylesheet line for the range test\n" * 400)' >"$WORK/a.css"
H=$(sha256sum "$WORK/a.css" | cut -c1-64)
gzip -c "$WORK/a.css" >"$WORK/a.css.gz"
publish r1 /a.css "$WORK/a.css" "text/css; charset=utf-8"
expect_status "gzip variant" 201 "${AUTH[@]}" -X PUT --data-binary @"$WORK/a.css.gz" "$A/v1/blobs/$H/gzip"
LEN=$(stat -c %s "$WORK/a.css")

# If-Range with the Last-Modified date: 206; with another date: the whole 200
curl -sS -D "$WORK/h0" -o /dev/null -H 'Accept-Encoding: identity' "$P/a.css"
LM="$(header_of "$WORK/h0" last-modified)"
ETAG="$(header_of "$WORK/h0" etag)"
[ -n "$LM" ] || fail "no Last-Modified"
curl -sS -D "$WORK/h1" -o "$WORK/b1" -H 'Accept-Encoding: identity' -r 10-19 -H "If-Range: $LM" "$P/a.css"
expect_eq "If-Range: the Last-Modified date" "$(status_of "$WORK/h1")" 206
expect_eq "If-Range date: the range" "$(cat "$WORK/b1")" "$(head -c 20 "$WORK/a.css" | tail -c 10)"
curl -sS -D "$WORK/h2" -o "$WORK/b2" -H 'Accept-Encoding: identity' -r 10-19 \
    -H 'If-Range: Thu, 01 Jan 2015 00:00:00 GMT' "$P/a.css"
expect_eq "If-Range: another date" "$(status_of "$WORK/h2")" 200
cmp -s "$WORK/b2" "$WORK/a.css" || fail "If-Range with another date: not the whole asset"
curl -sS -D "$WORK/h3" -o /dev/null -H 'Accept-Encoding: identity' -r 10-19 -H 'If-Range: "other"' "$P/a.css"
expect_eq "If-Range: another ETag" "$(status_of "$WORK/h3")" 200
ok "If-Range: the date and the ETag name the representation; anything else gets the whole 200"

# Content-Length and never Transfer-Encoding on every asset answer
no_chunked() { # WHAT WANT-STATUS WANT-LENGTH(or -) CURL-ARGS...
    local what="$1" st="$2" len="$3"
    shift 3
    curl -sS -D "$WORK/hc" -o /dev/null "$@"
    expect_eq "$what: status" "$(status_of "$WORK/hc")" "$st"
    expect_eq "$what: Transfer-Encoding" "$(header_of "$WORK/hc" transfer-encoding)" ""
    [ "$len" = - ] || expect_eq "$what: Content-Length" "$(header_of "$WORK/hc" content-length)" "$len"
}
no_chunked "200 identity" 200 "$LEN" -H 'Accept-Encoding: identity' "$P/a.css"
no_chunked "200 gzip variant" 200 "$(stat -c %s "$WORK/a.css.gz")" -H 'Accept-Encoding: gzip' "$P/a.css"
no_chunked "206" 206 10 -H 'Accept-Encoding: identity' -r 10-19 "$P/a.css"
no_chunked "206 of the variant" 206 5 -H 'Accept-Encoding: gzip' -r 0-4 "$P/a.css"
no_chunked "304" 304 - -H 'Accept-Encoding: identity' -H "If-None-Match: $ETAG" "$P/a.css"
no_chunked "HEAD" 200 "$LEN" -I -H 'Accept-Encoding: identity' "$P/a.css"
ok "200, variant, 206, 304 and HEAD answers: Content-Length, no chunked encoding"

# admin listener: HEAD answers like GET without a body; 405 names the methods
got="$(curl -sS -D "$WORK/ah" -o /dev/null -w '%{size_download}' -I "${AUTH[@]}" "$A/v1/status")"
expect_eq "admin HEAD /v1/status" "$(status_of "$WORK/ah")" 200
expect_eq "admin HEAD: body bytes" "$got" 0
curl -sS -D "$WORK/ah" -o /dev/null -I "${AUTH[@]}" "$A/v1/blobs/$H"
expect_eq "admin HEAD of a blob" "$(status_of "$WORK/ah")" 200
expect_eq "admin HEAD of a blob: length" "$(header_of "$WORK/ah" content-length)" "$LEN"
expect_eq "admin HEAD without a token" "$(curl -s -o /dev/null -w '%{http_code}' -I "$A/v1/status")" 401
for m in "DELETE /v1/blobs/$H GET, HEAD, PUT" "GET /v1/missing POST" "PUT /v1/status GET, HEAD" \
    "GET /v1/bundle POST" "DELETE /v1/releases/r1 GET, HEAD, PUT"; do
    set -- $m
    meth="$1" path="$2"
    shift 2
    curl -sS -D "$WORK/am" -o /dev/null -X "$meth" "${AUTH[@]}" "$A$path"
    expect_eq "$meth $path" "$(status_of "$WORK/am")" 405
    expect_eq "$meth $path: Allow" "$(header_of "$WORK/am" allow)" "$*"
done
ok "admin listener: HEAD without a body, 405 with the route's Allow"

# listing limit: 1..10000 (docs/admin-api.md)
expect_status "limit 10000" 200 "${AUTH[@]}" "$A/v1/blobs?limit=10000"
curl -sS "${AUTH[@]}" -o "$WORK/lim" -w '%{http_code}' "$A/v1/blobs?limit=10001" >"$WORK/limc"
expect_eq "limit 10001" "$(cat "$WORK/limc")" 400
grep -q '1..10000' "$WORK/lim" || fail "limit 10001: no reason: $(cat "$WORK/lim")"
expect_status "limit 0" 400 "${AUTH[@]}" "$A/v1/blobs?limit=0"
ok "listing limit above 10,000 -> 400 with the range"
origind_stop

# a bundle larger than the store's room: 507, none of its records stored
origind_start "$WORK/small" --map-size 2M
python3 - "$WORK" <<'PY'
import hashlib, os, struct, sys
w = sys.argv[1]
out, digests = b"", []
for i in range(4):  # 4 x 700 kB, incompressible: more than a 2 MiB map holds
    d = os.urandom(700000)
    h = hashlib.sha256(d)
    out += bytes([0]) + h.digest() + struct.pack(">Q", len(d)) + d
    digests.append(h.hexdigest())
open(w + "/full.bundle", "wb").write(out)
open(w + "/full.missing", "w").write('{"digests": [%s]}' % ", ".join('"%s"' % d for d in digests))
open(w + "/full.want", "w").write('{"missing":[%s]}' % ",".join('"%s"' % d for d in sorted(digests)))
PY
code="$(admin_curl -o "$WORK/fb" -w '%{http_code}' -H 'Content-Type: application/x-origind-bundle' \
    --data-binary @"$WORK/full.bundle" "$NODE_ADMIN/v1/bundle")"
expect_eq "bundle over the store's room" "$code" 507
grep -q '"error"' "$WORK/fb" || fail "507 without a JSON error: $(cat "$WORK/fb")"
got="$(admin_curl --data-binary @"$WORK/full.missing" "$NODE_ADMIN/v1/missing" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); d["missing"].sort(); print(json.dumps(d, separators=(",", ":")))')"
expect_eq "no record of the refused bundle stored" "$got" "$(cat "$WORK/full.want")"
expect_status "healthz after the 507" 200 "$NODE_PUBLIC/healthz"
ok "bundle into a full store: 507, none of its records stored"
origind_stop
