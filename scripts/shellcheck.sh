#!/usr/bin/env bash
# scripts/shellcheck.sh - run shellcheck on every shell script in the repository
# (ctest: lint_shellcheck, so CI runs it with every test pass).
#
# Usage: scripts/shellcheck.sh
#
# Every file git tracks that is named *.sh or starts with a sh/bash/dash
# shebang (.ci/run, the package's maintainer scripts) is checked. Files
# without a shebang are libraries that bash scripts source (tests/lib.sh and
# the other *_lib.sh): they are checked as bash.
# Exit 1 if shellcheck reports anything of severity error. Warnings are
# printed but do not fail: most are SC2034 ("appears unused") on variables a
# sourced library sets for the scripts that source it, and on loop counters.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v shellcheck >/dev/null || {
    echo "shellcheck.sh: shellcheck not installed (scripts/setup.sh installs it)" >&2
    exit 1
}
with_shebang=()
sourced=()
while IFS= read -r -d '' f; do
    [ -f "$f" ] || continue
    if head -n 1 "$f" | grep -Eq '^#!.*[/ ](ba|da)?sh([[:space:]]|$)'; then
        with_shebang+=("$f")
    elif [[ "$f" == *.sh ]]; then
        sourced+=("$f")
    fi
done < <(git ls-files -z)

total=$((${#with_shebang[@]} + ${#sourced[@]}))
[ "$total" -gt 0 ] || { echo "shellcheck.sh: no script found (not a git checkout?)" >&2; exit 1; }
out="$({
    shellcheck -S warning -f gcc "${with_shebang[@]}"
    [ ${#sourced[@]} -eq 0 ] || shellcheck -S warning -s bash -f gcc "${sourced[@]}"
} || true)"
errors="$(grep -c ': error: ' <<<"$out" || true)"
warnings="$(grep -c ': warning: ' <<<"$out" || true)"
if [ "$errors" -gt 0 ]; then
    grep ': error: ' <<<"$out" >&2
    echo "shellcheck.sh: $errors errors in $total scripts" >&2
    exit 1
fi
[ -z "$out" ] || echo "$out"
echo "shellcheck.sh: $total scripts, no error ($warnings warnings, listed above)"
