#!/usr/bin/env bash
# test_times.sh (ctest: lint_test_times): every test of this build tree has a
# row in tests/timeouts.cmake, so every one has a TIMEOUT of about three
# times its measured time and a COST (ctest starts the longest first). Run in
# the build tree.
set -euo pipefail
ctest --show-only=json-v1 | python3 -c '
import json, sys
tests = json.load(sys.stdin)["tests"]
missing = [t["name"] for t in tests
           if "COST" not in {p["name"] for p in t.get("properties", [])}]
if missing:
    print("FAIL: no row in tests/timeouts.cmake (measure them: ctest prints the times): "
          + " ".join(missing))
    sys.exit(1)
print("ok: all %d tests have a measured TIMEOUT and COST" % len(tests))
'
