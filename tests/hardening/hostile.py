#!/usr/bin/env python3
"""hostile.py - hostile clients against a running origind (loopback only).

For: tests/hardening/hostile_clients.sh. Each attack is bounded in count and
time and stops by itself; a separate prober process fetches /healthz every
100 ms on a new connection for the whole run and records each latency.
Not for: load testing (scripts/soak.sh) or any address but 127.0.0.1.

Usage:
  hostile.py probe PUBLIC_URL SECONDS OUT_FILE      "latency_ms unix_time" or "FAIL why" per line
  hostile.py attack NAME PUBLIC_URL ADMIN_URL TOKEN ASSET_PATH
     NAME: slowloris slowloris_admin slow_readers big_headers header_flood big_url
           smuggling half_uploads oversize random_bytes
Each attack prints one "attack NAME: ..." summary line and exits 0, or
prints "FAIL: ..." and exits 1 when the server answered something it must
not (for example a 2xx to a smuggling attempt).
"""
import os
import random
import select
import socket
import sys
import time


def hostport(url):
    hp = url.split("//", 1)[1].rstrip("/")
    h, p = hp.rsplit(":", 1)
    assert h in ("127.0.0.1", "localhost", "[::1]"), "loopback only"
    return h, int(p)


def connect(url, timeout=5.0):
    s = socket.create_connection(hostport(url), timeout=timeout)
    return s


def read_all(s, timeout=3.0, limit=1 << 20):
    """Reads until close, timeout or limit; returns the bytes."""
    return read_until_close(s, timeout, limit)[0]


def read_answer(s):
    """2 s for the answers to arrive; a connection still silent then gets 3 s
    more to close. Returns (bytes, closed) as read_until_close."""
    raw, closed = read_until_close(s, 2.0)
    if not closed and not statuses(raw):
        more, closed = read_until_close(s, 3.0)
        raw += more
    return raw, closed


def read_until_close(s, timeout=3.0, limit=1 << 20):
    """Reads until close, timeout or limit; returns (bytes, closed): closed is
    True when the server closed or reset the connection, False on a timeout
    or the limit (silence is not a refusal)."""
    out = b""
    end = time.time() + timeout
    s.settimeout(0.2)
    while time.time() < end and len(out) < limit:
        try:
            c = s.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            return out, True
        if not c:
            return out, True
        out += c
    return out, False


def statuses(raw):
    """Status codes of every response found in raw."""
    codes = []
    for line in raw.split(b"\r\n"):
        if line.startswith(b"HTTP/1."):
            parts = line.split(b" ")
            if len(parts) >= 2 and parts[1].isdigit():
                codes.append(int(parts[1]))
    return codes


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


# ---------------------------------------------------------------- prober


def probe(public, seconds, out_file):
    h, p = hostport(public)
    req = b"GET /healthz HTTP/1.1\r\nHost: origin\r\nConnection: close\r\n\r\n"
    end = time.time() + seconds
    with open(out_file, "w") as out:
        while time.time() < end:
            t0 = time.monotonic()
            try:
                s = socket.create_connection((h, p), timeout=2.0)
                s.sendall(req)
                data = b""
                while b"\r\n\r\n" not in data or not data.endswith(b"ok"):
                    c = s.recv(4096)
                    if not c:
                        break
                    data += c
                s.close()
                ms = (time.monotonic() - t0) * 1000.0
                if not data.startswith(b"HTTP/1.1 200"):
                    out.write("FAIL status %r\n" % data[:40])
                else:
                    out.write("%.2f %.3f\n" % (ms, time.time()))
            except OSError as e:
                out.write("FAIL %s\n" % e)
            out.flush()
            left = 0.1 - (time.monotonic() - t0)
            if left > 0:
                time.sleep(left)


# ---------------------------------------------------------------- attacks


def slowloris(url, n=300, seconds=6.0, path=b"/healthz"):
    """n connections, each sending its request headers one byte per round."""
    req = b"GET " + path + b" HTTP/1.1\r\nHost: origin\r\nUser-Agent: slow\r\nX-Pad: " + b"a" * 200
    socks, opened, errors = [], 0, 0
    for _ in range(n):
        try:
            socks.append(connect(url, timeout=2.0))
            opened += 1
        except OSError:
            errors += 1
    pos = 0
    end = time.time() + seconds
    while time.time() < end and pos < len(req):
        for s in list(socks):
            try:
                s.send(req[pos:pos + 1])
            except OSError:
                socks.remove(s)
        pos += 1
        time.sleep(0.05)
    closed_by_server = n - errors - len(socks)
    for s in socks:
        s.close()
    print("attack slowloris %s: %d connections opened (%d refused), %d bytes each, "
          "%d closed by the server" % (url, opened, errors, pos, closed_by_server))


def slow_readers(public, asset, n=30, seconds=6.0):
    """n clients GET a large asset with a tiny receive buffer and read slowly."""
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(2.0)
        s.connect(hostport(public))
        s.sendall(b"GET " + asset.encode() + b" HTTP/1.1\r\nHost: origin\r\n\r\n")
        socks.append(s)
    got = 0
    end = time.time() + seconds
    while time.time() < end:
        for s in socks:
            try:
                s.settimeout(0.01)
                got += len(s.recv(512))
            except OSError:
                pass
        time.sleep(0.1)
    for s in socks:
        s.close()
    print("attack slow_readers: %d clients read %d bytes in %.0f s" % (n, got, seconds))


def big_headers(public, admin, token):
    """One 64 KiB header line and a 1 MiB header block: 431/400 or a close."""
    seen = []
    for url, auth in ((public, b""), (admin, b"Authorization: Bearer " + token.encode() + b"\r\n")):
        for size in (64 * 1024, 1024 * 1024):
            s = connect(url)
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: o\r\n" + auth +
                          b"X-Big: " + b"b" * size + b"\r\n\r\n")
            except OSError:
                pass
            codes = statuses(read_all(s, 3.0))
            s.close()
            if any(200 <= c < 300 for c in codes):
                fail("a %d-byte header got %s on %s" % (size, codes, url))
            seen.append(codes[0] if codes else "closed")
    print("attack big_headers: answers %s" % seen)


def header_flood(public, admin, token):
    """Header floods: 10,000 small headers to the public listener (32 KiB
    connection memory), 120,000 (1.6 MiB) to the admin one (1 MiB)."""
    seen = []
    for url, auth, n in ((public, b"", 10000),
                         (admin, b"Authorization: Bearer " + token.encode() + b"\r\n", 120000)):
        s = connect(url)
        try:
            s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: o\r\n" + auth +
                      b"".join(b"X-H%d: v\r\n" % i for i in range(n)) + b"\r\n")
        except OSError:
            pass
        codes = statuses(read_all(s, 3.0))
        s.close()
        if any(200 <= c < 300 for c in codes):
            fail("a %d-header request got %s on %s" % (n, codes, url))
        seen.append(codes[0] if codes else "closed")
    print("attack header_flood: answers %s" % seen)


def big_url(public, admin, token):
    """Request targets of 8 KiB and 1 MiB."""
    seen = []
    for url, auth in ((public, b""), (admin, b"Authorization: Bearer " + token.encode() + b"\r\n")):
        for size in (8 * 1024, 1024 * 1024):
            s = connect(url)
            try:
                s.sendall(b"GET /" + b"u" * size + b" HTTP/1.1\r\nHost: o\r\n" + auth + b"\r\n")
            except OSError:
                pass
            codes = statuses(read_all(s, 3.0))
            s.close()
            if any(200 <= c < 300 for c in codes):
                fail("a %d-byte URL got %s on %s" % (size, codes, url))
            seen.append(codes[0] if codes else "closed")
    print("attack big_url: answers %s" % seen)


def smuggling(public, admin, token):
    """Conflicting or malformed Content-Length / Transfer-Encoding framings,
    each followed by a smuggled request. The framing must be refused (4xx)
    and the smuggled request never served (a later 4xx for the leftover bytes
    is tolerated; RFC 9112 would rather have the connection closed)."""
    auth = b"Authorization: Bearer " + token.encode() + b"\r\n"
    body = b'{"digests": []}'
    smuggled = b"GET /v1/status HTTP/1.1\r\nHost: o\r\n" + auth + b"\r\n"
    chunked = b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
    cases = {
        "cl+te": b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n" % len(chunked),
        "te+cl": b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n",
        "two-cl": b"Content-Length: %d\r\nContent-Length: 0\r\n" % len(body),
        "cl-list": b"Content-Length: %d, 0\r\n" % len(body),
        "te-obfuscated": b"Transfer-Encoding: xchunked\r\nContent-Length: %d\r\n" % len(body),
        "te-space": b"Transfer-Encoding : chunked\r\n",
        "cl-plus": b"Content-Length: +%d\r\n" % len(body),
        "cl-hex": b"Content-Length: 0x%x\r\n" % len(body),
        "cl-neg": b"Content-Length: -1\r\n",
        "te-chunked-only": b"Transfer-Encoding: chunked\r\n",
    }
    seen = {}
    problems = []
    for name, hdrs in cases.items():
        payload = chunked if b"chunked" in hdrs and b"xchunked" not in hdrs else body
        s = connect(admin)
        try:
            s.sendall(b"POST /v1/missing HTTP/1.1\r\nHost: o\r\n" + auth + hdrs + b"\r\n" +
                      payload + smuggled)
        except OSError:
            pass
        raw, closed = read_answer(s)
        s.close()
        codes = statuses(raw)
        seen[name] = codes
        if not codes:
            # closed without an answer is a refusal; silence is not
            if not closed:
                problems.append("%s: no answer and no close within 5 s" % name)
            continue
        if codes[0] not in (400, 411):
            problems.append("%s: answered %s, not 400/411 (docs/admin-api.md)" % (name, codes))
        elif any(200 <= c < 300 for c in codes[1:]):
            problems.append("%s: the smuggled request was served (%s)" % (name, codes))
    # the public listener: a GET with a body is refused, never a second answer
    s = connect(public)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: o\r\nContent-Length: %d\r\n\r\n" % len(smuggled) +
              smuggled)
    raw, closed = read_answer(s)
    codes = statuses(raw)
    s.close()
    seen["public-get-body"] = codes
    if not codes and not closed:
        problems.append("public GET with a body: no answer and no close within 5 s")
    elif codes and codes[0] != 400:
        problems.append("public GET with a body: %s, not 400 (docs/security.md)" % codes)
    print("attack smuggling: %s" % seen)
    if problems:
        fail("smuggling: " + "; ".join(problems))


def half_uploads(admin, token, n=20):
    """Uploads that stop half way: single blobs, bundles, release bodies."""
    auth = b"Authorization: Bearer " + token.encode() + b"\r\n"
    rnd = random.Random(7)
    for i in range(n):
        data = bytes(rnd.getrandbits(8) for _ in range(4096)) * 64  # 256 KiB
        import hashlib
        hexd = hashlib.sha256(data).hexdigest()
        kind = i % 3
        if kind == 0:
            head = b"PUT /v1/blobs/%s HTTP/1.1\r\n" % hexd.encode()
            body = data
        elif kind == 1:
            head = b"POST /v1/bundle HTTP/1.1\r\nContent-Type: application/x-origind-bundle\r\n"
            body = b"\x00" + bytes.fromhex(hexd) + len(data).to_bytes(8, "big") + data
        else:
            head = b"PUT /v1/releases/half-%d HTTP/1.1\r\n" % i
            body = (b'{"files": [{"path": "/half/%d", "sha256": "%s", "type": "text/plain"}]}'
                    % (i, hexd.encode()))
        s = connect(admin)
        try:
            s.sendall(head + b"Host: o\r\n" + auth + b"Content-Length: %d\r\n\r\n" % len(body) +
                      body[:len(body) // 2])
            time.sleep(0.05)
        except OSError:
            pass
        s.close()
    print("attack half_uploads: %d uploads cut half way" % n)


def oversize(admin, token):
    """Bodies far over the limits: 413 before the body is read."""
    auth = b"Authorization: Bearer " + token.encode() + b"\r\n"
    hexd = b"ab" * 32
    seen = []
    for head in (b"PUT /v1/blobs/" + hexd + b" HTTP/1.1\r\n",
                 b"POST /v1/bundle HTTP/1.1\r\n",
                 b"POST /v1/missing HTTP/1.1\r\n",
                 b"PUT /v1/releases/huge HTTP/1.1\r\n"):
        s = connect(admin)
        t0 = time.monotonic()
        try:
            s.sendall(head + b"Host: o\r\n" + auth + b"Content-Length: 1099511627776\r\n\r\n" +
                      b"x" * 65536)
        except OSError:
            pass
        codes = statuses(read_all(s, 3.0))
        s.close()
        if not codes or codes[0] != 413:
            fail("1 TiB body to %r: %s, want 413" % (head, codes))
        seen.append((codes[0], round((time.monotonic() - t0) * 1000)))
    # a Content-Length that overflows uint64
    s = connect(admin)
    s.sendall(b"PUT /v1/blobs/" + hexd + b" HTTP/1.1\r\nHost: o\r\n" + auth +
              b"Content-Length: 99999999999999999999999999\r\n\r\n")
    codes = statuses(read_all(s, 3.0))
    s.close()
    if codes and 200 <= codes[0] < 300:
        fail("overflowing Content-Length accepted: %s" % codes)
    seen.append(codes[0] if codes else "closed")
    print("attack oversize: (status, ms) %s" % seen)


def random_bytes(public, admin, n=150):
    rnd = random.Random(1234)
    answered = 0
    for i in range(n):
        url = public if i % 2 == 0 else admin
        data = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 4096)))
        if i % 5 == 0:  # a plausible request line then garbage
            data = b"GET /" + data[:50] + b" HTTP/1.1\r\n" + data
        try:
            s = connect(url, 2.0)
            s.sendall(data)
            raw = read_all(s, 0.3)
            s.close()
            if statuses(raw):
                answered += 1
        except OSError:
            pass
    print("attack random_bytes: %d connections, %d got an HTTP answer" % (n, answered))


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "probe":
        probe(sys.argv[2], float(sys.argv[3]), sys.argv[4])
        return
    if len(sys.argv) == 7:
        print("attack %s starts at %.3f" % (sys.argv[2], time.time()))
    if len(sys.argv) != 7 or sys.argv[1] != "attack":
        print(__doc__)
        sys.exit(2)
    name, public, admin, token, asset = sys.argv[2:]
    if name == "slowloris":
        slowloris(public)
    elif name == "slowloris_admin":
        slowloris(admin, n=40, path=b"/v1/status")
    elif name == "slow_readers":
        slow_readers(public, asset)
    elif name == "big_headers":
        big_headers(public, admin, token)
    elif name == "header_flood":
        header_flood(public, admin, token)
    elif name == "big_url":
        big_url(public, admin, token)
    elif name == "smuggling":
        smuggling(public, admin, token)
    elif name == "half_uploads":
        half_uploads(admin, token)
    elif name == "oversize":
        oversize(admin, token)
    elif name == "random_bytes":
        random_bytes(public, admin)
    else:
        print("unknown attack " + name)
        sys.exit(2)


if __name__ == "__main__":
    main()
