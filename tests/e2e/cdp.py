"""cdp.py - a minimal Chrome DevTools Protocol client for the browser tests.

Starts Debian's chromium headless with --remote-debugging-pipe: the protocol's
JSON messages travel NUL-terminated over the child's fds 3 (commands) and 4
(replies and events), so no websocket, no port and no npm package is needed.
Only what tests/e2e/browser_assets.py uses: targets (tabs), flat sessions,
commands with replies, and the events of each session kept for inspection.

Not for: anything but tests. Every wait is bounded; a browser that does not
answer in time raises CdpError.
"""

import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",  # root in CI and containers
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
    "--password-store=basic",
    "--use-mock-keychain",
    "--remote-debugging-pipe",
]


class CdpError(Exception):
    pass


class Browser:
    """One chromium process. Use as a context manager: the process is
    killed and its profile directory removed on exit."""

    def __init__(self, binary="chromium", timeout=20.0):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="origind-chromium.")
        cmd_r, self._cmd_w = os.pipe()  # we write commands, chromium reads fd 3
        self._ev_r, ev_w = os.pipe()  # chromium writes fd 4, we read
        # dup to high numbers first so the dup2 onto 3/4 cannot clobber them
        hi_r, hi_w = os.dup(cmd_r), os.dup(ev_w)
        os.close(cmd_r)
        os.close(ev_w)

        def child_fds():
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        self.log = open(os.path.join(self.profile, "chromium.log"), "wb")
        self.proc = subprocess.Popen(
            [binary] + CHROMIUM_FLAGS + ["--user-data-dir=" + self.profile, "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            preexec_fn=child_fds,
            close_fds=False,  # dup2 leaves 3/4 inheritable; Python's own fds are not
        )
        os.close(hi_r)
        os.close(hi_w)
        self._next_id = 0
        self._replies = {}
        self._cond = threading.Condition()
        self.events = {}  # sessionId ("" for the browser) -> [event dicts]
        self._closed = False
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        self.version = self.call("Browser.getVersion")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _read_loop(self):
        buf = b""
        while True:
            try:
                chunk = os.read(self._ev_r, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._cond:
                    self._closed = True
                    self._cond.notify_all()
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                with self._cond:
                    if "id" in msg:
                        self._replies[msg["id"]] = msg
                    else:
                        self.events.setdefault(msg.get("sessionId", ""), []).append(msg)
                    self._cond.notify_all()

    def call(self, method, params=None, session=None, timeout=None):
        """Sends one command and waits for its reply; returns its result.
        Raises CdpError on a protocol error, a timeout or a dead browser."""
        with self._cond:
            self._next_id += 1
            mid = self._next_id
        msg = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        try:
            os.write(self._cmd_w, data)
        except OSError as e:
            raise CdpError("%s: browser gone (%s)" % (method, e))
        deadline = time.monotonic() + (timeout or self.timeout)
        with self._cond:
            while mid not in self._replies:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise CdpError("%s: no reply (%s)" % (method, "closed" if self._closed else "timeout"))
                self._cond.wait(left)
            reply = self._replies.pop(mid)
        if "error" in reply:
            raise CdpError("%s: %s" % (method, reply["error"]))
        return reply.get("result", {})

    def wait_event(self, session, pred, timeout=None):
        """Waits until an event of session satisfies pred; returns it."""
        deadline = time.monotonic() + (timeout or self.timeout)
        seen = 0
        with self._cond:
            while True:
                evs = self.events.get(session, [])
                for ev in evs[seen:]:
                    if pred(ev):
                        return ev
                seen = len(evs)
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise CdpError("event not seen in time")
                self._cond.wait(left)

    def new_tab(self, context=None):
        """Opens about:blank in a new tab (in browser context context, if
        given) and attaches to it; returns a Tab."""
        params = {"url": "about:blank"}
        if context:
            params["browserContextId"] = context
        tid = self.call("Target.createTarget", params)["targetId"]
        sid = self.call("Target.attachToTarget", {"targetId": tid, "flatten": True})["sessionId"]
        return Tab(self, tid, sid)

    def new_context(self):
        """A fresh, isolated browser context (its own cache and cookies)."""
        return self.call("Target.createBrowserContext", {"disposeOnDetach": True})["browserContextId"]

    def close(self):
        try:
            if self.proc.poll() is None:
                try:
                    self.call("Browser.close", timeout=3)
                except CdpError:
                    pass
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        finally:
            for fd in (self._cmd_w, self._ev_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.log.close()
            shutil.rmtree(self.profile, ignore_errors=True)


class Tab:
    """One attached page. Records its network failures, HTTP statuses,
    console errors and exceptions from the moment it is created."""

    def __init__(self, browser, target_id, session):
        self.b = browser
        self.target_id = target_id
        self.session = session
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.call(domain + ".enable")

    def call(self, method, params=None, timeout=None):
        return self.b.call(method, params, session=self.session, timeout=timeout)

    def events(self, method=None):
        return [e for e in self.b.events.get(self.session, []) if method is None or e["method"] == method]

    def navigate(self, url, timeout=None):
        """Loads url and waits for its load event."""
        n = len(self.events("Page.loadEventFired"))
        res = self.call("Page.navigate", {"url": url})
        if res.get("errorText"):
            raise CdpError("navigate %s: %s" % (url, res["errorText"]))
        self.b.wait_event(
            self.session,
            lambda e, n=[n]: e["method"] == "Page.loadEventFired" and self._count_load(n),
            timeout,
        )

    def _count_load(self, n):
        n[0] -= 1
        return n[0] < 0

    def eval(self, expr, timeout=None):
        """Evaluates expr (awaiting a promise) and returns its JSON value.
        A thrown exception is returned as {"exception": text}."""
        res = self.call(
            "Runtime.evaluate",
            {"expression": expr, "awaitPromise": True, "returnByValue": True},
            timeout=timeout,
        )
        if "exceptionDetails" in res:
            d = res["exceptionDetails"]
            text = d.get("exception", {}).get("description") or d.get("text", "")
            return {"exception": text}
        return res["result"].get("value")

    def problems(self):
        """Every failed request, HTTP error answer, console error and
        uncaught exception seen so far, as short strings."""
        out = []
        urls = {}
        for e in self.events():
            m, p = e["method"], e.get("params", {})
            if m == "Network.requestWillBeSent":
                urls[p["requestId"]] = p["request"]["url"]
            elif m == "Network.responseReceived" and p["response"]["status"] >= 400:
                out.append("HTTP %d %s" % (p["response"]["status"], p["response"]["url"]))
            elif m == "Network.loadingFailed":
                why = p.get("errorText", "")
                if p.get("corsErrorStatus"):
                    why += " CORS:" + p["corsErrorStatus"].get("corsError", "")
                if p.get("blockedReason"):
                    why += " blocked:" + p["blockedReason"]
                out.append("failed %s %s" % (urls.get(p["requestId"], "?"), why))
            elif m == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                out.append("exception " + (d.get("exception", {}).get("description") or d.get("text", "")))
            elif m == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
                out.append("console.error " + " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"]))
            elif m == "Log.entryAdded" and p["entry"]["level"] == "error":
                out.append("log " + p["entry"]["text"] + " " + p["entry"].get("url", ""))
        return out
