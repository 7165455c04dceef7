#!/usr/bin/env bash
# test.sh: the project's one test command (README, .ci/run).
# Installs missing packages, builds (warnings are errors), runs every ctest suite,
# then rebuilds with ASan+UBSan and runs the suites again.
# Usage: scripts/test.sh [--quick]   (--quick: skip the sanitizer pass)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-build

echo "== build (RelWithDebInfo, -Werror)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DORIGIND_WERROR=ON -DORIGIND_TEST_HOOKS=ON >/dev/null
cmake --build build -j2
echo "== tests"
(cd build && ctest --output-on-failure -j2 --timeout 600)

[ "${1:-}" = "--quick" ] && exit 0
echo "== build (ASan+UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DORIGIND_SANITIZE=ON -DORIGIND_TEST_HOOKS=ON >/dev/null
cmake --build build-asan -j2
echo "== tests under ASan+UBSan"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
   ctest --output-on-failure -j2 --timeout 900 -LE 'slow|bench')

echo "== build (ThreadSanitizer) and the server's concurrency tests under it"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DORIGIND_TSAN=ON -DORIGIND_TEST_HOOKS=ON >/dev/null
cmake --build build-tsan -j2
(cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
   ctest --output-on-failure -j2 --timeout 600 --no-tests=error \
   -R '^(server_concurrent|hardening_hostile_clients|hardening_faults|hardening_crash_push|hardening_smuggling|unit_store_concurrent|peer_sync|peer_catchup|peer_bad_peer|peer_nginx)$')

echo "== static analysis (cppcheck, clang-tidy)"
scripts/analyze.sh build-analyze

echo "== format (clang-format --dry-run --Werror, .clang-format)"
unformatted=""
for f in $(git ls-files '*.c' '*.h' 2>/dev/null); do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || unformatted="$unformatted $f"
done
if [ -n "$unformatted" ]; then
  echo "not in clang-format shape:$unformatted (run clang-format -i on them)" >&2
  exit 1
fi
echo "format: every C file matches .clang-format"
