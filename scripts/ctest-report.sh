#!/usr/bin/env bash
# ctest-report.sh: what a ctest pass skipped, and which tests were slowest.
# scripts/test.sh calls it after every pass and at the end; tests/skip_report.sh
# proves it (lint_skip_report).
#
# Usage:
#   ctest-report.sh skips PASS DIR ALLOWLIST STRICT
#       Lists every skip of the ctest run in DIR (DIR/ctest.out is ctest's
#       output, DIR/Testing/Temporary/LastTest.log every test's output):
#         - a whole test skipped (exit 77, ctest's "***Skipped"), with its reason:
#           the test's "SKIP: ..." output lines, else its last line of output;
#         - a part of a passing test skipped: a "SKIP: ..." line in its output
#           (a script that skips one case and passes the rest), or a cmocka
#           "[  SKIPPED ] test_name" (named TEST:test_name).
#       One line each: "skip: PASS TEST[:SUB]: REASON [allowed|NOT ALLOWED]".
#       A skip is allowed when ALLOWLIST (tests/skips-allowed) has a line whose
#       first word is TEST or TEST:SUB. With STRICT=1, exit 1 if any skip is not
#       allowed; prints "skipped-not-allowed N" as the last line either way
#       (scripts/test.sh counts those as failed tests).
#   ctest-report.sh slowest N PASS:DIR...
#       The N slowest tests over every pass (from each DIR/ctest.out), slowest
#       first: seconds, pass, test, result.
set -euo pipefail

# skips_of DIR: "TEST|SUB|REASON" for every skip in DIR's run.
skips_of() {
    local dir="$1" out="$1/ctest.out" log="$1/Testing/Temporary/LastTest.log" t
    [ -f "$out" ] || { echo "ctest-report: no $out" >&2; return 1; }
    # whole tests: ctest's own verdict
    while IFS= read -r t; do
        local why=""
        if [ -f "$log" ]; then
            why="$(awk -v name="$t" '
                /^[0-9]+\/[0-9]+ Test: / { cur = $3; next }
                /^Output:$/ { inout = (cur == name); next }
                /^<end of output>$/ { inout = 0; next }
                inout && /^SKIP: / { sub(/^SKIP: /, ""); s = s (s == "" ? "" : "; ") $0 }
                inout && NF { last = $0 }
                END { print (s != "" ? s : (last != "" ? "(no SKIP: line) " last : "(no output)")) }' "$log")"
        fi
        printf '%s|%s|%s\n' "$t" "" "${why:-(no LastTest.log)}"
    done < <(sed -n 's/^ *[0-9]*\/[0-9]* Test *#[0-9]*: \([^ ]*\) .*\*\*\*Skipped.*/\1/p' "$out")
    # parts of tests that passed (or failed): SKIP: lines, cmocka skips
    [ -f "$log" ] || return 0
    local skipped
    skipped="$(sed -n 's/^ *[0-9]*\/[0-9]* Test *#[0-9]*: \([^ ]*\) .*\*\*\*Skipped.*/\1/p' "$out" | tr '\n' ' ')"
    awk -v skipped=" $skipped" '
        /^[0-9]+\/[0-9]+ Test: / { cur = $3; next }
        /^Output:$/ { inout = 1; next }
        /^<end of output>$/ { inout = 0; next }
        !inout { next }
        index(skipped, " " cur " ") { next }
        /^SKIP: / { r = $0; sub(/^SKIP: /, "", r); print cur "||" r; next }
        /^\[  SKIPPED \] [A-Za-z_][A-Za-z0-9_]*$/ { print cur "|" $4 "|cmocka skip()"; next }' "$log" | sort -u
}

cmd="${1:-}"
case "$cmd" in
skips)
    [ $# = 5 ] || { echo "usage: ctest-report.sh skips PASS DIR ALLOWLIST STRICT" >&2; exit 2; }
    pass="$2" dir="$3" allow="$4" strict="$5"
    [ -f "$allow" ] || { echo "ctest-report: no allow-list $allow" >&2; exit 2; }
    [ -f "$dir/ctest.out" ] || { echo "ctest-report: no $dir/ctest.out (ctest's output of the pass)" >&2; exit 2; }
    allowed="$(sed -e 's/#.*//' "$allow" | awk 'NF { print $1 }')"
    bad=0
    while IFS='|' read -r t sub why; do
        [ -n "$t" ] || continue
        name="$t${sub:+:$sub}"
        if grep -qxF -e "$t" -e "$name" <<<"$allowed"; then
            echo "skip: $pass $name: $why [allowed: $allow]"
        else
            echo "skip: $pass $name: $why [NOT ALLOWED]"
            bad=$((bad + 1))
        fi
    done < <(skips_of "$dir")
    echo "skipped-not-allowed $bad"
    [ "$strict" != 1 ] || [ "$bad" = 0 ]
    ;;
slowest)
    [ $# -ge 3 ] || { echo "usage: ctest-report.sh slowest N PASS:DIR..." >&2; exit 2; }
    n="$2"
    shift 2
    for pd in "$@"; do
        pass="${pd%%:*}" dir="${pd#*:}"
        [ -f "$dir/ctest.out" ] || continue
        sed -n 's/^ *[0-9]*\/[0-9]* Test *#[0-9]*: \([^ ]*\) [ .]*\(.*[^ ]\)  *\([0-9][0-9]*\.[0-9]*\) sec$/\3\t\1\t\2/p' \
            "$dir/ctest.out" | awk -F'\t' -v p="$pass" '{ r = $3; gsub(/^[ *]+/, "", r); sub(/ +$/, "", r)
                printf "%s\t%s\t%s\t%s\n", $1, p, $2, r }'
    done | sort -t$'\t' -k1,1 -g -r | head -n "$n" |
        awk -F'\t' '{ printf "  %8.1f s  %-7s %-34s %s\n", $1, $2, $3, $4 }'
    ;;
*)
    echo "usage: ctest-report.sh skips|slowest ... (see the top of the file)" >&2
    exit 2
    ;;
esac
