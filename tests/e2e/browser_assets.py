"""browser_assets.py - the browser half of tests/e2e/browser_assets.sh.

A real headless Chromium (cdp.py) opens a page served by the "site" origin
that loads, cross-origin from a CDN (nginx with a cache in front of the
asset origin), what a Vite build emits: a module script with the manifest's
integrity value that dynamically imports a lazy chunk, a stylesheet with its
integrity value, a web font (@font-face, CORS mode by definition), and a
fetch() that needs a CORS preflight and reads an exposed header. Then
release 2 is deployed (assets first, then the HTML): the tab opened before
still loads its release-1 lazy chunk, a new tab gets release 2.

Three deployments, each behind its own CDN (see the .sh):
  origind  the nodes with their default headers: everything must work, with
           no failed request, no HTTP error and no console error.
  nocors   the same nodes, but the CDN strips Access-Control-Allow-Origin
           (what origind answered before): the browser must report the CORS
           error and run nothing (negative control).
  classic  a plain web server whose deploy replaces the old files (with
           CORS headers, so only the deletion differs): the old tab's lazy
           import must fail with a 404 (control).

Exit 0 only if all three behave as stated. Configuration comes from the
environment the .sh sets (BA_*).
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402
import tiny_font  # noqa: E402

E = os.environ
W = E["BA_WORK"]
SITE = E["BA_SITE"]  # http://127.0.0.1:P, the page's origin
CDN = {"origind": E["BA_CDN_ORIGIND"], "nocors": E["BA_CDN_NOCORS"], "classic": E["BA_CDN_CLASSIC"]}


def say(msg):
    print("browser: " + msg, flush=True)


def hashed(name, ext, data):
    """A Vite-style content-hashed file name."""
    return "%s-%s.%s" % (name, hashlib.sha256(data).hexdigest()[:8], ext)


def build_release(n, out):
    """Writes release n's build into out (names already hashed, like a bundler's
    output, so it is pushed with --keep-names and the chunks' relative imports
    keep working). Returns {logical name: file name}."""
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    files = {}

    def put(logical, name, ext, data):
        fn = hashed(name, ext, data)
        with open(os.path.join(out, fn), "wb") as f:
            f.write(data)
        files[logical] = fn
        return fn

    font = put("font", "face", "ttf", tiny_font.make_font("Origind R%d" % n))
    chunk = put("chunk", "lazy", "js", ('export const lazy = "lazy chunk of release %d";\n' % n).encode())
    put(
        "index",
        "index",
        "js",
        ((
            'export const release = "r%d";\n'
            'window.loadLazy = () => import("./%s").then((m) => m.lazy);\n'
            "// If-None-Match is not CORS-safelisted: this fetch needs a preflight (OPTIONS),\n"
            "// and reading ETag needs Access-Control-Expose-Headers\n"
            'window.preflight = fetch(new URL("./%s", import.meta.url), {headers: {"If-None-Match": "\\"none\\""}})\n'
            '    .then((r) => r.status + " " + (r.headers.get("ETag") ? "etag" : "no-etag"), (e) => "error " + e);\n'
            'window.appRelease = "r%d";\n'
        )
        % (n, chunk, font, n)).encode(),
    )
    put(
        "css",
        "style",
        "css",
        ((
            '@font-face { font-family: "Origind R%d"; src: url("./%s") format("truetype"); }\n'
            'body { font-family: "Origind R%d", sans-serif; color: rgb(%d, 2, 3); }\n'
        )
        % (n, font, n, n)).encode(),
    )
    return files


def push(n, build):
    """origin-ingest push of release n to every node, full manifest; returns it."""
    man = os.path.join(W, "manifest-r%d.json" % n)
    cmd = [E["BA_INGEST"], "push", "--token-file", E["BA_TOKEN_FILE"], "--release", "browser-r%d" % n,
           "--keep-names", "--manifest-format", "full", "--manifest-out", man,
           "--public-base", CDN["origind"], build]
    for node in E["BA_NODES"].split():
        cmd[2:2] = ["--node", node]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if res.returncode != 0:
        sys.exit("push of release %d failed (exit %d):\n%s" % (n, res.returncode, res.stdout))
    with open(man) as f:
        return json.load(f)


def render_html(kind, n, files, manifest):
    """The site's HTML for release n as the template renders it from the
    manifest (URL and integrity of each entry point), pointing at kind's CDN.
    Written atomically: this is the HTML deploy."""
    def url(logical):
        u = manifest[files[logical]]["url"]
        return CDN[kind] + u[len(CDN["origind"]):]

    def sri(logical):
        return manifest[files[logical]]["integrity"]

    html = (
        '<!doctype html><meta charset="utf-8"><title>release %d</title><link rel="icon" href="data:,">\n'
        '<link rel="stylesheet" crossorigin href="%s" integrity="%s">\n'
        '<script type="module" crossorigin src="%s" integrity="%s"></script>\n'
        "<p>ABC</p>\n"
    ) % (n, url("css"), sri("css"), url("index"), sri("index"))
    d = os.path.join(W, "site", kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "index.html.new"), "w") as f:
        f.write(html)
    os.replace(os.path.join(d, "index.html.new"), os.path.join(d, "index.html"))


def classic_deploy(n, build):
    """What a plain deploy does: the web root now holds release n only."""
    root = os.path.join(W, "classic", "assets")
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(build, root)


# What the page reports once its module ran (or after 5 s if it never does).
STATE_JS = """
(async () => {
  for (let i = 0; i < 100 && !window.appRelease; i++) await new Promise(r => setTimeout(r, 50));
  const fam = "Origind R" + (window.appRelease || "?").slice(1);
  let font = "none";
  try {
    await document.fonts.load('16px "' + fam + '"', "A");
    for (const f of document.fonts) if (f.family.replace(/"/g, "") === fam) font = f.status;
  } catch (e) { font = "error " + e; }
  return {
    release: window.appRelease || null,
    color: getComputedStyle(document.body).color,
    font: font,
    preflight: window.preflight ? await window.preflight : null,
  };
})()
"""


def page_ok(state, n):
    want = {"release": "r%d" % n, "color": "rgb(%d, 2, 3)" % n, "font": "loaded", "preflight": "200 etag"}
    bad = {k: state.get(k) for k in want if state.get(k) != want[k]}
    return bad


def first_tab(b, kind):
    """A fresh browser context (its own cache) with one tab on kind's page,
    loaded; returns (context, tab, page URL, the page's state)."""
    ctx = b.new_context()
    page = SITE + "/" + kind + "/index.html"
    a = b.new_tab(ctx)
    a.navigate(page)
    return ctx, a, page, a.eval(STATE_JS, timeout=15)


_builds = {}


def deploy(kind, n):
    """Release n for kind: the assets (pushed to every node, or copied over
    the classic web root), then the HTML."""
    if n not in _builds:
        build = os.path.join(W, "build", "r%d" % n)
        files = build_release(n, build)
        _builds[n] = (build, files, push(n, build))
    build, files, manifest = _builds[n]
    if kind == "classic":
        classic_deploy(n, build)
    render_html(kind, n, files, manifest)


def main():
    failures = []
    t0 = time.monotonic()
    for kind in CDN:
        deploy(kind, 1)
    with cdp.Browser(E.get("BA_CHROMIUM", "chromium")) as b:
        say("%s, pipe protocol, %.1f s to start" % (b.version["product"], time.monotonic() - t0))
        for kind in ("origind", "nocors", "classic"):
            ctx, a, page, state_a = first_tab(b, kind)
            say("%s: tab A (release 1): %s" % (kind, json.dumps(state_a)))
            if kind == "nocors":
                probs = a.problems()
                cors = [p for p in probs if "CORS" in p]
                say("nocors: %d problems, e.g. %s" % (len(probs), (cors or probs or ["none"])[0][:160]))
                if state_a.get("release") is not None:
                    failures.append("nocors: the module script ran without Access-Control-Allow-Origin")
                if not cors:
                    failures.append("nocors: the browser reported no CORS error: %s" % probs)
                if not page_ok(state_a, 1):
                    failures.append("nocors: the page worked without CORS headers")
                continue
            bad = page_ok(state_a, 1)
            if bad:
                failures.append("%s: tab A wrong before the deploy: %s %s" % (kind, bad, a.problems()))
            # release 2: assets first, then the HTML
            deploy(kind, 2)
            lazy_a = a.eval("window.loadLazy()", timeout=15)
            say("%s: tab A after release 2 was deployed, lazy import: %s" % (kind, json.dumps(lazy_a)))
            tb = b.new_tab(ctx)
            tb.navigate(page)
            state_b = tb.eval(STATE_JS, timeout=15)
            lazy_b = tb.eval("window.loadLazy()", timeout=15) if state_b.get("release") else None
            say("%s: tab B (new): %s, lazy import: %s" % (kind, json.dumps(state_b), json.dumps(lazy_b)))
            probs = a.problems() + tb.problems()
            if kind == "origind":
                if lazy_a != "lazy chunk of release 1":
                    failures.append("origind: the old tab's lazy chunk: %s" % lazy_a)
                bad = page_ok(state_b, 2)
                if bad or lazy_b != "lazy chunk of release 2":
                    failures.append("origind: the new tab: %s %s" % (bad, lazy_b))
                if probs:
                    failures.append("origind: failed requests or console errors: %s" % probs)
                say("origind: %d problems" % len(probs))
            else:
                err = isinstance(lazy_a, dict) and "Failed to fetch dynamically imported module" in lazy_a.get(
                    "exception", ""
                )
                n404 = [p for p in probs if p.startswith("HTTP 404")]
                say("classic: %d problems: %s" % (len(probs), "; ".join(p[:120] for p in probs)))
                if not err or not n404:
                    failures.append("classic: the deleted chunk did not fail the old tab: %s %s" % (lazy_a, probs))
    say("%.1f s in all" % (time.monotonic() - t0))
    for f in failures:
        print("FAIL: " + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
