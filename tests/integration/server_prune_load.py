#!/usr/bin/env python3
"""server_prune_load.py - the page-lifetime proof under load (issue 14):
readers fetch large bodies (sendfile before the first prune, the map after)
and small ones, whole and by range, some of them slowly, while releases are
pruned and new ones pushed whose blobs land in the freed pages. Every byte
of every 200/206 answer is checked against the SHA-256 (and bytes) bound to
its path; a pruned path may only answer 410. Every transport error is
counted and fails the test (a body cut short once its pages were freed is an
IncompleteRead, not something to retry), and so does a reader thread that
died. Exit 0 only if nothing else was ever seen, enough answers were
checked, and freed space was reused.

usage: server_prune_load.py ADMIN_URL PUBLIC_URL TOKEN ROUNDS
"""
import hashlib, http.client, json, os, random, socket, sys, threading, time, urllib.parse

admin, public, token, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
A = urllib.parse.urlsplit(admin)
P = urllib.parse.urlsplit(public)
rnd = random.Random(14)

lock = threading.Lock()
files = {}        # path -> bytes
pruned = set()    # paths whose release prune has begun
stop = threading.Event()
stats = {"checked": 0, "bytes": 0, "gone": 0, "slow": 0, "transport_errors": 0}
finished = set()  # reader threads that returned normally
target = ["g0"]   # the release pruned next: what the slow readers read
errors = []


def admin_req(method, path, body=None):
    c = http.client.HTTPConnection(A.hostname, A.port, timeout=120)
    h = {"Authorization": "Bearer " + token}
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    if r.status not in (200, 201):
        raise SystemExit("admin %s %s: %d %s" % (method, path, r.status, data[:200]))
    return json.loads(data) if data[:1] == b"{" else data


def publish(rel):
    entries = []
    new = {}
    for j in range(4):
        size = rnd.randrange(200 * 1024, 900 * 1024)
        new["/g/%s/big%d.bin" % (rel, j)] = (os.urandom(size), "application/octet-stream")
    for j in range(6):
        new["/g/%s/s%d.css" % (rel, j)] = ((".r%s{x:%d}" % (rel, j)).encode() * rnd.randrange(20, 300), "text/css")
    for path, (data, typ) in new.items():
        h = hashlib.sha256(data).hexdigest()
        admin_req("PUT", "/v1/blobs/" + h, data)
        entries.append({"path": path, "sha256": h, "type": typ})
    admin_req("PUT", "/v1/releases/" + rel, {"files": entries})
    with lock:
        for path, (data, _) in new.items():
            files[path] = data


def fail(msg):
    with lock:
        errors.append(msg)
    stop.set()


def check(path, status, body, first, last):
    with lock:
        want = files.get(path)
        gone_ok = path in pruned
    if status == 410 and gone_ok:
        with lock:
            stats["gone"] += 1
        return
    if status not in (200, 206):
        fail("%s: HTTP %d (pruned=%s)" % (path, status, gone_ok))
        return
    exp = want if status == 200 else want[first:last + 1]
    if hashlib.sha256(body).digest() != hashlib.sha256(exp).digest():
        fail("%s: %d bytes that are not its content (status %d, range %s-%s, pruned=%s)"
             % (path, len(body), status, first, last, gone_ok))
        return
    with lock:
        stats["checked"] += 1
        stats["bytes"] += len(body)


def reader(seed):
    r = random.Random(seed)
    c = http.client.HTTPConnection(P.hostname, P.port, timeout=30)
    while not stop.is_set():
        with lock:
            path = r.choice(list(files))
            size = len(files[path])
        hdr = {"Accept-Encoding": "identity"}
        first = last = None
        if r.random() < 0.3 and size > 2:
            first = r.randrange(0, size - 1)
            last = r.randrange(first, size)
            hdr["Range"] = "bytes=%d-%d" % (first, last)
        try:
            c.request("GET", path, headers=hdr)
            resp = c.getresponse()
            body = resp.read()
        except (OSError, http.client.HTTPException) as e:
            # nothing here makes the server close or cut a connection: any
            # transport error (a reset, a body cut short: IncompleteRead) is
            # a failure, never retried away
            with lock:
                stats["transport_errors"] += 1
            fail("%s: transport error %s: %r" % (path, type(e).__name__, e))
            c.close()
            c = http.client.HTTPConnection(P.hostname, P.port, timeout=30)
            continue
        check(path, resp.status, body, first, last)


def slow_reader(seed):
    """A raw socket with a small receive buffer, reading a big body slowly:
    the server's send completes long before the client has read it all."""
    r = random.Random(seed)
    while not stop.is_set():
        with lock:
            bigs = [p for p in files if p.endswith(".bin") and p.startswith("/g/%s/" % target[0])]
            path = r.choice(bigs) if bigs else None
        if path is None:
            time.sleep(0.01)
            continue
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
        s.settimeout(30)
        s.connect((P.hostname, P.port))
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n" % path).encode())
        data = b""
        while True:
            chunk = s.recv(8192)
            if not chunk:
                break
            data += chunk
            time.sleep(0.01)
        s.close()
        head, _, body = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        clen = [l.split(b":", 1)[1].strip() for l in head.split(b"\r\n")[1:]
                if l.lower().startswith(b"content-length:")]
        if clen and int(clen[0]) != len(body):
            with lock:
                stats["transport_errors"] += 1
            fail("%s: slow read cut short: %d of %s bytes" % (path, len(body), clen[0].decode()))
            continue
        check(path, status, body, None, None)
        with lock:
            stats["slow"] += 1


def guarded(fn, name):
    """Runs a reader thread's loop; a thread that dies of an exception (a
    timeout, a reset, a malformed answer) fails the test instead of
    silently leaving fewer readers."""
    def run(*args):
        try:
            fn(*args)
        except BaseException as e:
            with lock:
                stats["transport_errors"] += 1
            fail("%s%r died: %s: %r" % (name, args, type(e).__name__, e))
            return
        with lock:
            finished.add((name, args))
    return run


def map_used():
    return admin_req("GET", "/v1/status")["store"]["map_used"]


for k in range(3):
    publish("g%d" % k)
threads = [threading.Thread(target=guarded(reader, "reader"), args=(i,)) for i in range(6)]
threads += [threading.Thread(target=guarded(slow_reader, "slow_reader"), args=(100 + i,))
            for i in range(4)]
for t in threads:
    t.start()
time.sleep(1.0)  # sendfile answers in flight, slow ones too
published_bytes = sum(len(v) for v in files.values())
used = []
for k in range(3, 3 + rounds):
    old = "g%d" % (k - 3)
    time.sleep(0.6)  # slow readers are inside old's big bodies now
    with lock:
        for p in files:
            if p.startswith("/g/%s/" % old):
                pruned.add(p)
    ans = admin_req("POST", "/v1/prune", {"prune": [old]})
    if ans["pruned"] != 1:
        fail("prune %s: %s" % (old, ans))
    with lock:
        target[0] = "g%d" % (k - 2)
    publish("g%d" % k)  # lands in the freed pages (once no zero-copy send may still read them)
    published_bytes += sum(len(v) for p, v in files.items() if p.startswith("/g/g%d/" % k))
    used.append(map_used())
    if stop.is_set():
        break
time.sleep(1.0)
stop.set()
for t in threads:
    t.join()
print("checked %(checked)d answers (%(bytes)d bytes), %(gone)d 410s, %(slow)d slow reads, "
      "%(transport_errors)d transport errors" % stats)
if len(finished) != len(threads):
    errors.append("%d of %d reader threads did not finish normally" % (len(threads) - len(finished), len(threads)))
print("published %d bytes in all; map used after each round: %s" % (published_bytes, used))
if errors:
    print("\n".join(errors[:10]))
    sys.exit(1)
if stats["checked"] < 200 or stats["slow"] < 2:
    print("too little load to prove anything")
    sys.exit(1)
if used[-1] >= published_bytes * 0.8:
    print("freed space was not reused")
    sys.exit(1)
