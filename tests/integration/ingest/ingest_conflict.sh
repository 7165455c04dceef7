#!/usr/bin/env bash
# ingest_conflict: a build that binds a published path to other bytes exits 3,
# prints the path, and the node keeps serving the old bytes.
. "$(dirname "$0")/ingest_lib.sh"

start_nodes 2
mapfile -t NODES < <(node_args)
S="$WORK/site"
mkdir -p "$S"
printf 'v1\n' >"$S/app.css"
printf 'same\n' >"$S/other.js"
run_ingest push "${NODES[@]}" --token-file "$TOKEN_FILE" --release r1 --keep-names "$S"
[ "$RC" = 0 ] || fail "first push: $RC $(cat "$WORK/err")"

printf 'v2 different bytes\n' >"$S/app.css"
printf 'brand new\n' >"$S/new.js"
run_ingest push "${NODES[@]}" --token-file "$TOKEN_FILE" --release r2 --keep-names \
    --manifest-out "$WORK/m.json" --json "$S"
expect_eq "conflict exit" "$RC" 3
grep -q "conflict: /assets/app.css" "$WORK/err" || fail "conflicting path not printed: $(cat "$WORK/err")"
for i in 0 1; do
    grep -q "node ${ADMIN[$i]}: conflict" "$WORK/err" || fail "node $i not named"
    expect_eq "json outcome $i" "$(json_get "$WORK/out" "d['nodes'][$i]['outcome']")" conflict
    expect_eq "old bytes $i" "$(curl -sS "${PUBLIC[$i]}/assets/app.css")" v1
    # Atomic: nothing of r2 was published, not even the new file.
    expect_eq "new file not published $i" \
        "$(curl -s -o /dev/null -w '%{http_code}' "${PUBLIC[$i]}/assets/new.js")" 404
done
[ ! -e "$WORK/m.json" ] || fail "manifest written for a failed push"
run_ingest verify "${NODES[@]}" --token-file "$TOKEN_FILE" --release r2
expect_eq "verify r2" "$RC" 4
ok "conflict: exit 3, path printed, old bytes served, release not published"

# Re-using a release id for other content is a conflict too.
printf 'v1\n' >"$S/app.css"
rm "$S/new.js"
printf 'x\n' >"$S/x.js"
run_ingest push "${NODES[@]}" --token-file "$TOKEN_FILE" --release r1 --keep-names "$S"
expect_eq "release id reuse" "$RC" 3
ok "release id reused for other content: exit 3"
