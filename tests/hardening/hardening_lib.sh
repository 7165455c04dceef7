# hardening_lib.sh - shared helpers for tests/hardening/*.sh (sources ../lib.sh).
set -euo pipefail
HARD_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HARD_DIR/../lib.sh"
HOSTILE="$HARD_DIR/hostile.py"

# store_snapshot: the node's store counters (blobs, bytes, variants, paths,
# releases, last release) as one line, from GET /v1/status.
store_snapshot() {
    admin_curl "$NODE_ADMIN/v1/status" | python3 -c '
import json, sys
s = json.load(sys.stdin)["store"]
print(" ".join("%s=%s" % (k, s[k]) for k in
      ("blobs", "blob_bytes", "variants", "variant_bytes", "paths", "releases", "last_release")))'
}

# make_site DIR N SEED: N files of varied sizes (a few bytes to ~300 KiB) and types.
make_site() {
    python3 - "$1" "$2" "$3" <<'PY'
import os, random, sys
d, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(seed)
exts = ["css", "js", "svg", "json", "png", "woff2", "txt"]
for i in range(n):
    sub = os.path.join(d, "dir%d" % (i % 4))
    os.makedirs(sub, exist_ok=True)
    size = r.choice([0, 7, 900, 5000, 40000, 300000])
    ext = exts[i % len(exts)]
    if ext in ("css", "js", "svg", "json", "txt"):
        data = ("/* %d %d */ " % (seed, i) + "body { color: #%06x; }\n" % r.getrandbits(24)
                * (size // 30 + 1)).encode()[: max(size, 20)]
    else:
        data = r.randbytes(size) + b"%d-%d" % (seed, i)
    with open(os.path.join(sub, "f%03d.%s" % (i, ext)), "wb") as f:
        f.write(data)
PY
}

# check_manifest MANIFEST SITE_DIR PUBLIC_URL: every published URL serves
# exactly the bytes of its source file; prints the number checked.
check_manifest() {
    python3 - "$1" "$2" "$3" <<'PY'
import json, os, sys, urllib.parse, urllib.request
man, site, base = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
bad = 0
for src, url in man.items():
    want = open(site + "/" + src, "rb").read()
    req = urllib.request.Request(base + urllib.parse.quote(url), headers={"Accept-Encoding": "identity"})
    got = urllib.request.urlopen(req, timeout=10).read()
    if got != want:
        print("WRONG BYTES: %s -> %s (%d vs %d bytes)" % (src, url, len(got), len(want)))
        bad += 1
print(len(man) - bad)
sys.exit(1 if bad else 0)
PY
}

# healthz_report FILE MAX_MS: summarises prober output; fails if any probe
# failed, if any took longer than 5 x MAX_MS, or if more than 1% took longer
# than MAX_MS (the 1% absorbs scheduler noise on a shared 2-core machine;
# every run prints the real numbers).
healthz_report() {
    python3 - "$1" "$2" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
limit = float(sys.argv[2])
rows = [l.split() for l in lines if l and not l.startswith("FAIL")]
ms = [float(r[0]) for r in rows]
fails = [l for l in lines if l.startswith("FAIL")]
slow = [r for r in rows if float(r[0]) > limit]
ms.sort()
p = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))] if ms else 0
print("healthz: %d probes, %d failed, %d over %.0f ms; p50 %.1f ms, p99 %.1f ms, max %.1f ms"
      % (len(ms) + len(fails), len(fails), len(slow), limit, p(0.5), p(0.99), ms[-1] if ms else 0))
for f in fails[:5]:
    print("  " + f)
for r in slow[:5]:
    print("  slow probe: %s ms at %s" % (r[0], r[1] if len(r) > 1 else "?"))
worst = max(ms) if ms else 0
sys.exit(1 if fails or not ms or worst > 5 * limit or len(slow) > 0.01 * len(ms) else 0)
PY
}

# fail also shows the last lines of the current node's stderr (a sanitizer
# report, an error the server logged) before the temp files are removed.
fail() {
    echo "FAIL: $*" >&2
    if [ -n "${NODE_STDERR:-}" ] && [ -s "$NODE_STDERR" ]; then
        echo "--- last lines of origind's stderr ($NODE_STDERR):" >&2
        tail -n 40 "$NODE_STDERR" >&2
    fi
    exit 1
}
