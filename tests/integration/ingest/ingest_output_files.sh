#!/usr/bin/env bash
# ingest_output_files: where push --manifest-out and manifest --out write
# (tools/outfile.h). A regular file is replaced atomically; a symlink is
# written through to its target (the link stays), a dangling one creates its
# target; "-" is stdout. A device, /dev/fd/N and /dev/stdout, a directory, a
# fifo, a symlink loop and a missing directory are refused with one line and
# exit 2, before any node is contacted, and are left as they were.
. "$(dirname "$0")/ingest_lib.sh"

S="$WORK/site"
mkdir -p "$S/css"
printf 'body{}\n' >"$S/css/app.css"
printf 'x\n' >"$S/a.txt"

dry() { # dry ARGS...: push --dry-run of $S
    run_ingest push --dry-run --quiet "$@" "$S"
}
no_tmp() { # no_tmp DIR: no temporary file left behind
    if compgen -G "$1/*.tmp.*" >/dev/null; then fail "temporary file left in $1: $(ls "$1")"; fi
}
dry --manifest-out "$WORK/ref.json"
[ "$RC" = 0 ] || fail "reference manifest: exit $RC: $(cat "$WORK/err")"

# A regular file: replaced by rename (a hard link to the old one keeps the
# old bytes: nobody ever saw the file half written).
printf 'old\n' >"$WORK/reg.json"
ln "$WORK/reg.json" "$WORK/reg.hard"
dry --manifest-out "$WORK/reg.json"
[ "$RC" = 0 ] || fail "regular file: exit $RC: $(cat "$WORK/err")"
cmp -s "$WORK/ref.json" "$WORK/reg.json" || fail "regular file: wrong content"
expect_eq "old inode keeps the old bytes" "$(cat "$WORK/reg.hard")" old
no_tmp "$WORK"
ok "a regular file is replaced atomically"

# A symlink chain (relative links, across directories): the final target is
# replaced in its own directory, both links stay links.
mkdir -p "$WORK/shared"
printf 'old\n' >"$WORK/shared/manifest.json"
ln "$WORK/shared/manifest.json" "$WORK/shared.hard"
ln -s shared/manifest.json "$WORK/link1.json"
ln -s link1.json "$WORK/link2.json"
dry --manifest-out "$WORK/link2.json"
[ "$RC" = 0 ] || fail "symlink: exit $RC: $(cat "$WORK/err")"
[ -L "$WORK/link2.json" ] && [ -L "$WORK/link1.json" ] || fail "symlink replaced by a file"
expect_eq "link" "$(readlink "$WORK/link2.json") $(readlink "$WORK/link1.json")" \
    "link1.json shared/manifest.json"
[ -f "$WORK/shared/manifest.json" ] && [ ! -L "$WORK/shared/manifest.json" ] || fail "target gone"
cmp -s "$WORK/ref.json" "$WORK/shared/manifest.json" || fail "symlink: target not written"
expect_eq "target replaced by rename" "$(cat "$WORK/shared.hard")" old
no_tmp "$WORK"
no_tmp "$WORK/shared"
# An absolute link, through the environment variable.
ln -s "$WORK/shared/manifest.json" "$WORK/abs.json"
rm "$WORK/shared/manifest.json"
printf 'old\n' >"$WORK/shared/manifest.json"
ORIGIN_INGEST_MANIFEST_OUT="$WORK/abs.json" dry
[ "$RC" = 0 ] || fail "absolute symlink: exit $RC: $(cat "$WORK/err")"
[ -L "$WORK/abs.json" ] || fail "absolute symlink replaced by a file"
cmp -s "$WORK/ref.json" "$WORK/shared/manifest.json" || fail "absolute symlink: target not written"
ok "a symlink is written through to its target atomically; the links stay"

# A dangling symlink creates its target (as a shell's > does); one into a
# directory that does not exist is refused before any work.
ln -s shared/new.json "$WORK/dangling.json"
dry --manifest-out "$WORK/dangling.json"
[ "$RC" = 0 ] || fail "dangling symlink: exit $RC: $(cat "$WORK/err")"
[ -L "$WORK/dangling.json" ] || fail "dangling symlink replaced by a file"
cmp -s "$WORK/ref.json" "$WORK/shared/new.json" || fail "dangling symlink: target not created"
ln -s nodir/new.json "$WORK/dangling2.json"
dry --manifest-out "$WORK/dangling2.json"
[ "$RC" = 2 ] || fail "dangling into no directory: exit $RC, want 2: $(cat "$WORK/err")"
grep -q "no directory .*nodir" "$WORK/err" || fail "dangling into no directory: $(cat "$WORK/err")"
[ -L "$WORK/dangling2.json" ] || fail "dangling2 changed"
ok "a dangling symlink creates its target; into a missing directory: exit 2"

# Refusals: exit 2, one line naming the path, the thing left as it was.
refused() { # refused WHAT PATTERN OUT
    dry --manifest-out "$3"
    [ "$RC" = 2 ] || fail "$1: exit $RC, want 2: $(cat "$WORK/err")"
    [ "$(wc -l <"$WORK/err")" = 1 ] || fail "$1: not one line: $(cat "$WORK/err")"
    grep -q -- "--manifest-out $3: .*$2" "$WORK/err" || fail "$1: message: $(cat "$WORK/err")"
    no_tmp "$WORK"
}
# A character device: as root a node of our own (never risk the system's
# /dev/null), else /dev/null itself (no rights to replace it anyway).
if [ "$(id -u)" = 0 ] && mknod "$WORK/null" c 1 3 2>/dev/null; then
    DEV="$WORK/null"
else
    DEV=/dev/null
fi
ln -s "$DEV" "$WORK/dev.json"
refused "symlink to a device" "character device" "$WORK/dev.json"
[ -L "$WORK/dev.json" ] && [ -c "$DEV" ] || fail "symlink to a device: changed"
refused "a device" "character device" "$DEV"
[ -c "$DEV" ] || fail "device replaced"
mkdir "$WORK/dir.json"
refused "a directory" "directory" "$WORK/dir.json"
[ -d "$WORK/dir.json" ] || fail "directory changed"
mkfifo "$WORK/fifo.json"
refused "a fifo" "fifo" "$WORK/fifo.json"
[ -p "$WORK/fifo.json" ] || fail "fifo replaced"
ln -s fifo.json "$WORK/tofifo.json"
refused "a symlink to a fifo" "fifo" "$WORK/tofifo.json"
ln -s loop.json "$WORK/loop.json"
refused "a symlink loop" "loop" "$WORK/loop.json"
[ -L "$WORK/loop.json" ] || fail "loop replaced"
ok "a device (direct or through a symlink), a directory, a fifo, a loop: exit 2, one line"

# /dev/fd/1 and /dev/stdout with stdout on a file: a descriptor, not a file.
# The file stays the one the shell opened (same inode), nothing written.
fd_refused() { # fd_refused NAME
    : >"$WORK/stdout.file"
    local ino
    ino=$(stat -c %i "$WORK/stdout.file")
    set +e
    "$ORIGIN_INGEST" push --dry-run --quiet --manifest-out "$1" "$S" >"$WORK/stdout.file" \
        2>"$WORK/err"
    RC=$?
    set -e
    [ "$RC" = 2 ] || fail "$1: exit $RC, want 2: $(cat "$WORK/err")"
    [ "$(wc -l <"$WORK/err")" = 1 ] || fail "$1: not one line: $(cat "$WORK/err")"
    grep -q "open file descriptor" "$WORK/err" || fail "$1: message: $(cat "$WORK/err")"
    expect_eq "$1: stdout file" "$(stat -c %i "$WORK/stdout.file") $(stat -c %s "$WORK/stdout.file")" \
        "$ino 0"
}
fd_refused /dev/fd/1
# only now /dev/stdout (/dev/fd/1 was refused, so this cannot replace the
# system's /dev/stdout even as root); then with stdout a pipe
was_link=$([ -L /dev/stdout ] && echo y || echo n)
fd_refused /dev/stdout
expect_eq "/dev/stdout still a link" "$([ -L /dev/stdout ] && echo y || echo n)" "$was_link"
set +e
"$ORIGIN_INGEST" push --dry-run --quiet --manifest-out /dev/stdout "$S" 2>"$WORK/err" | cat >"$WORK/out"
RC=${PIPESTATUS[0]}
set -e
[ "$RC" = 2 ] || fail "/dev/stdout to a pipe: exit $RC, want 2: $(cat "$WORK/err")"
grep -q "fifo" "$WORK/err" || fail "/dev/stdout to a pipe: message: $(cat "$WORK/err")"
[ ! -s "$WORK/out" ] || fail "/dev/stdout to a pipe: wrote $(cat "$WORK/out")"
ok "/dev/fd/1 and /dev/stdout (file or pipe): refused, give -"

# "-": the manifest on stdout, nothing else there; not with --json.
dry --manifest-out -
[ "$RC" = 0 ] || fail "-: exit $RC: $(cat "$WORK/err")"
cmp -s "$WORK/ref.json" "$WORK/out" || fail "-: stdout is not the manifest: $(cat "$WORK/out")"
[ ! -e "$S/-" ] && [ ! -e ./- ] || fail "-: a file named - was written"
dry --json --manifest-out -
[ "$RC" = 2 ] || fail "- with --json: exit $RC, want 2"
grep -q -- "--json" "$WORK/err" || fail "- with --json: message: $(cat "$WORK/err")"
ORIGIN_INGEST_MANIFEST_OUT= dry
[ "$RC" = 2 ] || fail "empty --manifest-out: exit $RC, want 2"
grep -q -- "invalid --manifest-out" "$WORK/err" || fail "empty --manifest-out: $(cat "$WORK/err")"
ok "- writes stdout; refused with --json; an empty --manifest-out refused"

# A refused target stops a real push before it publishes anything.
start_nodes 1
mapfile -t NODES < <(node_args)
run_ingest push "${NODES[@]}" --token-file "$TOKEN_FILE" --release r1 --quiet \
    --manifest-out "$WORK/dev.json" "$S"
[ "$RC" = 2 ] || fail "push to a device: exit $RC, want 2: $(cat "$WORK/err")"
expect_eq "nothing published" "$(admin_curl -o /dev/null -w '%{http_code}' "${ADMIN[0]}/v1/releases/r1")" 404
run_ingest push "${NODES[@]}" --token-file "$TOKEN_FILE" --release r1 --quiet \
    --manifest-out "$WORK/link2.json" "$S"
[ "$RC" = 0 ] || fail "push through a symlink: exit $RC: $(cat "$WORK/err")"
[ -L "$WORK/link2.json" ] || fail "push: symlink replaced"
cmp -s "$WORK/ref.json" "$WORK/shared/manifest.json" || fail "push: target not written"
ok "push: a refused --manifest-out publishes nothing; a symlink is written through"

# manifest --out: the same rules.
regen() { run_ingest manifest "${NODES[@]}" --token-file "$TOKEN_FILE" --release r1 "$@"; }
rm "$WORK/shared/manifest.json"
regen --out "$WORK/link2.json"
[ "$RC" = 0 ] || fail "manifest --out symlink: exit $RC: $(cat "$WORK/err")"
[ -L "$WORK/link2.json" ] || fail "manifest --out: symlink replaced"
cmp -s "$WORK/ref.json" "$WORK/shared/manifest.json" || fail "manifest --out: target not written"
regen --out "$WORK/dev.json"
[ "$RC" = 2 ] || fail "manifest --out device: exit $RC, want 2: $(cat "$WORK/err")"
grep -q -- "--out $WORK/dev.json: .*character device" "$WORK/err" ||
    fail "manifest --out device: message: $(cat "$WORK/err")"
[ -L "$WORK/dev.json" ] || fail "manifest --out: device link changed"
regen --out -
[ "$RC" = 0 ] || fail "manifest --out -: exit $RC: $(cat "$WORK/err")"
cmp -s "$WORK/ref.json" "$WORK/out" || fail "manifest --out -: not the manifest"
ok "manifest --out: symlink written through, device refused, - is stdout"

run_ingest push --help
grep -q "dangling symlink creates its target" "$WORK/out" || fail "push --help: no output files rules"
run_ingest manifest --help
grep -q "output files" "$WORK/out" || fail "manifest --help: no output files rules"
ok "--help states the rules"
