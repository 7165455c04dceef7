#!/usr/bin/env bash
# ingest_deltas: push --compress br,gzip,zstd and dictionary deltas (RFC 9842
# dcz) from earlier releases: three releases of a site pushed to two nodes;
# the changed JS and CSS of release 2 get deltas from release 1 (release 3:
# from 2 and 1), on every node, before the publish; every zstd and dcz answer
# decodes with the reference zstd CLI to the published bytes; --dict-deltas 0
# makes none; prune takes the deltas whose dictionary it removes.
. "$(dirname "$0")/ingest_lib.sh"
command -v zstd >/dev/null || fail "zstd (the reference CLI) is not installed: scripts/setup.sh"

start_nodes 2
mapfile -t NODES < <(node_args)
S="$WORK/site"
mkdir -p "$S/js" "$S/css" "$S/img" "$S/data"
python3 - "$S" <<'PY'
import random, sys
root = sys.argv[1]
rnd = random.Random(29)
words = ["state", "render", "props", "value", "index", "items", "handler", "event", "node", "list"]
def js(n):
    out = []
    for i in range(n):
        a, b = rnd.choice(words), rnd.choice(words)
        out.append(f"export function {a}_{i}({b}) {{ return {b}.{a} + {rnd.randint(0, 99999)}; }}\n")
    return "".join(out)
open(f"{root}/js/app.js", "w").write(js(1500))
open(f"{root}/css/site.css", "w").write("".join(f".c{i} {{ margin: {rnd.randint(0, 40)}px; color: #{rnd.randint(0, 0xffffff):06x}; }}\n" for i in range(1200)))
open(f"{root}/data/conf.json", "w").write('{"a": 1}\n' * 200)
open(f"{root}/img/logo.png", "wb").write(bytes(rnd.getrandbits(8) for _ in range(4000)))
PY
change() { # change FILE N: a small edit, like a release's
    python3 - "$1" "$2" <<'PY'
import sys
p, n = sys.argv[1], int(sys.argv[2])
lines = open(p).read().split("\n")
for k in range(3):
    lines[(n * 97 + k * 13) % (len(lines) - 1)] += f" /* r{n}.{k} */"
open(p, "w").write("\n".join(lines))
PY
}
push() { # push RELEASE [ARGS...]
    local rel="$1"
    shift
    run_ingest push "${NODES[@]}" --token-file "$TOKEN_FILE" --release "$rel" --json \
        --compress br,gzip,zstd --manifest-out "$WORK/m-$rel.json" --manifest-format full "$@" "$S"
    [ "$RC" = 0 ] || fail "push $rel: exit $RC: $(cat "$WORK/err")"
    cp "$WORK/out" "$WORK/push-$rel.json"
    mkdir -p "$WORK/src-$rel"
    cp -r "$S/." "$WORK/src-$rel/"
}
url() { json_get "$WORK/m-$1.json" "d['$2']['url']"; }
hexof() { json_get "$WORK/m-$1.json" "d['$2']['sha256']"; }
b64of() { printf '%s' "$1" | tr a-f A-F | basenc --base16 -d | base64 -w0; }

push r1
expect_eq "r1: no deltas (nothing before it)" "$(json_get "$WORK/push-r1.json" "d['deltas']['kept']")" 0
change "$S/js/app.js" 2
change "$S/css/site.css" 2
push r2
expect_eq "r2: deltas kept (app.js, site.css)" "$(json_get "$WORK/push-r2.json" "d['deltas']['kept']")" 2
expect_eq "r2: uploads (2 deltas x 2 nodes)" "$(json_get "$WORK/push-r2.json" "d['deltas']['sent']")" 4
expect_eq "r2: none refused" "$(json_get "$WORK/push-r2.json" "d['deltas']['refused']")" 0
st() { curl -sS -H "Authorization: Bearer $(cat "$TOKEN_FILE")" "${ADMIN[0]}/v1/status" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["store"][sys.argv[1]])' "$1"; }
expect_eq "status: deltas" "$(st deltas)" 2
ok "push computes deltas for the changed JS and CSS only, and sends them to every node ($(st delta_bytes) bytes of store pages for 2 deltas; variants $(st variant_bytes) bytes, blobs $(st blob_bytes) bytes)"

# every node answers r2's files as dcz to a browser holding r1's, and the
# answer decodes with the reference CLI to exactly the published bytes
for f in js/app.js css/site.css; do
    U2="$(url r2 "$f")"
    D1="$(hexof r1 "$f")"
    for i in 0 1; do
        curl -sS -D "$WORK/h.txt" -o "$WORK/body" -H "Accept-Encoding: gzip, br, zstd, dcz" \
            -H "Available-Dictionary: :$(b64of "$D1"):" "${PUBLIC[$i]}$U2"
        expect_eq "$f node $i encoding" "$(header_of "$WORK/h.txt" content-encoding)" dcz
        expect_eq "$f node $i vary" "$(header_of "$WORK/h.txt" vary)" "Accept-Encoding, Available-Dictionary"
        tail -c +41 "$WORK/body" | zstd -q -d -D "$WORK/src-r1/$f" -c >"$WORK/dec" ||
            fail "$f node $i: zstd -D cannot decode the delta"
        cmp -s "$WORK/dec" "$WORK/src-r2/$f" || fail "$f node $i: dcz does not decode to r2's bytes"
        DLEN=$(stat -c %s "$WORK/body")
        curl -sS -D "$WORK/h.txt" -o "$WORK/body" -H "Accept-Encoding: zstd" "${PUBLIC[$i]}$U2"
        expect_eq "$f node $i zstd" "$(header_of "$WORK/h.txt" content-encoding)" zstd
        zstd -q -d -c "$WORK/body" | cmp -s - "$WORK/src-r2/$f" || fail "$f node $i: zstd answer"
        curl -sS -o "$WORK/body" -H "Accept-Encoding: br" "${PUBLIC[$i]}$U2"
        BRLEN=$(stat -c %s "$WORK/body")
        [ "$DLEN" -lt "$BRLEN" ] || fail "$f: dcz ($DLEN) not smaller than br ($BRLEN)"
    done
    ok "$f: dcz $DLEN bytes vs br $BRLEN bytes, on both nodes, decoded by zstd -D"
done
curl -sS -D "$WORK/h.txt" -o /dev/null "${PUBLIC[0]}$(url r1 js/app.js)"
expect_eq "use-as-dictionary" "$(header_of "$WORK/h.txt" use-as-dictionary)" \
    "match=\"/assets/js/app.*.js\", match-dest=(\"script\")"
# the unchanged JSON and the image: no delta, no dictionary header for the png
curl -sS -D "$WORK/h.txt" -o /dev/null "${PUBLIC[0]}$(url r2 img/logo.png)"
expect_eq "png: no use-as-dictionary" "$(header_of "$WORK/h.txt" use-as-dictionary)" ""

# release 3: deltas from the 2 releases before it (the default)
change "$S/js/app.js" 3
push r3
expect_eq "r3: deltas from r2 and r1" "$(json_get "$WORK/push-r3.json" "d['deltas']['kept']")" 2
for r in r1 r2; do
    curl -sS -D "$WORK/h.txt" -o "$WORK/body" -H "Accept-Encoding: br, dcz" \
        -H "Available-Dictionary: :$(b64of "$(hexof $r js/app.js)"):" "${PUBLIC[1]}$(url r3 js/app.js)"
    expect_eq "r3 from $r" "$(header_of "$WORK/h.txt" content-encoding)" dcz
    tail -c +41 "$WORK/body" | zstd -q -d -D "$WORK/src-$r/js/app.js" -c | cmp -s - "$WORK/src-r3/js/app.js" ||
        fail "r3 delta from $r does not decode"
done
ok "--dict-deltas 2 (default): a browser one or two releases behind gets a delta"

# verify --through decodes every zstd and dcz answer too (here straight from a node)
run_ingest verify "${NODES[@]}" --token-file "$TOKEN_FILE" --release r3 --through "${PUBLIC[1]}" --json
[ "$RC" = 0 ] || fail "verify --through: exit $RC: $(cat "$WORK/out" "$WORK/err")"
expect_eq "through: dcz offered (app.js, site.css)" "$(json_get "$WORK/out" "d['through']['dcz_asked']")" 2
expect_eq "through: dcz answered" "$(json_get "$WORK/out" "d['through']['dcz_answers']")" 2
expect_eq "through: responses" "$(json_get "$WORK/out" "d['through']['responses']")" $((4 * 4 + 2))
ok "verify --through checks the zstd and dcz answers"

change "$S/js/app.js" 4
push r4 --dict-deltas 0
expect_eq "r4: --dict-deltas 0" "$(json_get "$WORK/push-r4.json" "d['deltas']['pairs']")" 0
curl -sS -D "$WORK/h.txt" -o /dev/null -H "Accept-Encoding: br, dcz" \
    -H "Available-Dictionary: :$(b64of "$(hexof r3 js/app.js)"):" "${PUBLIC[0]}$(url r4 js/app.js)"
expect_eq "r4: no delta, br" "$(header_of "$WORK/h.txt" content-encoding)" br
ok "--dict-deltas 0 makes none"

# prune r1: the deltas whose dictionary was r1's app.js go with it
run_ingest prune "${NODES[@]}" --token-file "$TOKEN_FILE" --keep r2 --keep r3 --keep r4
[ "$RC" = 0 ] || fail "prune: exit $RC: $(cat "$WORK/err")"
T2="$(hexof r2 js/app.js)"
for i in 0 1; do
    code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$TOKEN_FILE")" \
        "${ADMIN[$i]}/v1/blobs/$T2/dcz/$(hexof r1 js/app.js)")
    expect_eq "node $i: r1->r2 delta pruned" "$code" 404
    code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$TOKEN_FILE")" \
        "${ADMIN[$i]}/v1/blobs/$(hexof r3 js/app.js)/dcz/$T2")
    expect_eq "node $i: r2->r3 delta kept" "$code" 200
done
ok "prune removes deltas whose dictionary is gone, keeps the others"
