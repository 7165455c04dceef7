#!/usr/bin/env bash
# Accept-Encoding: br/gzip variants with q-values, distinct ETags, Vary, identity fallback.
. "$(dirname "$0")/helpers.sh"
BR="$ORIGIND_BIN_DIR/server_br_compress"
origind_start "$WORK/store"

for i in $(seq 1 400); do echo "function f$i() { return $i * 2; } // padding padding"; done >"$WORK/app.js"
gzip -9 -n -c "$WORK/app.js" >"$WORK/app.js.gz"
"$BR" <"$WORK/app.js" >"$WORK/app.js.br"
head -c 3000 /dev/urandom >"$WORK/img.png"
publish r1 /app.js "$WORK/app.js" "text/javascript; charset=utf-8" /img.png "$WORK/img.png" image/png

# a variant that does not decode to the blob is refused
head -c 100 /dev/urandom >"$WORK/junk.gz"
h64="$(sha256sum "$WORK/app.js" | cut -c1-64)"
expect_status "bad gzip variant" 422 -H "Authorization: Bearer $NODE_TOKEN" -X PUT \
    --data-binary @"$WORK/junk.gz" "$NODE_ADMIN/v1/blobs/$h64/gzip"
gzip -c "$WORK/img.png" >"$WORK/img.gz"
expect_status "variant of another blob" 422 -H "Authorization: Bearer $NODE_TOKEN" -X PUT \
    --data-binary @"$WORK/img.gz" "$NODE_ADMIN/v1/blobs/$h64/gzip"

put_variant "$WORK/app.js" gzip "$WORK/app.js.gz"
put_variant "$WORK/app.js" br "$WORK/app.js.br"
H="$(sha256sum "$WORK/app.js" | cut -c1-32)"

neg() { # WHAT ACCEPT-ENCODING WANT-ENCODING(identity|gzip|br)
    local ae=()
    [ "$2" != "-" ] && ae=(-H "Accept-Encoding: $2")
    curl -sS -D "$WORK/e.txt" -o "$WORK/e.out" "${ae[@]}" "$NODE_PUBLIC/app.js"
    expect_eq "$1 status" "$(status_of "$WORK/e.txt")" 200
    expect_eq "$1 vary" "$(header_of "$WORK/e.txt" vary)" "Accept-Encoding"
    case "$3" in
    identity)
        expect_eq "$1 content-encoding" "$(header_of "$WORK/e.txt" content-encoding)" ""
        expect_eq "$1 etag" "$(header_of "$WORK/e.txt" etag)" "\"$H\""
        cmp -s "$WORK/e.out" "$WORK/app.js" || fail "$1 body"
        ;;
    gzip)
        expect_eq "$1 content-encoding" "$(header_of "$WORK/e.txt" content-encoding)" gzip
        expect_eq "$1 etag" "$(header_of "$WORK/e.txt" etag)" "\"$H-gz\""
        expect_eq "$1 length" "$(header_of "$WORK/e.txt" content-length)" "$(stat -c %s "$WORK/app.js.gz")"
        gzip -dc "$WORK/e.out" | cmp -s - "$WORK/app.js" || fail "$1 body"
        ;;
    br)
        expect_eq "$1 content-encoding" "$(header_of "$WORK/e.txt" content-encoding)" br
        expect_eq "$1 etag" "$(header_of "$WORK/e.txt" etag)" "\"$H-br\""
        cmp -s "$WORK/e.out" "$WORK/app.js.br" || fail "$1 body"
        ;;
    esac
    ok "$1 ($2) -> $3"
}
neg "none" - identity
neg "gzip" "gzip" gzip
neg "br" "br" br
neg "cloudfront" "br,gzip" br
neg "gzip preferred" "br;q=0.5, gzip" gzip
neg "gzip q=0" "gzip;q=0" identity
neg "gzip q=0 br" "gzip;q=0, br" br
neg "star" "*" br
neg "star but br refused" "*, br;q=0" gzip
neg "identity only" "identity" identity
neg "unknown" "compress, deflate" identity
neg "x-gzip" "x-gzip" gzip
neg "all refused" "br;q=0, gzip;q=0" identity

# Not compressible: never a variant, never Vary
curl -sS -D "$WORK/e.txt" -o "$WORK/e.out" -H "Accept-Encoding: br,gzip" "$NODE_PUBLIC/img.png"
expect_eq "png vary" "$(header_of "$WORK/e.txt" vary)" ""
expect_eq "png encoding" "$(header_of "$WORK/e.txt" content-encoding)" ""
cmp -s "$WORK/e.out" "$WORK/img.png" || fail "png body"
ok "non-compressible type"

# The ETag of one representation does not validate another
expect_status "gzip etag, gzip accepted" 304 -H "Accept-Encoding: gzip" -H "If-None-Match: \"$H-gz\"" "$NODE_PUBLIC/app.js"
expect_status "identity etag, gzip accepted" 200 -H "Accept-Encoding: gzip" -H "If-None-Match: \"$H\"" "$NODE_PUBLIC/app.js"
expect_status "gzip etag, identity" 200 -H "If-None-Match: \"$H-gz\"" "$NODE_PUBLIC/app.js"
ok "distinct ETags per encoding"

# Range applies to the selected representation
GZLEN=$(stat -c %s "$WORK/app.js.gz")
curl -sS -D "$WORK/e.txt" -o "$WORK/e.out" -H "Accept-Encoding: gzip" -H "Range: bytes=0-9" "$NODE_PUBLIC/app.js"
expect_eq "gzip range status" "$(status_of "$WORK/e.txt")" 206
expect_eq "gzip range" "$(header_of "$WORK/e.txt" content-range)" "bytes 0-9/$GZLEN"
head -c 10 "$WORK/app.js.gz" | cmp -s - "$WORK/e.out" || fail "gzip range bytes"
curl -sS -D "$WORK/e.txt" -o /dev/null -H "Accept-Encoding: gzip" -H "Range: bytes=$GZLEN-" "$NODE_PUBLIC/app.js"
expect_eq "gzip 416" "$(header_of "$WORK/e.txt" content-range)" "bytes */$GZLEN"
expect_eq "gzip 416 vary" "$(header_of "$WORK/e.txt" vary)" "Accept-Encoding"
ok "Range on the gzip representation"
origind_stop
