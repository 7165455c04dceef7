#!/usr/bin/env bash
# test_times.sh (ctest: lint_test_times): every test of this build tree has a
# row in tests/timeouts.cmake, so every one has a TIMEOUT of about three
# times its measured time and a COST (ctest starts the longest first). Run in
# the build tree. It reads the CTestTestfile.cmake files itself: a ctest run
# here (even --show-only) would overwrite Testing/Temporary/LastTest.log,
# which scripts/test.sh reads for the skip report after the pass. The trees of
# earlier releases that peer_mixed* build (compat*) are not this tree.
set -euo pipefail
find . -path './compat*' -prune -o -name CTestTestfile.cmake -print0 | xargs -0 python3 -c '
import re, sys
tests, costed = [], set()
for f in sys.argv[1:]:
    for line in open(f):
        m = re.match(r"add_test\(\"?([^\" ]+)", line)
        if m:
            tests.append(m.group(1))
        m = re.match(r"set_tests_properties\(\"?([^\" ]+)\"? PROPERTIES (.*)", line)
        if m and re.search(r"(^|\s)COST \"", m.group(2)):
            costed.add(m.group(1))
missing = [t for t in tests if t not in costed]
if not tests:
    print("FAIL: no tests found under " + ".")
    sys.exit(1)
if missing:
    print("FAIL: no row in tests/timeouts.cmake (measure them: ctest prints the times): "
          + " ".join(missing))
    sys.exit(1)
print("ok: all %d tests have a measured TIMEOUT and COST" % len(tests))
'
