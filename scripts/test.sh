#!/usr/bin/env bash
# test.sh: the project's one test command (README, .ci/run).
# Installs missing packages, builds (warnings are errors) and runs every test
# once where it checks the most, in about 9 minutes on a 2-core machine
# (528 s in .ci/run's fresh root, AMD EPYC, 2026-12-08):
#   normal   (RelWithDebInfo): the third-party suites (browsers, npm builds,
#            nginx, the package: label e2e), the unit tests (also under
#            valgrind), the fuzz replays and the lint checks;
#   asan     (ASan+UBSan, -O1): every server, ingest, peer, crash and
#            hardening suite, and the unit tests again;
#   release  (Release, no test hooks): the whole tree compiles without the
#            hooks; its unit tests and fuzz replays, and the no-hooks check;
#   tsan     (ThreadSanitizer): the concurrency suites;
# then static analysis and the format check.
# Usage: scripts/test.sh [--quick] [--full] [--strict-skips]
#   --quick         the normal build, every suite once without sanitizers
#                   (no release, sanitizer, analysis or format passes)
#   --full          every suite in the normal and the ASan pass, the TSan pass
#                   over every peer suite, and the tests labelled slow (the
#                   real 76 s connection timeout)
#   --strict-skips  (also: CI=true in the environment, as .ci/run sets it) a skip
#                   that tests/skips-allowed does not list fails the run
# After every pass it prints each skipped test (or skipped part of a test) with
# its reason (scripts/ctest-report.sh); at the end the ten slowest tests of the
# run. The last line is the total over the ctest passes, in ctest's own
# summary format ("100% tests passed, 0 tests failed out of N"); a skip that is
# not allowed counts as a failed test there.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
full=0
strict=0
[ "${CI:-}" != true ] || strict=1
for a in "$@"; do
  case "$a" in
  --quick) quick=1 ;;
  --full) full=1 ;;
  --strict-skips) strict=1 ;;
  *) echo "test.sh: unknown argument $a (usage: scripts/test.sh [--quick] [--full] [--strict-skips])" >&2; exit 2 ;;
  esac
done
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

# ctest_pass PASS DIR ARGS...: ctest in DIR; adds its count to the total below,
# lists what it skipped and why, and counts each skip tests/skips-allowed does
# not list (a failure with --strict-skips / CI=true).
total=0
bad_skips=0
passes=()
slowest() {
  [ "${#passes[@]}" -gt 0 ] || return 0
  echo "== the ten slowest tests of this run (seconds, pass, test, result)"
  scripts/ctest-report.sh slowest 10 "${passes[@]}" || true
}
on_exit() {
  local rc=$?
  [ "$rc" = 0 ] || slowest
}
trap on_exit EXIT
ctest_pass() {
  local pass="$1" dir="$2" n rep
  shift 2
  rm -f "$dir/ctest.out"
  passes+=("$pass:$dir")
  (cd "$dir" && ctest "$@") | tee "$dir/ctest.out"
  n="$(sed -n 's/^100% tests passed, 0 tests failed out of \([0-9]*\)$/\1/p' "$dir/ctest.out" | tail -1)"
  [ -n "$n" ] && [ "$n" -gt 0 ] || { echo "test.sh: no tests ran in $dir" >&2; exit 1; }
  total=$((total + n))
  rep="$(scripts/ctest-report.sh skips "$pass" "$dir" tests/skips-allowed 0)"
  grep -v '^skipped-not-allowed ' <<<"$rep" || echo "test.sh: $pass pass: nothing skipped"
  n="$(sed -n 's/^skipped-not-allowed //p' <<<"$rep")"
  bad_skips=$((bad_skips + ${n:-0}))
  if [ "${n:-0}" -gt 0 ] && [ "$strict" = 1 ]; then
    echo "test.sh: $pass pass: $n skip(s) not in tests/skips-allowed; with --strict-skips (CI=true) each is a failure" >&2
  fi
}

# summary: ctest's summary line over every pass; a skip that is not allowed
# is a failed test under --strict-skips. Exit status 1 then.
summary() {
  local failed=0 pct
  [ "$strict" = 0 ] || failed="$bad_skips"
  pct=$(((total - failed) * 100 / total))
  slowest
  if [ "$failed" -gt 0 ]; then
    echo "test.sh: $failed skip(s) not allowed by tests/skips-allowed (listed above, NOT ALLOWED)"
  elif [ "$bad_skips" -gt 0 ]; then
    echo "test.sh: $bad_skips skip(s) not in tests/skips-allowed (a failure with --strict-skips or CI=true)"
  fi
  trap - EXIT
  echo "$pct% tests passed, $failed tests failed out of $total"
  [ "$failed" = 0 ]
}

# Which tests each pass runs (ctest label expressions; the two default
# selections are complements, less slow and bench: a test without a label
# runs under ASan+UBSan). The suites that drive origind's C code through HTTP
# run under ASan+UBSan; the ones that test it against third-party software
# (label e2e), under valgrind, and the checks of the test machinery (lint) in
# the normal build; --quick and --full run every suite in the normal build,
# --full every one under ASan+UBSan as well.
if [ "$full" = 1 ]; then
  normal_sel=(-LE bench)
  asan_sel=(-LE 'bench|valgrind')
elif [ "$quick" = 1 ]; then
  normal_sel=(-LE 'slow|bench')
else
  normal_sel=(-L 'e2e|lint|unit|fuzz|valgrind')
  asan_sel=(-LE 'e2e|lint|valgrind|slow|bench')
fi
# The ThreadSanitizer pass: the suites whose threads share state (the
# listeners' worker pools, the store's readers and writer, the peer threads);
# --full adds every peer suite.
tsan_re='^(server_concurrent|hardening_hostile_clients|hardening_faults|hardening_smuggling|unit_store_concurrent|peer_sync|peer_bad_peer)$'
[ "$full" = 0 ] || tsan_re='^(server_concurrent|hardening_.*|unit_store_concurrent|peer_.*)$'

# The normal and ASan passes run three tests at a time on two cores: most of
# a test's time is spent waiting (for a timeout, a peer round, a kill), and
# the pass's CPU time is about half its wall time at -j2 (ASan pass: 355 s of
# CPU in 598 s on a loaded machine).
# peer_mixed*'s builds of earlier releases: one root for every build tree below
compat=(-DORIGIND_COMPAT_ROOT="$PWD/build-compat")
echo "== build (RelWithDebInfo, -Werror)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DORIGIND_WERROR=ON -DORIGIND_TEST_HOOKS=ON "${compat[@]}" >/dev/null
cmake --build build -j2
echo "== tests (${normal_sel[*]})"
ctest_pass normal build --output-on-failure -j3 --timeout 600 "${normal_sel[@]}"

if [ "$quick" = 1 ]; then
  echo "test.sh --quick: the first pass only (no release, sanitizer, analysis or format passes)"
  summary
  exit
fi
echo "== build (ASan+UBSan, -O1)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG='-g -O1' -DORIGIND_WERROR=ON \
   -DORIGIND_SANITIZE=ON -DORIGIND_TEST_HOOKS=ON "${compat[@]}" >/dev/null
cmake --build build-asan -j2
echo "== tests under ASan+UBSan (${asan_sel[*]})"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
   ctest_pass asan build-asan --output-on-failure -j3 --timeout 900 "${asan_sel[@]}"

# A plain Release tree, the packager's command (issue 23): the test hooks are
# off there, so this proves the whole tree, tests included, compiles without
# them. Its ctest runs only what is compiled differently there (the C test
# programs: unit, fuzz replays, the no-hooks check; ~5 s); the shell suites
# run the same sources in the passes above.
echo "== build (Release, no test hooks) and its compiled tests"
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release -j2
ctest_pass release build-release --output-on-failure -j2 --timeout 600 --no-tests=error -LE valgrind \
   -R '^(unit_|server_unit_|fuzz_replay_|hardening_release_hooks$)'

echo "== build (ThreadSanitizer) and the concurrency suites under it"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DORIGIND_TSAN=ON -DORIGIND_TEST_HOOKS=ON "${compat[@]}" >/dev/null
cmake --build build-tsan -j2
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
   ctest_pass tsan build-tsan --output-on-failure -j2 --timeout 600 --no-tests=error -R "$tsan_re"

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
[ "$strict" = 1 ] && [ "$bad_skips" -gt 0 ] ||
  echo "test.sh: every pass green ($total ctest runs over the four passes, analysis, format)"
summary
