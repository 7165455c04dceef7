"""peer_check.py TOKEN REF_ADMIN PUBLIC: every path of every release on the
reference node must be served by PUBLIC exactly as the release says: identity
bytes hashing to the release's sha256, the release's Content-Type, and gzip/br
answers decoding to the same bytes. Exit 1 on the first difference."""
import gzip, hashlib, json, sys, urllib.request

token, ref, pub = sys.argv[1:4]


def admin(path):
    req = urllib.request.Request(ref + path, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


n = 0
for rel in admin("/v1/releases")["releases"]:
    for f in admin("/v1/releases/" + rel["id"])["files"]:
        url = pub + urllib.request.quote(f["path"])
        req = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
        with urllib.request.urlopen(req, timeout=30) as r:
            body = r.read()
            ctype = r.headers["Content-Type"]
        if hashlib.sha256(body).hexdigest() != f["sha256"]:
            sys.exit("wrong bytes at %s (release %s)" % (f["path"], rel["id"]))
        if ctype != f["type"]:
            sys.exit("wrong type at %s: %s" % (f["path"], ctype))
        req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(req, timeout=30) as r:
            gz = r.read()
            if r.headers.get("Content-Encoding") == "gzip":
                gz = gzip.decompress(gz)
        if gz != body:
            sys.exit("gzip answer differs at %s" % f["path"])
        n += 1
print("checked %d paths" % n)
