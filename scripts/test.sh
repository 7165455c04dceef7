#!/usr/bin/env bash
# test.sh: the project's one test command (README, .ci/run).
# Installs missing packages, builds (warnings are errors), runs every ctest suite,
# builds a plain Release tree and runs its compiled tests, then rebuilds with
# ASan+UBSan and runs the suites again.
# Usage: scripts/test.sh [--quick]   (--quick: the first pass only)
# The last line is the total over the ctest passes, in ctest's own
# summary format ("100% tests passed, 0 tests failed out of N").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-build

# Every tool the passes below run; scripts/setup.sh installs them. One line, not
# "command not found" halfway through, when one is missing.
absent=""
for t in cmake ctest cc clang git curl openssl python3 ruby valgrind setpriv systemd-analyze \
         shellcheck cppcheck clang-tidy clang-format nginx chromium strace dpkg-deb lintian \
         promtool jq pgrep; do
  command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] || absent="$absent $t"
done
if [ -n "$absent" ]; then
  echo "test.sh: not installed:$absent (scripts/setup.sh installs PKGS; is its package listed there?)" >&2
  exit 1
fi
python3 -c 'import yaml' 2>/dev/null ||
  { echo "test.sh: python3 cannot import yaml (python3-yaml, scripts/setup.sh)" >&2; exit 1; }

# ctest_pass DIR ARGS...: ctest in DIR; adds its count to the total below.
total=0
ctest_pass() {
  local dir="$1" n
  shift
  (cd "$dir" && ctest "$@") | tee "$dir/ctest.out"
  n="$(sed -n 's/^100% tests passed, 0 tests failed out of \([0-9]*\)$/\1/p' "$dir/ctest.out" | tail -1)"
  [ -n "$n" ] && [ "$n" -gt 0 ] || { echo "test.sh: no tests ran in $dir" >&2; exit 1; }
  total=$((total + n))
}

echo "== build (RelWithDebInfo, -Werror)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DORIGIND_WERROR=ON -DORIGIND_TEST_HOOKS=ON >/dev/null
cmake --build build -j2
echo "== tests"
ctest_pass build --output-on-failure -j2 --timeout 600

if [ "${1:-}" = "--quick" ]; then
  echo "test.sh --quick: the first pass only (no sanitizers, analysis or format check)"
  echo "100% tests passed, 0 tests failed out of $total"
  exit 0
fi
# A plain Release tree, the packager's command (issue 23): the test hooks are
# off there, so this proves the whole tree, tests included, compiles without
# them. Its ctest runs only what is compiled differently there (the C test
# programs: unit, fuzz replays, the no-hooks check; ~5 s); the shell suites
# run the same sources in the first pass.
echo "== build (Release, no test hooks) and its compiled tests"
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release -j2
ctest_pass build-release --output-on-failure -j2 --timeout 600 --no-tests=error -LE valgrind \
   -R '^(unit_|server_unit_|fuzz_replay_|hardening_release_hooks$)'

echo "== build (ASan+UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DORIGIND_SANITIZE=ON -DORIGIND_TEST_HOOKS=ON >/dev/null
cmake --build build-asan -j2
echo "== tests under ASan+UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
   ctest_pass build-asan --output-on-failure -j2 --timeout 900 -LE 'slow|bench'

echo "== build (ThreadSanitizer) and the server's concurrency tests under it"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DORIGIND_TSAN=ON -DORIGIND_TEST_HOOKS=ON >/dev/null
cmake --build build-tsan -j2
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
   ctest_pass build-tsan --output-on-failure -j2 --timeout 600 --no-tests=error \
   -R '^(server_concurrent|hardening_hostile_clients|hardening_faults|hardening_crash_push|hardening_smuggling|unit_store_concurrent|peer_sync|peer_catchup|peer_bad_peer|peer_nginx)$'

echo "== static analysis (cppcheck, clang-tidy)"
scripts/analyze.sh build-analyze

echo "== format (clang-format --dry-run --Werror, .clang-format)"
# The tracked files; no listing (not a git checkout, or git refuses the
# directory) is a failure, not a vacuous pass.
cfiles="$(git ls-files '*.c' '*.h')" && [ -n "$cfiles" ] ||
  { echo "format: git ls-files listed no C files (run from a git clone)" >&2; exit 1; }
unformatted=""
for f in $cfiles; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || unformatted="$unformatted $f"
done
if [ -n "$unformatted" ]; then
  echo "not in clang-format shape:$unformatted (run clang-format -i on them)" >&2
  exit 1
fi
echo "format: every C file matches .clang-format"
echo "test.sh: every pass green ($total ctest runs over the four passes, analysis, format)"
echo "100% tests passed, 0 tests failed out of $total"
