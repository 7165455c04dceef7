"""browser_dictionary.py - the browser half of tests/e2e/browser_dictionary.sh.

A real headless Chromium (cdp.py) loads release 1's page, whose script and
stylesheet carry Use-As-Dictionary, then release 2's page. The DevTools
protocol shows what crossed the wire for release 2's script: the request
carried Available-Dictionary (the SHA-256 of release 1's script) and dcz in
Accept-Encoding, the answer was Content-Encoding: dcz, and how many bytes it
took, against a fresh browser context (no dictionary) that gets br for the
same URL. The page checks that the script ran (window.release == "r2"), so
the delta decoded to working code in the browser itself.

Configuration from the environment the .sh sets (BD_*). Exit 0 only if
every check holds; prints one summary line with the byte counts.
"""

import base64
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402

E = os.environ
BASES = E["BD_BASES"].split()  # one or more page origins: the node, the CDN
SCRIPT1, SCRIPT2 = E["BD_SCRIPT1"], E["BD_SCRIPT2"]  # paths of the two releases' script
SRC1 = E["BD_SRC1"]  # release 1's script bytes (a file): the dictionary


def say(msg):
    print("browser: " + msg, flush=True)


def headers_lower(h):
    return {k.lower(): v for k, v in (h or {}).items()}


def script_load(tab, path):
    """What the tab's load of path looked like on the wire: request headers
    as sent, response headers as received, encoded bytes."""
    req_id = None
    for e in tab.events("Network.requestWillBeSent"):
        if e["params"]["request"]["url"].endswith(path):
            req_id = e["params"]["requestId"]
    if req_id is None:
        raise SystemExit("FAIL: %s was never requested" % path)
    sent, got, wire, status = {}, {}, None, None
    for e in tab.events():
        p = e.get("params", {})
        if p.get("requestId") != req_id:
            continue
        if e["method"] == "Network.requestWillBeSentExtraInfo":
            sent.update(headers_lower(p.get("headers")))
        elif e["method"] == "Network.responseReceivedExtraInfo":
            got.update(headers_lower(p.get("headers")))
        elif e["method"] == "Network.responseReceived":
            status = p["response"]["status"]
            if not got:
                got.update(headers_lower(p["response"].get("headers")))
        elif e["method"] == "Network.loadingFinished":
            wire = p["encodedDataLength"]
        elif e["method"] == "Network.loadingFailed":
            raise SystemExit("FAIL: %s failed: %s" % (path, p.get("errorText")))
    return sent, got, wire, status


def load(tab, url, want):
    tab.navigate(url)
    got = tab.eval("window.release")
    if got != want:
        raise SystemExit("FAIL: %s: window.release is %r, want %r (%s)" % (url, got, want, tab.problems()))


def main():
    dict_hash = hashlib.sha256(open(SRC1, "rb").read()).digest()
    want_ad = ":" + base64.b64encode(dict_hash).decode() + ":"
    summary = []
    with cdp.Browser(E.get("BD_CHROMIUM", "chromium")) as b:
        say("chromium " + b.version.get("product", "?"))
        for base in BASES:
            ctx = b.new_context()
            tab = b.new_tab(ctx)
            load(tab, base + "/pages/r1.html", "r1")
            sent1, got1, wire1, _ = script_load(tab, SCRIPT1)
            if "use-as-dictionary" not in got1:
                raise SystemExit("FAIL: %s: release 1's script has no Use-As-Dictionary: %s" % (base, got1))
            # the dictionary is stored once the answer is complete; give it a moment
            tab.eval("new Promise((r) => setTimeout(r, 1000))")
            load(tab, base + "/pages/r2.html", "r2")
            sent, got, wire, status = script_load(tab, SCRIPT2)
            problems = tab.problems()
            if problems:
                raise SystemExit("FAIL: %s: %s" % (base, problems))
            ae = sent.get("accept-encoding", "")
            if sent.get("available-dictionary") != want_ad or "dcz" not in ae:
                raise SystemExit(
                    "FAIL: %s: the browser did not offer release 1's script as a dictionary: "
                    "Available-Dictionary %r (want %r), Accept-Encoding %r"
                    % (base, sent.get("available-dictionary"), want_ad, ae)
                )
            if got.get("content-encoding") != "dcz":
                raise SystemExit("FAIL: %s: release 2's script came as %r, not dcz: %s"
                                 % (base, got.get("content-encoding"), got))
            # control: a fresh context (no dictionary) gets the usual answer
            ctx2 = b.new_context()
            tab2 = b.new_tab(ctx2)
            load(tab2, base + "/pages/r2.html", "r2")
            sent2, got2, wire2, _ = script_load(tab2, SCRIPT2)
            if "available-dictionary" in sent2 or got2.get("content-encoding") == "dcz":
                raise SystemExit("FAIL: %s: a fresh context used a dictionary: %s %s" % (base, sent2, got2))
            say("%s: release 2's script: %s on the wire with dcz (status %s), %s with %s in a "
                "fresh context; release 1's script %s (%s)"
                % (base, wire, status, wire2, got2.get("content-encoding", "identity"), wire1,
                   got1.get("content-encoding", "identity")))
            if not wire or not wire2 or wire * 5 > wire2:
                raise SystemExit("FAIL: %s: dcz (%s bytes) is not far smaller than %s (%s bytes)"
                                 % (base, wire, got2.get("content-encoding"), wire2))
            summary.append({"base": base, "dcz_wire": wire, "plain_wire": wire2,
                            "plain_encoding": got2.get("content-encoding", "identity"),
                            "r1_wire": wire1})
    print("BD_RESULT " + json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
