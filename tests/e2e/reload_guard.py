"""reload_guard.py - the browser half of tests/e2e/reload_guard.sh.

Real Vite and webpack builds of the apps in tests/e2e/frontend/ (installed
with `npm ci` from their lockfiles), pushed by vite-plugin-origind and
webpack-plugin-origind to three origind nodes, promoted with
`origin-ingest promote`, loaded through the CDN in headless Chromium
(cdp.py). A tab's reloads are counted from its Page.loadEventFired events.

  (a) pruned chunk: the guarded old tab reloads exactly once into the live
      release and its lazy chunk then loads; the unguarded one breaks.
  (b) floor: the guarded tab on the old release reloads at its next
      navigation, once; the unguarded one stays on the old release.
  (c) partial promotion (one node of three) with stale HTML: every guarded
      tab reloads exactly once; a guard whose storage forgets loops.
  (d) webpack: the build pushes and loads; an old tab whose chunk was
      pruned reloads once into the live release.
Exit 0 only if all of it holds. Configuration: the RG_* environment.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402

E = os.environ
W = E["RG_WORK"]
REPO = E["RG_REPO"]
CDN = E["RG_CDN"]
SITE, OLDSITE = E["RG_SITE"], E["RG_OLDSITE"]
NODES = E["RG_NODES"].split()
INGEST = E["RG_INGEST"]
TOKEN_FILE = E["RG_TOKEN_FILE"]
FE = os.path.join(W, "fe")
failures = []


def say(msg):
    print("guard: " + msg, flush=True)


def check(what, cond, detail=""):
    if cond:
        say("ok " + what)
    else:
        say("FAILED " + what + (": " + detail if detail else ""))
        failures.append(what)


def run(cmd, cwd=None, env=None, ok=True):
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if ok and r.returncode != 0:
        raise RuntimeError("%s: exit %d\n%s\n%s" % (" ".join(cmd), r.returncode, r.stdout[-2000:], r.stderr[-2000:]))
    return r


def setup_app(kind):
    """Copies integrations/ and the app into fe/ (the lockfile's layout) and
    installs it exactly as locked."""
    dst = os.path.join(FE, "integrations")
    if not os.path.isdir(dst):
        shutil.copytree(os.path.join(REPO, "integrations"), dst)
    app = os.path.join(FE, kind + "-app")
    shutil.copytree(os.path.join(REPO, "tests/e2e/frontend", kind + "-app"), app,
                    ignore=shutil.ignore_patterns("node_modules", "dist*"))
    # (npm 9 reports a registry it cannot reach, e.g. an untrusted TLS proxy,
    # as ERESOLVE "Found: vite@undefined": the error lines below say which.)
    r = run(["npm", "ci", "--no-audit", "--no-fund", "--prefer-offline"], cwd=app, ok=False)
    if r.returncode != 0:
        errs = [l for l in r.stderr.splitlines() if "ERR!" in l and l.strip() != "npm ERR!"]
        raise RuntimeError("npm ci of the %s app failed (the npm registry unreachable and no npm cache?): %s"
                           % (kind, " | ".join(errs[:6]) or r.stderr.strip()[-300:]))
    return app


def build(kind, app, version, release, nodes=None, expect_ok=True):
    """Builds (the plugin pushes it as release) into dist-<release>; returns
    the completed process."""
    env = dict(E, APP_VERSION=version, ORIGIN_INGEST_RELEASE=release,
               ORIGIN_INGEST_NODES=" ".join(nodes or NODES), ORIGIN_INGEST_TOKEN_FILE=TOKEN_FILE,
               ORIGIND_PUBLIC_BASE=CDN, ORIGIN_INGEST=INGEST, OUT_DIR="dist-" + release)
    if kind == "vite":
        cmd = ["npx", "vite", "build", "--outDir", "dist-" + release]
    else:
        cmd = ["npx", "webpack", "--mode", "production"]
    return run(cmd, cwd=app, env=env, ok=expect_ok)


def deploy(app, release, site_dir):
    """The HTML deploy: the build's index.html replaces the site's."""
    tmp = os.path.join(site_dir, ".index.html.tmp")
    shutil.copyfile(os.path.join(app, "dist-" + release, "index.html"), tmp)
    os.rename(tmp, os.path.join(site_dir, "index.html"))


def ingest(*args):
    cmd = [INGEST, args[0], "--token-file", TOKEN_FILE] + list(args[1:])
    return run(cmd)


def promote(release, floor=None, nodes=None):
    args = ["promote", "--release", release]
    for n in nodes or NODES:
        args += ["--node", n]
    if floor:
        args += ["--floor", floor]
    ingest(*args)


def prune_keep(*keep):
    args = ["prune"]
    for n in NODES:
        args += ["--node", n]
    for k in keep:
        args += ["--keep", k]
    ingest(*args)


def doc():
    with urllib.request.urlopen(CDN + "/.well-known/origind/release", timeout=5) as r:
        return json.load(r)


class Page:
    """A tab in a context of its own (no shared HTTP cache) on url."""

    def __init__(self, b, url):
        self.tab = b.new_tab(b.new_context())
        self.tab.navigate(url)
        self.base = self.loads()

    def loads(self):
        return len(self.tab.events("Page.loadEventFired"))

    def reloads(self):
        return self.loads() - self.base

    def wait_reloads(self, n, timeout=10.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.reloads() < n:
            time.sleep(0.1)
        return self.reloads()

    def eval(self, expr):
        for _ in range(50):  # a reload in progress: no context yet
            v = self.tab.eval(expr, timeout=15)
            if not (isinstance(v, dict) and "exception" in v and "app is not defined" in v["exception"]):
                return v
            time.sleep(0.1)
        return v


def vite_part(b):
    app = setup_app("vite")
    # a failing push fails the build with origin-ingest's reason
    r = build("vite", app, "v0", "r0", nodes=["http://127.0.0.1:1"], expect_ok=False)
    check("vite build fails when the push fails", r.returncode != 0 and "origin-ingest push failed" in r.stderr,
          r.stderr[-300:])

    build("vite", app, "v1", "r1")
    deploy(app, "r1", E["RG_SITE_DIR"])
    deploy(app, "r1", E["RG_OLDSITE_DIR"])  # the stale web server keeps r1's HTML
    promote("r1")
    man = json.load(open(os.path.join(app, "dist-r1", ".vite/origind-manifest.json")))
    check("vite: full manifest with SRI", all(v.get("integrity", "").startswith("sha256-") for v in man.values()),
          json.dumps(man)[:200])
    vm = json.load(open(os.path.join(app, "dist-r1", ".vite/manifest.json")))
    check("vite: integrity in Vite's manifest", all("integrity" in e for e in vm.values()), json.dumps(vm)[:200])

    a = Page(b, SITE + "/")
    n = Page(b, SITE + "/#noguard")
    check("vite r1 tab", a.eval("app.release") == "r1" and a.eval("app.version") == "v1")

    # (a) r2 goes out, r1 is pruned: the old tabs' lazy chunk is gone
    build("vite", app, "v2", "r2")
    deploy(app, "r2", E["RG_SITE_DIR"])
    promote("r2")
    prune_keep("r2")
    a.eval("app.lazy(); 1")
    a.wait_reloads(1)
    time.sleep(2)
    check("(a) the old tab reloaded exactly once", a.reloads() == 1, "reloads %d" % a.reloads())
    check("(a) into the live release", a.eval("app.release") == "r2", str(a.eval("app.release")))
    got = a.eval("app.lazy()")
    check("(a) and its lazy chunk loads", got == "lazy chunk of v2", str(got))
    got = n.eval("app.lazy().then((x) => x, (e) => 'error: ' + e.message)")
    time.sleep(1)
    check("(a) control: without the guard the old tab breaks",
          isinstance(got, str) and got.startswith("error") and n.reloads() == 0, "%s, reloads %d" % (got, n.reloads()))

    # (b) the floor: r3 goes out with floor r3
    bt = Page(b, SITE + "/")
    bn = Page(b, SITE + "/#noguard")
    bt.eval("app.go('/before-the-floor'); 1")
    time.sleep(1)
    check("(b) no reload at a navigation before the floor moves", bt.reloads() == 0, "reloads %d" % bt.reloads())
    build("vite", app, "v3", "r3")
    deploy(app, "r3", E["RG_SITE_DIR"])
    promote("r3", floor="r3")
    time.sleep(1.5)  # the guard polls every 500 ms in the test app
    check("(b) the old tab did not reload by itself", bt.reloads() == 0, "reloads %d" % bt.reloads())
    bt.eval("app.go('/next'); 1")
    bt.wait_reloads(1)
    check("(b) the old tab reloaded at its next navigation", bt.reloads() == 1, "reloads %d" % bt.reloads())
    check("(b) into the live release, at the new URL",
          bt.eval("app.release + ' ' + location.pathname") == "r3 /next", str(bt.eval("app.release + ' ' + location.pathname")))
    bt.eval("app.go('/again'); 1")
    time.sleep(1.5)
    check("(b) once", bt.reloads() == 1, "reloads %d" % bt.reloads())
    bn.eval("app.go('/next'); 1")
    time.sleep(1.5)
    check("(b) control: without the guard the tab stays below the floor",
          bn.reloads() == 0 and bn.eval("app.release") == "r2", "reloads %d" % bn.reloads())

    # (c) r4 promoted on one node of three; the stale web server still serves r1's HTML
    build("vite", app, "v4", "r4")
    deploy(app, "r4", E["RG_SITE_DIR"])
    promote("r4", nodes=NODES[:1])
    seen = {doc()["live"] for _ in range(9)}
    check("(c) the nodes disagree through the CDN", seen == {"r3", "r4"}, str(seen))
    tabs = [Page(b, OLDSITE + "/#autolazy") for _ in range(3)]
    loop = Page(b, OLDSITE + "/#autolazy-noss")
    time.sleep(6)
    counts = [t.reloads() for t in tabs]
    check("(c) every guarded tab reloaded exactly once, none loops", counts == [1, 1, 1], str(counts))
    say("(c) reloads in 6 s: guarded tabs %s, the forgetful guard's tab %d" % (counts, loop.reloads()))
    check("(c) control: a guard whose storage forgets loops", loop.reloads() >= 3, "reloads %d" % loop.reloads())
    for t in tabs + [loop]:
        b.call("Target.closeTarget", {"targetId": t.tab.target_id})
    promote("r4")  # the promotion finished


def webpack_part(b):
    app = setup_app("webpack")
    build("webpack", app, "v5", "r5")
    deploy(app, "r5", E["RG_SITE_DIR"])
    promote("r5")
    man = json.load(open(os.path.join(app, "dist-r5", "origind-manifest.json")))
    check("(d) webpack: full manifest with SRI",
          len(man) >= 2 and all(v.get("integrity", "").startswith("sha256-") for v in man.values()), json.dumps(man)[:200])
    old = Page(b, SITE + "/")  # never loads its lazy chunk before r5 is pruned
    check("(d) webpack page of r5", old.eval("app.release") == "r5", str(old.eval("app.release")))
    r = build("webpack", app, "v6", "r6", nodes=["http://127.0.0.1:1"], expect_ok=False)
    check("(d) webpack build fails when the push fails",
          r.returncode != 0 and "origin-ingest push failed" in (r.stdout + r.stderr), (r.stdout + r.stderr)[-300:])
    build("webpack", app, "v6", "r6")
    deploy(app, "r6", E["RG_SITE_DIR"])
    promote("r6")
    prune_keep("r6")
    old.eval("app.lazy(); 1")
    old.wait_reloads(1)
    time.sleep(2)
    check("(d) webpack old tab reloaded exactly once", old.reloads() == 1, "reloads %d" % old.reloads())
    got = old.eval("app.lazy()")
    check("(d) into r6, whose lazy chunk loads", old.eval("app.release") == "r6" and got == "lazy chunk of v6", str(got))
    w = Page(b, SITE + "/")
    got = w.eval("app.lazy()")
    check("(d) a new tab: r6 and its lazy chunk through the CDN", got == "lazy chunk of v6", str(got))
    probs = w.tab.problems()
    check("(d) no failed request, no console error", not probs, "; ".join(probs)[:300])


def main():
    only = E.get("RG_ONLY", "")
    with cdp.Browser(E.get("RG_CHROMIUM", "chromium")) as b:
        if only in ("", "vite"):
            vite_part(b)
        if only in ("", "webpack"):
            webpack_part(b)
    if failures:
        say("%d check(s) failed: %s" % (len(failures), ", ".join(failures)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
