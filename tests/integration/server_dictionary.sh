#!/usr/bin/env bash
# zstd variants and dictionary deltas (RFC 9842 dcz) on the public listener:
# negotiation (ties br, zstd, gzip; dcz only with a known Available-Dictionary),
# ETags, Vary, Use-As-Dictionary, Range, the node's verification of a delta
# (422), and every answer decoded with the reference zstd CLI to the
# published bytes.
. "$(dirname "$0")/helpers.sh"
BR="$ORIGIND_BIN_DIR/server_br_compress"
command -v zstd >/dev/null || fail "zstd (the reference CLI) is not installed: scripts/setup.sh"
origind_start "$WORK/store"
hex2bin() { tr a-f A-F | basenc --base16 -d; } # coreutils only (no xxd)

# release 1 and release 2 of the same bundle: a small change between them
# (random strings: every match of a delta must come from its dictionary)
head -c 24000 /dev/urandom | base64 -w 60 | awk '{ printf "export const k%d = \"%s\";\n", NR, $0 }' >"$WORK/v1.js"
awk 'NR == 200 { print "export const changed = \"in release 2\";"; next } { print }' "$WORK/v1.js" >"$WORK/v2.js"
cmp -s "$WORK/v1.js" "$WORK/v2.js" && fail "v2 must differ from v1"
H1="$(sha256sum "$WORK/v1.js" | cut -c1-64)"
H2="$(sha256sum "$WORK/v2.js" | cut -c1-64)"
P1="/assets/app.${H1:0:16}.js"
P2="/assets/app.${H2:0:16}.js"
publish r1 "$P1" "$WORK/v1.js" "text/javascript; charset=utf-8"
publish r2 "$P2" "$WORK/v2.js" "text/javascript; charset=utf-8"

gzip -9 -n -c "$WORK/v2.js" >"$WORK/v2.js.gz"
"$BR" <"$WORK/v2.js" >"$WORK/v2.js.br"
zstd -q -19 -c "$WORK/v2.js" >"$WORK/v2.js.zst"
put_variant "$WORK/v2.js" gzip "$WORK/v2.js.gz"
put_variant "$WORK/v2.js" br "$WORK/v2.js.br"

# a zstd variant that does not decode to the blob: 422; two frames: 422
zstd -q -19 -c "$WORK/v1.js" >"$WORK/v1.js.zst"
expect_status "zstd of other bytes" 422 -H "Authorization: Bearer $NODE_TOKEN" -X PUT \
    --data-binary @"$WORK/v1.js.zst" "$NODE_ADMIN/v1/blobs/$H2/zstd"
cat "$WORK/v2.js.zst" "$WORK/v2.js.zst" >"$WORK/two.zst"
expect_status "zstd, two frames" 422 -H "Authorization: Bearer $NODE_TOKEN" -X PUT \
    --data-binary @"$WORK/two.zst" "$NODE_ADMIN/v1/blobs/$H2/zstd"
put_variant "$WORK/v2.js" zstd "$WORK/v2.js.zst"
ok "zstd variant verified by decoding"

# the delta: 40-byte dcz header (magic, SHA-256 of the dictionary), then a
# zstd frame with release 1's bytes as raw-content dictionary
zstd -q -19 -D "$WORK/v1.js" -c "$WORK/v2.js" >"$WORK/d.zst"
{ printf '\x5e\x2a\x4d\x18\x20\x00\x00\x00'; printf '%s' "$H1" | hex2bin; cat "$WORK/d.zst"; } >"$WORK/v2.dcz"
[ "$(stat -c %s "$WORK/v2.dcz")" -eq $((40 + $(stat -c %s "$WORK/d.zst"))) ] || fail "dcz header"
# refused: a delta against another dictionary (the header says v1, the frame needs other bytes)
awk 'NR == 100 { print "export const other = 3;"; next } { print }' "$WORK/v2.js" >"$WORK/other.js"
zstd -q -19 -D "$WORK/other.js" -c "$WORK/v2.js" >"$WORK/o.zst"
{ printf '\x5e\x2a\x4d\x18\x20\x00\x00\x00'; printf '%s' "$H1" | hex2bin; cat "$WORK/o.zst"; } >"$WORK/bad.dcz"
if zstd -q -d -D "$WORK/v1.js" -c "$WORK/o.zst" 2>/dev/null | cmp -s - "$WORK/v2.js"; then
    fail "test setup: the bad delta decodes with v1 after all"
fi
expect_status "delta against other bytes" 422 -H "Authorization: Bearer $NODE_TOKEN" -X PUT \
    --data-binary @"$WORK/bad.dcz" "$NODE_ADMIN/v1/blobs/$H2/dcz/$H1"
head -c 40 "$WORK/v2.dcz" >"$WORK/hdr.dcz"
expect_status "header only" 422 -H "Authorization: Bearer $NODE_TOKEN" -X PUT \
    --data-binary @"$WORK/hdr.dcz" "$NODE_ADMIN/v1/blobs/$H2/dcz/$H1"
expect_status "unknown dictionary" 422 -H "Authorization: Bearer $NODE_TOKEN" -X PUT \
    --data-binary @"$WORK/v2.dcz" "$NODE_ADMIN/v1/blobs/$H2/dcz/$(printf '%064d' 0)"
expect_status "malformed dictionary digest" 400 -H "Authorization: Bearer $NODE_TOKEN" -X PUT \
    --data-binary @"$WORK/v2.dcz" "$NODE_ADMIN/v1/blobs/$H2/dcz/xyz"
code="$(admin_curl -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$WORK/v2.dcz" \
    "$NODE_ADMIN/v1/blobs/$H2/dcz/$H1")"
expect_eq "delta stored" "$code" 201
ok "delta verified against its dictionary before it is kept"

AD=":$(printf '%s' "$H1" | hex2bin | base64 -w0):"
H=${H2:0:32}
get() { # WHAT URL [curl args]: GET into e.out, headers into e.txt
    local what="$1" url="$2"
    shift 2
    curl -sS -D "$WORK/e.txt" -o "$WORK/e.out" "$@" "$url"
    expect_eq "$what status" "$(status_of "$WORK/e.txt")" 200
}
# Use-As-Dictionary on every answer of an eligible file, matching later versions
get "identity" "$NODE_PUBLIC$P1"
expect_eq "use-as-dictionary" "$(header_of "$WORK/e.txt" use-as-dictionary)" \
    'match="/assets/app.*.js", match-dest=("script")'
cmp -s "$WORK/e.out" "$WORK/v1.js" || fail "identity body"

neg() { # WHAT ACCEPT-ENCODING WANT(identity|gzip|br|zstd|dcz) [AVAILABLE-DICTIONARY]
    local args=(-H "Accept-Encoding: $2")
    [ -n "${4:-}" ] && args+=(-H "Available-Dictionary: $4")
    get "$1" "$NODE_PUBLIC$P2" "${args[@]}"
    case "$3" in
    identity) expect_eq "$1 etag" "$(header_of "$WORK/e.txt" etag)" "\"$H\"" ;;
    gzip) expect_eq "$1 etag" "$(header_of "$WORK/e.txt" etag)" "\"$H-gz\"" ;;
    br) expect_eq "$1 etag" "$(header_of "$WORK/e.txt" etag)" "\"$H-br\"" ;;
    zstd) expect_eq "$1 etag" "$(header_of "$WORK/e.txt" etag)" "\"$H-zs\"" ;;
    dcz) expect_eq "$1 etag" "$(header_of "$WORK/e.txt" etag)" "\"$H-dcz-${H1:0:16}\"" ;;
    esac
    if [ "$3" = dcz ]; then
        expect_eq "$1 vary" "$(header_of "$WORK/e.txt" vary)" "Accept-Encoding, Available-Dictionary"
    else
        expect_eq "$1 vary" "$(header_of "$WORK/e.txt" vary)" "Accept-Encoding"
    fi
    expect_eq "$1 use-as-dictionary" "$(header_of "$WORK/e.txt" use-as-dictionary)" \
        'match="/assets/app.*.js", match-dest=("script")'
    expect_eq "$1 content-encoding" "$(header_of "$WORK/e.txt" content-encoding)" \
        "$([ "$3" = identity ] || echo "$3")"
    # every answer decodes, with the reference tools, to exactly the published bytes
    case "$3" in
    identity) cp "$WORK/e.out" "$WORK/dec" ;;
    gzip) gzip -dc "$WORK/e.out" >"$WORK/dec" ;;
    br) cmp -s "$WORK/e.out" "$WORK/v2.js.br" || fail "$1 br body"; cp "$WORK/v2.js" "$WORK/dec" ;;
    zstd) zstd -q -d -c "$WORK/e.out" >"$WORK/dec" ;;
    dcz)
        expect_eq "$1 dcz header" "$(head -c 40 "$WORK/e.out" | od -An -tx1 | tr -d ' \n')" "5e2a4d1820000000$H1"
        tail -c +41 "$WORK/e.out" | zstd -q -d -D "$WORK/v1.js" -c >"$WORK/dec"
        ;;
    esac
    cmp -s "$WORK/dec" "$WORK/v2.js" || fail "$1: $3 answer does not decode to the published bytes"
    ok "$1 -> $3"
}
neg "chrome, no dictionary" "gzip, deflate, br, zstd" br
neg "zstd over gzip" "gzip, zstd" zstd
neg "zstd preferred by q" "br;q=0.5, zstd, gzip" zstd
neg "star" "*" br
neg "star without br" "*, br;q=0" zstd
neg "zstd q=0" "gzip, zstd;q=0" gzip
neg "chrome with dictionary" "gzip, deflate, br, zstd, dcb, dcz" dcz "$AD"
neg "dcz only" "dcz" dcz "$AD"
neg "dcz without padding" "dcz, br" dcz "${AD%=:}:"
neg "dictionary, dcz not accepted" "gzip, br, zstd" br "$AD"
neg "dictionary, dcz q=0" "br, dcz;q=0" br "$AD"
neg "star is not dcz" "*" br "$AD"
neg "unknown dictionary" "br, dcz" br ":$(head -c 32 /dev/zero | base64 -w0):"
neg "the target itself as dictionary" "br, dcz" br ":$(printf '%s' "$H2" | hex2bin | base64 -w0):"
neg "malformed: hex" "br, dcz" br "$H1"
neg "malformed: short" "br, dcz" br ":$(head -c 31 /dev/zero | base64 -w0):"
neg "malformed: no colons" "br, dcz" br "$(printf '%s' "$H1" | hex2bin | base64 -w0)"
neg "malformed: base64url digit" "br, dcz" br "${AD:0:5}-${AD:6}"
neg "malformed: a parameter" "br, dcz" br "$AD;x=1"

# the dictionary's own answer carries no delta, and types outside JS/CSS/wasm/JSON none either
get "v1 with its own hash" "$NODE_PUBLIC$P1" -H "Accept-Encoding: dcz" -H "Available-Dictionary: $AD"
expect_eq "v1 encoding" "$(header_of "$WORK/e.txt" content-encoding)" ""

# Range applies to the delta; a conditional request with its ETag is 304
DLEN=$(stat -c %s "$WORK/v2.dcz")
curl -sS -D "$WORK/e.txt" -o "$WORK/e.out" -H "Accept-Encoding: dcz" -H "Available-Dictionary: $AD" \
    -H "Range: bytes=0-39" "$NODE_PUBLIC$P2"
expect_eq "dcz range status" "$(status_of "$WORK/e.txt")" 206
expect_eq "dcz content-range" "$(header_of "$WORK/e.txt" content-range)" "bytes 0-39/$DLEN"
cmp -s "$WORK/e.out" "$WORK/hdr.dcz" || fail "dcz range body"
curl -sS -D "$WORK/e.txt" -o "$WORK/e.out" -H "Accept-Encoding: zstd" -H "Range: bytes=-10" "$NODE_PUBLIC$P2"
expect_eq "zstd range status" "$(status_of "$WORK/e.txt")" 206
tail -c 10 "$WORK/v2.js.zst" | cmp -s - "$WORK/e.out" || fail "zstd range body"
expect_status "dcz 304" 304 -H "Accept-Encoding: dcz" -H "Available-Dictionary: $AD" \
    -H "If-None-Match: \"$H-dcz-${H1:0:16}\"" "$NODE_PUBLIC$P2"
expect_status "dcz etag does not validate br" 200 -H "Accept-Encoding: br" \
    -H "If-None-Match: \"$H-dcz-${H1:0:16}\"" "$NODE_PUBLIC$P2"
ok "range and validators of zstd and dcz"

# the admin API gives the delta back as stored; the status reports deltas
admin_curl -o "$WORK/back.dcz" "$NODE_ADMIN/v1/blobs/$H2/dcz/$H1"
cmp -s "$WORK/back.dcz" "$WORK/v2.dcz" || fail "admin GET of the delta"
admin_curl -D "$WORK/a.txt" -o /dev/null "$NODE_ADMIN/v1/status"
expect_eq "encodings header" "$(header_of "$WORK/a.txt" origind-encodings)" "gzip, br, zstd, dcz"

# a hot path (the response cache) still answers dcz to a dictionary request
for _ in 1 2 3; do curl -sS -o /dev/null -H "Accept-Encoding: br" "$NODE_PUBLIC$P2"; done
neg "after caching" "br, dcz" dcz "$AD"
neg "cached br" "br, zstd, dcz" br

# fsck checks the zstd variant and the delta
origind_stop
"$ORIGIND" fsck --store "$WORK/store" >"$WORK/fsck.out" 2>&1 || fail "fsck: $(cat "$WORK/fsck.out")"
ok "fsck"

# prune release 1: the delta's dictionary goes, and the delta with it
origind_start "$WORK/store"
code="$(admin_curl -o "$WORK/prune.out" -w '%{http_code}' -X POST --data-binary '{"prune":["r1"]}' \
    "$NODE_ADMIN/v1/prune")"
expect_eq "prune" "$code" 200
expect_status "delta gone with its dictionary" 404 -H "Authorization: Bearer $NODE_TOKEN" \
    "$NODE_ADMIN/v1/blobs/$H2/dcz/$H1"
neg "after prune" "br, dcz" br "$AD"
ok "prune removes deltas whose dictionary is gone"
