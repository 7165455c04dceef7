#!/usr/bin/env python3
"""refusing_proxy.py - a reverse proxy in front of an origind admin listener
that forwards every request but POST /v1/promotion, which it answers with
507 (a node whose store is full refuses to record): for peer_promote.sh, a
node that passes every check of `origin-ingest promote` and then refuses.

usage: refusing_proxy.py UPSTREAM_PORT PORTFILE
Writes its listening port to PORTFILE. Keep-alive towards the client.
"""
import http.client
import http.server
import os
import sys

upstream, portfile = int(sys.argv[1]), sys.argv[2]


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, headers, data):
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in ("connection", "transfer-encoding", "content-length", "date", "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if self.command == "POST" and self.path == "/v1/promotion":
            self.reply(507, [("Content-Type", "application/json"), ("Origind-Api", "2")],
                       b'{"error":"store full (injected)"}')
            return
        c = http.client.HTTPConnection("127.0.0.1", upstream, timeout=60)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        c.request(self.command, self.path, body=body, headers=hdrs)
        r = c.getresponse()
        data = r.read()
        self.reply(r.status, r.getheaders(), data)
        c.close()

    do_GET = do_POST = do_PUT = do_HEAD = handle_any


s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(portfile + ".tmp", "w").write(str(s.server_address[1]))
os.rename(portfile + ".tmp", portfile)
s.serve_forever()
