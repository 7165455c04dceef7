"""hostile_peer.py PORTFILE UPSTREAM BAD_HEX: impersonates a peer's admin API
by forwarding every request to UPSTREAM (a real node's admin URL), except
that GET /v1/blobs/BAD_HEX answers the right length of wrong bytes. Writes
its port to PORTFILE once listening."""
import http.server, sys, urllib.error, urllib.request

portfile, upstream, bad = sys.argv[1:4]


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        req = urllib.request.Request(upstream + self.path,
                                     headers={"Authorization": self.headers.get("Authorization", "")})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                code, body, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            code, body, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
        if self.path == "/v1/blobs/" + bad and code == 200:
            body = bytes([body[0] ^ 0xFF]) + body[1:] if body else b"x"
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(portfile + ".tmp", "w").write(str(s.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
s.serve_forever()
