"""hostile_peer.py PORTFILE UPSTREAM [BAD_HEX] [options]: impersonates a peer's
admin API by forwarding every request to UPSTREAM (a real node's admin URL),
Origind-Api header included, and lies as told:

  BAD_HEX              GET /v1/blobs/BAD_HEX answers the right length of
                       wrong bytes ("-": none)
  --variant-500 N      the first N GETs of any /v1/blobs/<hex>/br or /gzip
                       answer 500 (a store error on the peer); counted in
                       PORTFILE.v500
  --arm FILE           --variant-500 applies only once FILE exists
  --release MODE       GET /v1/releases/<id> is altered: "truncate" drops
                       the last file (count and digest left as they were),
                       "rename" renames every "sha256" member to "digest256",
                       "digest" swaps one hex digit of a file's sha256 and
                       keeps the release digest
  --api V              state node API version V instead ("none": no header)

Writes its port to PORTFILE once listening."""
import argparse, http.server, json, os, sys, threading, urllib.error, urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("portfile")
ap.add_argument("upstream")
ap.add_argument("bad", nargs="?", default="-")
ap.add_argument("--variant-500", type=int, default=0)
ap.add_argument("--release", choices=["truncate", "rename", "digest"])
ap.add_argument("--api")
ap.add_argument("--arm")
args = ap.parse_args()
lock = threading.Lock()
v500 = [0]


def alter_release(body):
    doc = json.loads(body)
    if args.release == "truncate" and doc["files"]:
        doc["files"].pop()
    elif args.release == "rename":
        for f in doc["files"]:
            f["digest256"] = f.pop("sha256")
    elif args.release == "digest" and doc["files"]:
        h = doc["files"][0]["sha256"]
        doc["files"][0]["sha256"] = ("1" if h[0] == "0" else "0") + h[1:]
    return json.dumps(doc, separators=(",", ":")).encode()


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, code, body, ctype, api):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if args.api is not None:
            api = None if args.api == "none" else args.api
        if api is not None:
            self.send_header("Origind-Api", api)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        parts = self.path.split("?")[0].split("/")
        armed = args.arm is None or os.path.exists(args.arm)
        if armed and args.variant_500 and len(parts) == 5 and parts[2] == "blobs" and parts[4] in ("br", "gzip"):
            with lock:
                hit = v500[0] < args.variant_500
                if hit:
                    v500[0] += 1
                    open(args.portfile + ".v500", "w").write(str(v500[0]))
            if hit:
                return self.answer(500, b'{"error":"injected store error"}', "application/json", "2")
        req = urllib.request.Request(args.upstream + self.path,
                                     headers={"Authorization": self.headers.get("Authorization", "")})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                code, body, hdrs = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            code, body, hdrs = e.code, e.read(), e.headers
        if self.path == "/v1/blobs/" + args.bad and code == 200:
            body = bytes([body[0] ^ 0xFF]) + body[1:] if body else b"x"
        if args.release and len(parts) == 4 and parts[2] == "releases" and code == 200:
            body = alter_release(body)
        self.answer(code, body, hdrs.get("Content-Type", ""), hdrs.get("Origind-Api"))


s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(args.portfile + ".tmp", "w").write(str(s.server_address[1]))
os.rename(args.portfile + ".tmp", args.portfile)
s.serve_forever()
