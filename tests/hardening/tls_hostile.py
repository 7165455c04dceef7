#!/usr/bin/env python3
"""tls_hostile.py - hostile TLS clients against a running origind whose
listeners speak HTTPS (loopback only).

For: tests/hardening/tls_hostile.sh. Every attack is bounded in count and
time. Not for: load (scripts/soak.sh) or any address but loopback.

Usage:
  tls_hostile.py probe PUBLIC_URL CAFILE SECONDS OUT     /healthz over a new TLS
                                                         connection every 100 ms:
                                                         "latency_ms" or "FAIL why" a line
  tls_hostile.py garbage URL N                  N connections of random bytes and
                                                broken ClientHellos: never an HTTP answer
  tls_hostile.py slow URL CAFILE N SECONDS      N real handshakes dripped a byte at a
                                                time for SECONDS, then finished: each
                                                must still complete (or be cut by the
                                                server), never hang the listener
  tls_hostile.py stall URL N TIMEOUT SRC [hold] N connections from source address SRC
                                                that send half a ClientHello and then
                                                nothing; every one must be closed by
                                                the server within TIMEOUT seconds
                                                (hold: kept open TIMEOUT seconds, then
                                                closed here; the server's timeout is
                                                not awaited)
  tls_hostile.py get URL CAFILE TOKEN PATH      one GET over TLS: prints the status
Each attack prints one summary line and exits 0, or "FAIL: ..." and 1.
"""
import random
import socket
import ssl
import sys
import time


def hostport(url):
    hp = url.split("//", 1)[1].rstrip("/")
    h, p = hp.rsplit(":", 1)
    assert h in ("127.0.0.1", "localhost"), "loopback only"
    return h, int(p)


def client_hello():
    """The bytes of a real TLS ClientHello (TLS 1.2/1.3), via a memory BIO."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def get(url, cafile, token, path, timeout=5.0):
    h, p = hostport(url)
    ctx = ssl.create_default_context(cafile=cafile)
    with socket.create_connection((h, p), timeout=timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname=h) as s:
            hdr = "Authorization: Bearer %s\r\n" % token if token != "-" else ""
            s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n%sConnection: close\r\n\r\n" % (path, hdr)).encode())
            data = b""
            while True:
                c = s.recv(65536)
                if not c:
                    break
                data += c
    line = data.split(b"\r\n", 1)[0].split()
    return int(line[1]) if len(line) > 1 else 0


def probe(url, cafile, seconds, out):
    end = time.time() + seconds
    with open(out, "w") as f:
        while time.time() < end:
            t0 = time.time()
            try:
                st = get(url, cafile, "-", "/healthz", timeout=10.0)
                ms = (time.time() - t0) * 1000
                f.write("%.1f\n" % ms if st == 200 else "FAIL status %d\n" % st)
            except Exception as e:  # noqa: BLE001 - any failure is recorded
                f.write("FAIL %s\n" % type(e).__name__)
            f.flush()
            time.sleep(max(0.0, 0.1 - (time.time() - t0)))
    return 0


def garbage(url, n):
    rnd = random.Random(15)
    hello = client_hello()
    answered = 0
    for i in range(n):
        kind = i % 4
        if kind == 0:
            data = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 4000)))
        elif kind == 1:  # a TLS record header announcing a huge handshake
            data = b"\x16\x03\x01\xff\xff" + bytes(rnd.getrandbits(8) for _ in range(600))
        elif kind == 2:  # a real ClientHello with its body scrambled
            b = bytearray(hello)
            for _ in range(20):
                b[rnd.randrange(5, len(b))] = rnd.getrandbits(8)
            data = bytes(b)
        else:  # plain HTTP on the TLS port
            data = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        try:
            with socket.create_connection(hostport(url), timeout=3.0) as s:
                s.sendall(data)
                s.settimeout(2.0)
                got = b""
                try:
                    while len(got) < 65536:
                        c = s.recv(65536)
                        if not c:
                            break
                        got += c
                except OSError:
                    pass
                if b"HTTP/1." in got:
                    answered += 1
        except OSError:
            pass
    if answered:
        print("FAIL: garbage: %d of %d connections got an HTTP answer" % (answered, n))
        return 1
    print("attack garbage: %d connections, no HTTP answer" % n)
    return 0


def slow(url, cafile, n, seconds):
    hello = client_hello()
    socks = []
    for _ in range(n):
        socks.append(socket.create_connection(hostport(url), timeout=5.0))
    per = max(0.01, seconds / max(1, len(hello) // 2))
    sent = 0
    # drip the first half of the ClientHello, one byte per connection per step
    while sent < len(hello) // 2:
        for s in socks:
            try:
                s.sendall(hello[sent:sent + 1])
            except OSError:
                pass
        sent += 1
        time.sleep(per)
    for s in socks:
        s.close()
    # and a real client still gets through afterwards: at once, or as soon as
    # the server has seen those closes (until then they may still fill this
    # address's share of the slots, and the server resets a connection over it)
    st = None
    for _ in range(30):
        try:
            st = get(url, cafile, "-", "/healthz")
            break
        except OSError:
            time.sleep(0.1)
    if st is None:
        print("FAIL: slow: a normal client was refused for 3 s after the slow handshakes closed")
        return 1
    if st not in (200, 401):
        print("FAIL: slow: a normal client got %d after the slow handshakes" % st)
        return 1
    print("attack slow: %d handshakes dripped over %.0f s; a normal client then got %d" % (n, seconds, st))
    return 0


def stall(url, n, timeout, src, hold=False):
    hello = client_hello()
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.settimeout(5.0)
        try:
            s.connect(hostport(url))
            s.sendall(hello[: len(hello) // 2])
            socks.append(s)
        except OSError:
            s.close()
    t0 = time.time()
    if hold:
        time.sleep(timeout)
        for s in socks:
            s.close()
        print("attack stall: %d half handshakes from %s held %.0f s (not awaiting the server's timeout)"
              % (len(socks), src, timeout))
        return 0
    open_ = list(socks)
    closed_at = []
    while open_ and time.time() - t0 < timeout:
        still = []
        for s in open_:
            s.settimeout(0.05)
            try:
                c = s.recv(4096)
                if not c:
                    closed_at.append(time.time() - t0)
                    s.close()
                    continue
                still.append(s)  # an alert or data: keep reading until close
            except socket.timeout:
                still.append(s)
            except OSError:
                closed_at.append(time.time() - t0)
                s.close()
        open_ = still
        time.sleep(0.5)
    for s in open_:
        s.close()
    if open_:
        print("FAIL: stall: %d of %d never-finished handshakes still open after %d s" % (len(open_), len(socks), timeout))
        return 1
    print("attack stall: %d half handshakes from %s, all closed by the server after %.0f-%.0f s"
          % (len(socks), src, min(closed_at or [0]), max(closed_at or [0])))
    return 0


def main(argv):
    cmd = argv[1]
    if cmd == "probe":
        return probe(argv[2], argv[3], float(argv[4]), argv[5])
    if cmd == "garbage":
        return garbage(argv[2], int(argv[3]))
    if cmd == "slow":
        return slow(argv[2], argv[3], int(argv[4]), float(argv[5]))
    if cmd == "stall":
        return stall(argv[2], int(argv[3]), float(argv[4]), argv[5],
                     len(argv) > 6 and argv[6] == "hold")
    if cmd == "get":
        print(get(argv[2], argv[3], argv[4], argv[5]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
