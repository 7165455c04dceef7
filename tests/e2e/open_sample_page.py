"""open_sample_page.py - opens the quickstart's sample page in headless Chromium
(cdp.py) as a person would, and checks that it works: the stylesheet applied,
the module script ran and filled the menu from the JSON it fetched, the logo
loaded, and no request failed and no console error appeared.

Usage: python3 open_sample_page.py URL   (exit 0 only if all of that holds)
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402

STATE_JS = """
(async () => {
  for (let i = 0; i < 100 && !document.querySelector(".menu .price"); i++)
    await new Promise(r => setTimeout(r, 50));
  const logo = document.querySelector("img.logo");
  return {
    background: getComputedStyle(document.body).backgroundColor,
    prices: document.querySelectorAll(".menu .price").length,
    logo: logo ? logo.complete && logo.naturalWidth > 0 : false,
    cross_origin: [...document.querySelectorAll("script[src], link[rel=stylesheet]")]
      .every(e => new URL(e.src || e.href).origin !== location.origin),
  };
})()
"""


def main():
    url = sys.argv[1]
    with cdp.Browser(os.environ.get("CHROMIUM", "chromium")) as b:
        tab = b.new_tab()
        tab.navigate(url)
        state = tab.eval(STATE_JS, timeout=15)
        problems = tab.problems()
    print("page %s: %s" % (url, json.dumps(state)))
    want = {"background": "rgb(251, 247, 241)", "logo": True, "cross_origin": True}
    bad = [k for k in want if state.get(k) != want[k]]
    if not isinstance(state.get("prices"), int) or state["prices"] < 1:
        bad.append("prices")
    for p in problems:
        print("problem: " + p, file=sys.stderr)
    if bad:
        print("wrong: " + ", ".join(bad), file=sys.stderr)
    return 1 if bad or problems else 0


if __name__ == "__main__":
    sys.exit(main())
