#!/usr/bin/env python3
"""client.py - the e2e test's browser: reads the HTML through the load balancer,
fetches every asset it names through the CDN, and checks every byte.

Not a load generator: it fetches sequentially (one request at a time), which is
what makes the baseline's failure deterministic under nginx's round-robin.

Ground truth is a map file the deploy side appends to *before* any HTML names
a URL; one line per URL:   <path?query> <sha256 hex> <label>
A fetched URL whose bytes hash to another URL's digest is "wrong bytes"; a URL
named by the HTML but absent from the map is "unpublished" (a page pointed at
an asset before the pipeline said it was everywhere).

Modes:
  client.py run   --lb URL --cdn URL --map FILE --stats FILE --stop FILE [--max-seconds N]
  client.py check --cdn URL --map FILE --stats FILE [--header 'Name: value']
"""
import argparse
import gzip
import hashlib
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

REF_RE = re.compile(r'(?:href|src|data-src)="(/[^"]*)"')


class Truth:
    """The map file, reloaded whenever it grows."""

    def __init__(self, path):
        self.path = path
        self.size = -1
        self.by_url = {}
        self.label_of_digest = {}

    def reload(self):
        try:
            size = os.path.getsize(self.path)
        except OSError:
            return
        if size == self.size:
            return
        self.size = size
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                parts = line.rstrip("\n").split(" ", 2)
                if len(parts) < 2:
                    continue
                url, digest = parts[0], parts[1]
                label = parts[2] if len(parts) > 2 else url
                self.by_url[url] = digest
                self.label_of_digest.setdefault(digest, label)


def canonical(ref):
    """The map key for a fetched ref: drops the cache-buster parameter."""
    u = urllib.parse.urlsplit(ref)
    q = [(k, v) for k, v in urllib.parse.parse_qsl(u.query, keep_blank_values=True) if k != "cb"]
    return urllib.parse.urlunsplit(("", "", u.path, urllib.parse.urlencode(q), ""))


def get(url, headers=None, timeout=10):
    """Returns (status, headers, body); status 0 on a connection error."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()
    except (urllib.error.URLError, OSError) as e:
        return 0, {}, str(e).encode()


class Stats:
    def __init__(self, path):
        self.path = path
        self.d = {"loops": 0, "html_errors": 0, "fetches": 0, "wrong": 0, "not_found": 0,
                  "errors": 0, "unpublished": 0, "gzip": 0, "versions_seen": [], "samples": []}

    def sample(self, kind, msg):
        if len(self.d["samples"]) < 12:
            self.d["samples"].append(msg)

    def save(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.d, f, indent=1, sort_keys=True)
        os.replace(tmp, self.path)


def check_one(cdn, ref, truth, stats, headers):
    """Fetches one ref through the CDN and scores it."""
    h = dict(headers)
    if stats.d["fetches"] % 2 == 1:
        h["Accept-Encoding"] = "gzip"
    status, rh, body = get(cdn + ref, h)
    stats.d["fetches"] += 1
    if status == 200 and rh.get("Content-Encoding", "") == "gzip":
        stats.d["gzip"] += 1
        try:
            body = gzip.decompress(body)
        except OSError:
            stats.d["wrong"] += 1
            stats.sample("wrong", "%s: gzip body does not decode" % ref)
            return
    key = canonical(ref)
    want = truth.by_url.get(key)
    if status == 404:
        stats.d["not_found"] += 1
        stats.sample("404", "%s: 404 (via %s, cache %s)" % (ref, rh.get("X-Upstream", "?"), rh.get("X-Cache", "?")))
        return
    if status != 200:
        stats.d["errors"] += 1
        stats.sample("error", "%s: status %d %s" % (ref, status, body[:80]))
        return
    if want is None:
        return  # counted as unpublished by the caller
    got = hashlib.sha256(body).hexdigest()
    if got != want:
        stats.d["wrong"] += 1
        stats.sample("wrong", "%s: got the bytes of %s (via %s, cache %s)" % (
            ref, truth.label_of_digest.get(got, "unknown content"),
            rh.get("X-Upstream", "?"), rh.get("X-Cache", "?")))


def run(a):
    truth = Truth(a.map)
    stats = Stats(a.stats)
    deadline = time.monotonic() + a.max_seconds
    seen = set()
    while not os.path.exists(a.stop) and time.monotonic() < deadline:
        truth.reload()
        status, _, body = get(a.lb + "/index.html")
        stats.d["loops"] += 1
        if status != 200:
            stats.d["html_errors"] += 1
            time.sleep(0.02)
            stats.save()
            continue
        html = body.decode("utf-8", "replace")
        m = re.search(r'<meta name="release" content="([^"]*)"', html)
        if m and m.group(1) not in seen:
            seen.add(m.group(1))
            stats.d["versions_seen"].append(m.group(1))
        refs = REF_RE.findall(html)
        truth.reload()  # the map only grows, and grew before this HTML existed
        for i, ref in enumerate(refs):
            if canonical(ref) not in truth.by_url:
                stats.d["unpublished"] += 1
                stats.sample("unpublished", "%s named by HTML but not published" % ref)
            check_one(a.cdn, ref, truth, stats, {})
        # One forced cache miss per page view, so the origin is exercised
        # continuously (restarts, a node down) and not only on new URLs.
        if refs:
            ref = refs[stats.d["loops"] % len(refs)]
            sep = "&" if "?" in ref else "?"
            check_one(a.cdn, "%s%scb=%d" % (ref, sep, stats.d["loops"]), truth, stats, {})
        stats.save()
        time.sleep(a.pause)
    stats.save()


def check(a):
    """Every URL ever published, once identity and once gzip: old URLs must stay right."""
    truth = Truth(a.map)
    truth.reload()
    stats = Stats(a.stats)
    headers = {}
    for h in a.header or []:
        k, v = h.split(":", 1)
        headers[k.strip()] = v.strip()
    for ref in sorted(truth.by_url):
        for _ in range(2):
            check_one(a.cdn, ref, truth, stats, headers)
    stats.save()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["run", "check"])
    p.add_argument("--lb")
    p.add_argument("--cdn", required=True)
    p.add_argument("--map", required=True)
    p.add_argument("--stats", required=True)
    p.add_argument("--stop")
    p.add_argument("--max-seconds", type=float, default=240)
    p.add_argument("--pause", type=float, default=0.01)
    p.add_argument("--header", action="append")
    a = p.parse_args()
    if a.mode == "run":
        if not a.lb or not a.stop:
            p.error("run needs --lb and --stop")
        run(a)
    else:
        check(a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
