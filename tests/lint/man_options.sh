#!/usr/bin/env bash
# man_options.sh (ctest: lint_man_options): every row of origind's and
# origin-ingest's option tables is in the man page and in the --help of
# each command that takes it. The rows are mangen --names (straight from
# the tables); the pages are what scripts/package.sh installs: mangen's
# output from man/*.1.in, or, given MAN_DIR, the installed PROGRAM.1.gz
# there (tests/e2e/package.sh passes the extracted package's).
#
# Usage: man_options.sh BIN_DIR REPO [MAN_DIR]
set -euo pipefail
bin="${1:?BIN_DIR}"
repo="${2:?REPO}"
man_dir="${3:-}"
T="$(mktemp -d "${TMPDIR:-/tmp}/man_options.XXXXXX")"
trap 'rm -rf "$T"' EXIT
fails=0
for prog in origind origin-ingest; do
    if [ -n "$man_dir" ]; then
        gzip -dc "$man_dir/$prog.1.gz" >"$T/$prog.1"
    else
        "$bin/mangen" "$prog" "$repo/man/$prog.1.in" >"$T/$prog.1"
    fi
    "$bin/mangen" --names "$prog" >"$T/$prog.names"
    [ -s "$T/$prog.names" ] || { echo "FAIL: mangen --names $prog lists no option"; exit 1; }
    n=0
    while read -r name cmds; do
        n=$((n + 1))
        # .B/.BI "\-\-name" (a short name may come first) opens its paragraph
        roff="${name//-/\\\\-}"
        grep -qE "^\.BI? \"(\\\\-., )?\\\\-\\\\-$roff\"" "$T/$prog.1" ||
            { echo "FAIL: $prog.1 lacks --$name"; fails=$((fails + 1)); }
        for c in $cmds; do
            [ -f "$T/$prog.$c.help" ] || "$bin/$prog" "$c" --help >"$T/$prog.$c.help"
            grep -qE -- "(^|[ ,])--$name( |$)" "$T/$prog.$c.help" ||
                { echo "FAIL: $prog $c --help lacks --$name"; fails=$((fails + 1)); }
        done
    done <"$T/$prog.names"
    echo "$prog: $n options checked"
done
[ "$fails" -eq 0 ] || exit 1
echo "ok: every option is in the man page and in --help"
