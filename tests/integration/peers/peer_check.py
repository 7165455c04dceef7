"""peer_check.py TOKEN REF_ADMIN PUBLIC REF_PUBLIC: every path of every
release on the reference node must be served by PUBLIC exactly as the release
says (identity bytes hashing to the release's sha256, the release's
Content-Type, gzip answers decoding to the same bytes) and exactly as the
reference node's own public listener REF_PUBLIC serves it (SPEC invariant 7):
same status, same body bytes and the same value of every header that must not
depend on the node, for Accept-Encoding identity, gzip, br and zstd, and for
every dcz delta the reference node lists (Available-Dictionary + dcz). Exit 1
on the first difference."""
import base64, gzip, hashlib, json, os, sys, urllib.error, urllib.request

token, ref, pub, ref_pub = sys.argv[1:5]
# PEER_CHECK_BASIC=1: a fleet with a node from before zstd and dcz: identity,
# gzip and br only, and no Use-As-Dictionary comparison (peer_mixed_zstd.sh)
BASIC = os.environ.get("PEER_CHECK_BASIC") == "1"
# headers whose values must be identical on every node (and through a proxy)
SAME = ("ETag", "Last-Modified", "Content-Type", "Content-Encoding", "Content-Length",
        "Cache-Control", "Vary", "Accept-Ranges", "X-Content-Type-Options", "Use-As-Dictionary")


def admin(path):
    req = urllib.request.Request(ref + path, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def get(base, path, enc, dictionary=None):
    hdrs = {"Accept-Encoding": enc}
    if dictionary:
        hdrs["Available-Dictionary"] = ":" + base64.b64encode(bytes.fromhex(dictionary)).decode() + ":"
    req = urllib.request.Request(base + urllib.request.quote(path), headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


# the deltas the reference node holds, by target digest
deltas, after = {}, ""
while True:
    page = admin("/v1/blobs?limit=1000" + ("&after=" + after if after else ""))
    for b in page["blobs"]:
        if b.get("deltas"):
            deltas[b["sha256"]] = b["deltas"]
    if not page.get("next"):
        break
    after = page["next"]

n = ndcz = 0
for rel in admin("/v1/releases")["releases"]:
    for f in admin("/v1/releases/" + rel["id"])["files"]:
        p = f["path"]
        tries = [(enc, None) for enc in ("identity", "gzip", "br") + (() if BASIC else ("zstd",))]
        tries += [] if BASIC else [("br, dcz", d) for d in deltas.get(f["sha256"], [])]
        for enc, d in tries:
            st, h, body = get(pub, p, enc, d)
            rst, rh, rbody = get(ref_pub, p, enc, d)
            if st != 200 or rst != 200:
                sys.exit("%s (%s): status %d here, %d on the reference node" % (p, enc, st, rst))
            for k in SAME:
                if BASIC and k == "Use-As-Dictionary":
                    continue
                if h.get(k) != rh.get(k):
                    sys.exit("%s (%s): %s is %r here, %r on the reference node"
                             % (p, enc, k, h.get(k), rh.get(k)))
            if body != rbody:
                sys.exit("%s (%s): other bytes than the reference node" % (p, enc))
            ce = h.get("Content-Encoding")
            if d is not None and ce != "dcz":
                sys.exit("%s: no dcz answer for dictionary %s" % (p, d))
            if ce == "dcz":
                ndcz += 1
            if ce in ("br", "zstd", "dcz"):
                continue  # same bytes as the reference node (checked above); decoding br
                #           is server_encoding's test (no brotli module in python3 here)
            plain = gzip.decompress(body) if ce == "gzip" else body
            if ce not in (None, "gzip"):
                sys.exit("unexpected Content-Encoding %s at %s" % (ce, p))
            if hashlib.sha256(plain).hexdigest() != f["sha256"]:
                sys.exit("wrong bytes at %s (%s, release %s)" % (p, enc, rel["id"]))
            if h.get("Content-Type") != f["type"]:
                sys.exit("wrong type at %s: %s" % (p, h.get("Content-Type")))
        n += 1
print("checked %d paths, %d dcz answers" % (n, ndcz))
