#!/usr/bin/env bash
# skip_report.sh (ctest: lint_skip_report): scripts/ctest-report.sh, which
# scripts/test.sh uses to list skips and to fail CI on one that
# tests/skips-allowed does not list, sees every kind of skip and names the
# slowest tests. It runs a small ctest project with a whole test skipped
# (exit 77), a passing test that skipped a part ("SKIP: " line), a cmocka
# skip() and a slow test, then checks the report and its exit status.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
REPORT="$REPO/scripts/ctest-report.sh"
W="$(mktemp -d "${TMPDIR:-/tmp}/skip-report.XXXXXX")"
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$W/src"
cat >"$W/src/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.20)
project(skips NONE)
enable_testing()
add_test(NAME whole_skip COMMAND sh -c "echo starting; echo 'SKIP: no frobnicator here'; exit 77")
add_test(NAME part_skip COMMAND sh -c "echo 'ok: one case'; echo 'SKIP: the tmpfs case did not run'; exit 0")
add_test(NAME cmocka_skip COMMAND sh -c "echo '[  SKIPPED ] test_big_map'; echo '[  SKIPPED ] 1 test(s), listed below:'; exit 0")
add_test(NAME slow_one COMMAND sh -c "sleep 1.2")
add_test(NAME plain COMMAND true)
add_test(NAME silent_skip COMMAND sh -c "echo 'no reason given'; exit 77")
set_tests_properties(whole_skip silent_skip PROPERTIES SKIP_RETURN_CODE 77)
CM
cmake -S "$W/src" -B "$W/b" >/dev/null
(cd "$W/b" && ctest -j2 >ctest.out) || fail "the fixture's ctest run failed"
grep -q '100% tests passed, 0 tests failed out of 6' "$W/b/ctest.out" ||
    fail "fixture: ctest counts the skip as a pass (that is the point); got: $(tail -5 "$W/b/ctest.out")"

# nothing allowed, strict: three skips, each named with its reason, exit 1
printf '# nothing\n' >"$W/none"
rc=0
"$REPORT" skips normal "$W/b" "$W/none" 1 >"$W/r1" || rc=$?
cat "$W/r1"
[ "$rc" = 1 ] || fail "strict report with unlisted skips exited $rc, want 1"
grep -qx 'skip: normal silent_skip: (no SKIP: line) no reason given \[NOT ALLOWED\]' "$W/r1" ||
    fail "a skip without a SKIP: line not reported"
grep -qx 'skip: normal whole_skip: no frobnicator here \[NOT ALLOWED\]' "$W/r1" || fail "whole skip not reported"
grep -qx 'skip: normal part_skip: the tmpfs case did not run \[NOT ALLOWED\]' "$W/r1" || fail "partial skip not reported"
grep -qx 'skip: normal cmocka_skip:test_big_map: cmocka skip() \[NOT ALLOWED\]' "$W/r1" || fail "cmocka skip not reported"
grep -qx 'skipped-not-allowed 4' "$W/r1" || fail "count of unlisted skips wrong"
[ "$(grep -c '^skip: ' "$W/r1")" = 4 ] || fail "reported something that was not skipped"

# not strict: the same report, exit 0
rc=0
"$REPORT" skips normal "$W/b" "$W/none" 0 >/dev/null || rc=$?
[ "$rc" = 0 ] || fail "non-strict report exited $rc"

# all three allowed (whole test, test:sub, comments): exit 0 under strict
printf '# why\nwhole_skip   # a reason\nsilent_skip\npart_skip\ncmocka_skip:test_big_map # a reason\n' >"$W/all"
rc=0
"$REPORT" skips normal "$W/b" "$W/all" 1 >"$W/r2" || rc=$?
cat "$W/r2"
[ "$rc" = 0 ] || fail "strict report with every skip allowed exited $rc"
grep -qx 'skipped-not-allowed 0' "$W/r2" || fail "allowed skips still counted"
# allowing cmocka_skip:other does not allow cmocka_skip:test_big_map
printf 'whole_skip\nsilent_skip\npart_skip\ncmocka_skip:other\n' >"$W/some"
rc=0
"$REPORT" skips normal "$W/b" "$W/some" 1 >/dev/null || rc=$?
[ "$rc" = 1 ] || fail "a skip allowed for another subtest passed"

# the slowest list: slow_one first, with its pass name
"$REPORT" slowest 10 normal:"$W/b" asan:"$W/b" >"$W/slow"
cat "$W/slow"
head -1 "$W/slow" | grep -Eq '^ +1\.[0-9] s +(normal|asan) +slow_one +Passed$' || fail "slowest test not first"
[ "$(wc -l <"$W/slow")" = 10 ] || fail "want the 10 slowest of 12 (2 passes x 6 tests)"

# times of 10 s and more, and other verdicts, parsed whole
mkdir -p "$W/long"
cat >"$W/long/ctest.out" <<'OUT'
 1/3 Test  #8: unit_store_valgrind ..............   Passed   13.43 sec
 2/3 Test #12: hung_one .........................***Timeout 300.02 sec
 3/3 Test  #9: broken ...........................***Failed  120.50 sec
OUT
"$REPORT" slowest 10 normal:"$W/long" >"$W/slow2"
cat "$W/slow2"
expect_line() { grep -Eq "$1" "$W/slow2" || fail "slowest: no line like '$1'"; }
expect_line '^ +300\.0 s +normal +hung_one +Timeout$'
expect_line '^ +120\.5 s +normal +broken +Failed$'
expect_line '^ +13\.4 s +normal +unit_store_valgrind +Passed$'
head -1 "$W/slow2" | grep -q hung_one || fail "the slowest is not first"

# the real allow-list parses and lists only tests that exist in the tree
while read -r name _; do
    t="${name%%:*}"
    grep -rqw -- "$t" "$REPO/tests" --include=CMakeLists.txt || fail "tests/skips-allowed names $t, which no CMakeLists.txt defines"
done < <(sed -e 's/#.*//' "$REPO/tests/skips-allowed" | awk 'NF')
echo "ok: skips are reported with their reasons, unlisted ones fail strict runs, the slowest are named"
