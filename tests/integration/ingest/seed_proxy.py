#!/usr/bin/env python3
"""seed_proxy.py PORTFILE UPSTREAM [options]: an HTTP/1.1 reverse proxy in front of
a real origind admin listener (UPSTREAM, e.g. http://127.0.0.1:8081), for the
seed-push tests. Every request is forwarded as is (method, headers, body) and
the node's answer returned (Origind-Api header included), except as told:

  --corrupt            GET /v1/blobs/<hex>[/<enc>] answers with its first byte
                       flipped (a seed serving wrong bytes)
  --die-after N        after N GETs of /v1/blobs/<hex>[/<enc>], the next one
                       kills the proxy (os._exit): a seed dying mid-fetch
  --drop-blobs         GET /v1/blobs/<hex>[/<enc>] closes the connection with
                       no answer (a seed the fetching node cannot reach)
  --hang-blobs         GET /v1/blobs/<hex>[/<enc>] never answers (a seed that
                       accepts and hangs)
  --delay-ms MS        each blob GET waits MS first (a fetch that lasts)
  --no-fetch           POST /v1/fetch answers 404 (a node without the endpoint)

Writes its port to PORTFILE once listening, and the number of blob GETs seen
to PORTFILE.gets after each one."""
import argparse
import http.client
import http.server
import os
import threading
import time
import urllib.parse

ap = argparse.ArgumentParser()
ap.add_argument("portfile")
ap.add_argument("upstream")
ap.add_argument("--corrupt", action="store_true")
ap.add_argument("--die-after", type=int, default=-1)
ap.add_argument("--drop-blobs", action="store_true")
ap.add_argument("--hang-blobs", action="store_true")
ap.add_argument("--delay-ms", type=int, default=0)
ap.add_argument("--no-fetch", action="store_true")
args = ap.parse_args()
up = urllib.parse.urlsplit(args.upstream)
lock = threading.Lock()
gets = [0]


def is_blob_get(method, path):
    parts = path.split("?")[0].split("/")
    return method == "GET" and len(parts) in (4, 5) and parts[1] == "v1" and parts[2] == "blobs"


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, hdrs, body):
        self.send_response(code)
        for k, v in hdrs:
            if k.lower() not in ("connection", "transfer-encoding", "content-length", "date", "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        blob = is_blob_get(self.command, self.path)
        if blob:
            with lock:
                if args.die_after >= 0 and gets[0] >= args.die_after:
                    os._exit(0)
                gets[0] += 1
                open(args.portfile + ".gets", "w").write(str(gets[0]))
            if args.hang_blobs:
                time.sleep(600)
                return
            if args.drop_blobs:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if args.delay_ms:
                time.sleep(args.delay_ms / 1000.0)
        if args.no_fetch and self.command == "POST" and self.path.startswith("/v1/fetch"):
            return self.send(404, [("Content-Type", "application/json"), ("Origind-Api", "2")],
                             b'{"error":"no such endpoint"}')
        c = http.client.HTTPConnection(up.hostname, up.port, timeout=120)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        c.request(self.command, self.path, body=body, headers=hdrs)
        r = c.getresponse()
        data = r.read()
        if blob and args.corrupt and r.status == 200 and data:
            data = bytes([data[0] ^ 0x01]) + data[1:]
        self.send(r.status, r.getheaders(), data)
        c.close()

    do_GET = do_POST = do_PUT = do_HEAD = handle_any


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that went away mid-answer (a killed node): not news


s = Server(("127.0.0.1", 0), H)
open(args.portfile + ".tmp", "w").write(str(s.server_address[1]))
os.rename(args.portfile + ".tmp", args.portfile)
s.serve_forever()
