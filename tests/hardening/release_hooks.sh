#!/usr/bin/env bash
# release_hooks.sh - test hooks stay out of production (issue 15): a build
# without ORIGIND_TEST_HOOKS (the release/package flavour: bin/origind-nohooks
# in a test build, bin/origind itself when the build has the hooks OFF) has no
# fault-injection symbols and refuses to start, saying why, when ORIGIND_FAULT
# is set; without the variable it serves normally. The test build, with the
# same variable, warns loudly and really injects the fault (so the difference
# is the build, not the variable).
. "$(dirname "$0")/hardening_lib.sh"
W="$(origind_tmpdir)"
if [ -x "$ORIGIND_BIN_DIR/origind-nohooks" ]; then
    REL="$ORIGIND_BIN_DIR/origind-nohooks"
    HOOKED=1
else
    REL="$ORIGIND"
    HOOKED=0
fi

if command -v nm >/dev/null; then
    nm "$REL" | grep -q store_fault_set && fail "$REL holds the fault-injection hooks"
    ok "$(basename "$REL"): no fault-injection symbol"
fi

for cmd in "serve --store $W/s1 --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0" "fsck --store $W/s1"; do
    rc=0
    # shellcheck disable=SC2086
    ORIGIND_FAULT=commit:1 timeout 10 "$REL" $cmd >"$W/out" 2>"$W/err" || rc=$?
    expect_eq "release build with ORIGIND_FAULT ($cmd): exit" "$rc" 1
    grep -q "ORIGIND_FAULT is set, but this build has no fault-injection hooks.*refusing to start" "$W/err" ||
        fail "no reason given: $(cat "$W/err")"
    grep -q "^origind: public " "$W/err" && fail "it started listening"
    [ "$(wc -l <"$W/err")" = 1 ] || fail "more than one line: $(cat "$W/err")"
done
rc=0
ORIGIND_TEST_CONNECTION_TIMEOUT=5 timeout 10 "$REL" serve --store "$W/s1" --listen 127.0.0.1:0 \
    --admin-listen 127.0.0.1:0 >"$W/out" 2>"$W/err" || rc=$?
expect_eq "release build with ORIGIND_TEST_CONNECTION_TIMEOUT: exit" "$rc" 1
grep -q "ORIGIND_TEST_CONNECTION_TIMEOUT is set, but this build has no test hooks.*refusing to start" "$W/err" ||
    fail "no reason given: $(cat "$W/err")"
[ "$(wc -l <"$W/err")" = 1 ] || fail "more than one line: $(cat "$W/err")"
[ -e "$W/s1/data.mdb" ] && fail "the refused serve created a store"
ok "release build: ORIGIND_FAULT and ORIGIND_TEST_CONNECTION_TIMEOUT refused at start with one line, nothing created"

ORIGIND="$REL" origind_start "$W/s2" || fail "release build without ORIGIND_FAULT did not start"
echo "x" >"$W/x.txt"
h="$(sha256sum "$W/x.txt" | cut -c1-64)"
expect_eq "release build stores" "$(admin_curl -o /dev/null -w '%{http_code}' -X PUT \
    --data-binary @"$W/x.txt" "$NODE_ADMIN/v1/blobs/$h")" 201
origind_stop
ok "release build without the variable serves and stores"

if [ "$HOOKED" = 1 ]; then
    ORIGIND_FAULT=commit:1 origind_start "$W/s3" || fail "test build with ORIGIND_FAULT did not start"
    grep -q "warning: ORIGIND_FAULT=commit:1 arms store fault injection" "$NODE_STDERR" ||
        fail "the test build did not warn"
    code="$(admin_curl -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$W/x.txt" "$NODE_ADMIN/v1/blobs/$h")"
    expect_eq "test build: the armed commit fault fires" "$code" 500
    origind_stop
    ok "test build: warns, and the fault really fires"
fi
