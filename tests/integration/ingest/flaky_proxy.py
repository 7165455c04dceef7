#!/usr/bin/env python3
"""flaky_proxy.py - a real HTTP/1.1 reverse proxy in front of an origind admin
listener that fails on purpose, for the ingest retry tests.

usage: flaky_proxy.py UPSTREAM_PORT MODE N PORTFILE COUNTFILE
  MODE 503:  answer 503 to the first N requests, then forward every request
  MODE 400:  answer 400 to the first N requests, then forward
Writes its listening port to PORTFILE, and after each request the number of
requests seen to COUNTFILE. Keep-alive on both sides; bodies forwarded as is.
"""
import http.client
import http.server
import sys

upstream, mode, n, portfile, countfile = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
seen = 0


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def handle_any(self):
        global seen
        seen += 1
        open(countfile, "w").write(str(seen))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if seen <= n:
            code = int(mode)
            msg = b'{"error": "injected failure"}'
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg)
            return
        c = http.client.HTTPConnection("127.0.0.1", upstream, timeout=60)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        c.request(self.command, self.path, body=body, headers=hdrs)
        r = c.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length", "date", "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        c.close()

    do_GET = do_POST = do_PUT = handle_any


s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(portfile + ".tmp", "w").write(str(s.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
s.serve_forever()
