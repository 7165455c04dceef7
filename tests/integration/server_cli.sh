#!/usr/bin/env bash
# Command line: --help/--version/--check, env variables, bad options, a taken
# port, access log + SIGHUP reopen, and the fsck/stats/backup subcommands.
. "$(dirname "$0")/helpers.sh"
O="$ORIGIND"

[[ "$("$O" --version)" =~ ^origind\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "--version"
[[ "$("$O" serve --version)" == "origind "* ]] || fail "serve --version"
"$O" serve --help >"$WORK/help"
for v in ORIGIND_STORE ORIGIND_LISTEN ORIGIND_ADMIN_LISTEN ORIGIND_ADMIN_TOKEN_FILE \
    ORIGIND_ORIGIN_SECRET_FILE ORIGIND_THREADS ORIGIND_DRAIN_SECONDS ORIGIND_ACCESS_LOG \
    ORIGIND_MAX_BLOB_BYTES ORIGIND_MAP_SIZE ORIGIND_MAX_CONNECTIONS -- --check; do
    [ "$v" = -- ] && continue
    grep -qF -- "$v" "$WORK/help" || fail "--help lacks $v"
done
for c in fsck stats backup; do [[ "$("$O" $c --help)" == *--store* ]] || fail "$c --help"; done
[[ "$("$O" --help)" == *"origind serve"* ]] || fail "--help"
ok "--help, --version"

expect_eq "--check" "$("$O" serve --store "$WORK/s" --check)" "configuration OK"
[ -e "$WORK/s" ] && fail "--check created the store"
rc=0; "$O" serve --store "$WORK/s" --listen nonsense --check 2>"$WORK/e" || rc=$?
expect_eq "bad address exit" "$rc" 2
grep -q "listen" "$WORK/e" || fail "bad address message"
rc=0; "$O" serve --store "$WORK/s" --threads many 2>/dev/null || rc=$?
expect_eq "bad number" "$rc" 2
rc=0; "$O" serve --store "$WORK/s" --connection-timeout 30 2>/dev/null || rc=$?
expect_eq "keep-alive below 76 s refused" "$rc" 2
rc=0; "$O" serve --store "$WORK/s" --bogus 2>/dev/null || rc=$?
expect_eq "unknown option" "$rc" 2
rc=0; "$O" serve 2>/dev/null || rc=$?
expect_eq "no store" "$rc" 2
rc=0; ORIGIND_DRAIN_SECONDS=-1 "$O" serve --store "$WORK/s" --check 2>/dev/null || rc=$?
expect_eq "bad env value" "$rc" 2
rc=0; "$O" serve --store "$WORK/s" --origin-secret-file "$WORK/none" --check 2>/dev/null || rc=$?
expect_eq "missing secret file" "$rc" 1
rc=0; "$O" frobnicate 2>/dev/null || rc=$?
expect_eq "unknown command" "$rc" 2
ok "validation before start"

# settings from the environment; a taken port fails loudly
ORIGIND_ACCESS_LOG="$WORK/access.log" ORIGIND_THREADS=3 origind_start "$WORK/store"
grep -q "3 public threads" "$NODE_STDERR" || fail "ORIGIND_THREADS ignored"
port="${NODE_PUBLIC##*:}"
rc=0
timeout 10 "$O" serve --store "$WORK/store2" --listen "127.0.0.1:$port" --admin-listen 127.0.0.1:0 \
    2>"$WORK/e2" || rc=$?
[ "$rc" -ne 0 ] || fail "second origind on a taken port did not fail"
grep -q "Address already in use" "$WORK/e2" || fail "no clear message: $(cat "$WORK/e2")"
node_alive
ok "taken port: exit $rc, '$(grep -m1 'in use' "$WORK/e2")'"

# access log: one line per request, SIGHUP reopens it
printf 'x\n' >"$WORK/x.txt"
publish r1 /x.txt "$WORK/x.txt" "text/plain; charset=utf-8"
curl -sS -o /dev/null "$NODE_PUBLIC/x.txt?secret=1"
curl -sS -o /dev/null "$NODE_PUBLIC/nope%0a"
# the log is flushed about once a second: wait for the lines, with a deadline
wait_grep() { # wait_grep ERE FILE: up to 5 s
    local i
    for i in $(seq 1 100); do
        grep -qE "$1" "$2" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}
wait_grep ' GET /nope%0a 400 ' "$WORK/access.log" || true
grep -qE '^[0-9T:.-]+Z public 127\.0\.0\.1 GET /x\.txt 200 2 [0-9]+us hit$' "$WORK/access.log" ||
    fail "access log line: $(cat "$WORK/access.log")"
grep -qE ' GET /nope%0a 400 ' "$WORK/access.log" || fail "escaped path not logged"
grep -q "$NODE_TOKEN" "$WORK/access.log" && fail "token in the access log"
grep -q "secret=1" "$WORK/access.log" && fail "query string logged"
mv "$WORK/access.log" "$WORK/access.log.1"
kill -HUP "$NODE_PID"
# SIGHUP reopens (creates) the log file: wait for it, then log one request
for i in $(seq 1 100); do [ -e "$WORK/access.log" ] && break; sleep 0.05; done
[ -e "$WORK/access.log" ] || fail "SIGHUP did not reopen the access log"
curl -sS -o /dev/null "$NODE_PUBLIC/x.txt"
wait_grep 'GET /x.txt 200' "$WORK/access.log" || fail "no new log after SIGHUP"
ok "access log and SIGHUP"
origind_stop

# fsck, stats, backup on the (stopped) store
"$O" fsck --store "$WORK/store" >"$WORK/fsck.out" || fail "fsck failed: $(cat "$WORK/fsck.out")"
grep -q "all verify" "$WORK/fsck.out" || fail "fsck output"
"$O" stats --store "$WORK/store" >"$WORK/stats.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["blobs"]==1 and d["releases"]==1 and d["last_release"]=="r1", d' "$WORK/stats.json"
"$O" backup --store "$WORK/store" --out "$WORK/backup.mdb" || fail "backup"
[ -s "$WORK/backup.mdb" ] || fail "empty backup"
rc=0; "$O" backup --store "$WORK/store" --out "$WORK/backup.mdb" 2>/dev/null || rc=$?
expect_eq "backup refuses to overwrite" "$rc" 1
rc=0; "$O" fsck --store "$WORK/nowhere" 2>/dev/null || rc=$?
expect_eq "fsck of no store" "$rc" 1
ok "fsck, stats, backup"
