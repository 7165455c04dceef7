"""fleet_headers.py TOKEN REF_ADMIN RELEASE PUBLIC...: for every path of
RELEASE on the reference node, asks every PUBLIC listener the same set of
requests (plain, HEAD, br and gzip, If-None-Match, If-Modified-Since and
If-Range with the first node's validators, a Range) and checks that status
and headers (all but Date and Connection) are byte-identical on every node.
Prints the number of requests compared; exits 1 naming the first difference."""
import http.client, json, sys, urllib.parse, urllib.request

token, ref, release = sys.argv[1:4]
publics = sys.argv[4:]
req = urllib.request.Request(ref + "/v1/releases/" + release,
                             headers={"Authorization": "Bearer " + token})
files = json.load(urllib.request.urlopen(req))["files"]
SKIP = {"date", "connection", "keep-alive"}


def ask(base, method, path, hdrs):
    u = urllib.parse.urlsplit(base)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.request(method, urllib.parse.quote(path), headers=hdrs)
    r = c.getresponse()
    body = r.read()
    c.close()
    h = sorted((k.lower(), v) for k, v in r.getheaders() if k.lower() not in SKIP)
    return (r.status, h, body)


n = 0
for f in files:
    p = f["path"]
    first = ask(publics[0], "GET", p, {})
    lm = dict(first[1]).get("last-modified", "")
    etag = dict(first[1]).get("etag", "")
    cases = [("GET", {}), ("HEAD", {}), ("GET", {"Accept-Encoding": "br"}),
             ("GET", {"Accept-Encoding": "gzip"}), ("GET", {"If-None-Match": etag}),
             ("GET", {"If-Modified-Since": lm}), ("GET", {"If-Range": lm, "Range": "bytes=0-9"}),
             ("GET", {"If-Range": etag, "Range": "bytes=1-5"}), ("GET", {"Range": "bytes=2-"})]
    for method, hdrs in cases:
        want = ask(publics[0], method, p, hdrs)
        for pub in publics[1:]:
            got = ask(pub, method, p, hdrs)
            n += 1
            if got != want:
                print("%s %s %s: %s answers %s %s, %s answers %s %s" % (
                    method, p, hdrs, publics[0], want[0], want[1], pub, got[0], got[1]))
                sys.exit(1)
    if dict(first[1]).get("last-modified") is None or first[0] != 200:
        print("GET %s: %s without Last-Modified" % (p, first[0]))
        sys.exit(1)
print(n)
