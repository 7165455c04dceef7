#!/usr/bin/env bash
# fresh-check.sh: the README's two commands on a truly fresh machine.
#
# Builds a minimal Debian 12 root (debootstrap --variant=minbase bookworm, plus
# only git, ca-certificates and sudo), clones the committed tree (HEAD, not the
# working tree) into /root/origind (/root is mode 0700, as Debian makes it) and
# runs, as root inside that root, exactly what the README says:
#     scripts/quickstart.sh          (and checks that the `curl -I` URL it prints answers 200)
#     scripts/quickstart.sh --stop   (and checks that nothing it started is left running)
#     scripts/test.sh
# printing each one's time and result. Everything is removed at the end, also
# when interrupted. Nothing is cached between runs (no package cache, no
# debootstrap tarball): every run downloads what a new machine would.
#
# Usage: sudo scripts/fresh-check.sh [--quick] [--user NAME]
#   --quick      run scripts/test.sh --quick (first pass only) instead of the full suite
#   --user NAME  run the commands as a normal user NAME instead (created in the root:
#                home /home/NAME mode 0700, the clone in ~/origind, sudo without a
#                password for the installs, the PATH a login gives, without /usr/sbin)
# Needs: root (debootstrap, mount, chroot), network to the Debian archive, ~5 GB
# in FRESH_DIR. From the host it uses only debootstrap (installed with apt-get when
# missing) and what every Debian/Ubuntu has (bash, coreutils, util-linux: unshare,
# mount, chroot). The host's own packages, /tmp, /dev and HOME are never visible
# inside the root.
# Env: FRESH_DIR (/var/tmp) where the root is built;
#      FRESH_MIRROR / FRESH_SECURITY_MIRROR: the Debian archive (default: the one the
#      host's apt sources use for bookworm, else http://deb.debian.org/debian[-security]).
# Exit: 0 every step passed; 1 a step failed; 2 usage, not root, no debootstrap;
#       3 the fresh root could not be built because the archive is unreachable
#       (.ci/run then runs scripts/test.sh on the host and says the check was SKIPPED).
#
# The root: debootstrap's output, plus what a Debian install has and a chroot
# needs: the full bookworm, bookworm-updates, bookworm-security sources; an
# /etc/hosts (localhost and this host's name); the host's local CAs (if any);
# and /usr/sbin/policy-rc.d saying
# "exit 101", so that packages installed inside (nginx) do not start services:
# systemd is not running in a chroot, an init script would start a system nginx
# on the host's port 80 (the chroot shares the host's network), and it would be
# left running. On a real machine systemd starts it and scripts/setup.sh stops it.
# All of it runs in private mount and PID namespaces (unshare): /proc, /sys, a
# fresh /dev (tmpfs with the standard nodes, its own /dev/pts and /dev/shm) are
# mounted there and vanish with it; /tmp is the root's own (on disk, mode 1777,
# as on Debian 12), never the host's. The network is the host's, so tests must
# use port 0 or free ports.
set -euo pipefail
PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
REPO="$(cd "$(dirname "$0")/.." && pwd)"
SUITE=bookworm
BASE_PKGS=git,ca-certificates,sudo
say() { echo "fresh-check: $*"; }
now() { date +%s; }

# ---------------------------------------------------------------------------
# Stage 2: inside the private mount + PID namespaces (see the end of the file).
# ---------------------------------------------------------------------------
stage() {
    local R="$FRESH_ROOT" n
    mount -t proc proc "$R/proc"
    mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"
    mount -t tmpfs -o mode=0755,nosuid,size=16m tmpfs "$R/dev"
    for n in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
        set -- $n
        mknod -m 0666 "$R/dev/$1" c "$2" "$3"
    done
    ln -s /proc/self/fd "$R/dev/fd"
    ln -s /proc/self/fd/0 "$R/dev/stdin"
    ln -s /proc/self/fd/1 "$R/dev/stdout"
    ln -s /proc/self/fd/2 "$R/dev/stderr"
    mkdir "$R/dev/pts" "$R/dev/shm"
    mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$R/dev/pts"
    ln -s pts/ptmx "$R/dev/ptmx"
    mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/dev/shm"

    # The committed tree: the repository, read-only, only for the clone.
    mkdir -p "$R/mnt/origind.git"
    mount --bind "$FRESH_GIT_COMMON" "$R/mnt/origind.git"
    mount -o remount,bind,ro "$R/mnt/origind.git"

    local user="$FRESH_USER" home=/root
    in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }
    # As the README's reader: a login shell (runuser -l: clean environment, HOME,
    # the PATH login.defs gives that user) in the clone.
    # CI (.ci/run sets CI=true) is passed on: scripts/test.sh then fails on a
    # skip that tests/skips-allowed does not list.
    as_user() { chroot "$R" /usr/bin/env -i TERM="${TERM:-dumb}" CI="${CI:-}" /usr/sbin/runuser -l -w CI "$user" -c "cd ~/origind && $1" </dev/null; }
    if [ "$user" != root ]; then
        home="/home/$user"
        in_root useradd --create-home --shell /bin/bash "$user"
        chmod 0700 "$R$home"
        echo "$user ALL=(ALL:ALL) NOPASSWD: ALL" >"$R/etc/sudoers.d/$user"
        chmod 0440 "$R/etc/sudoers.d/$user"
    fi

    local t0 git=(git -c safe.directory='*') gd="/mnt/origind.git$FRESH_GIT_REL" sha branch
    t0="$(now)"
    sha="$(in_root "${git[@]}" --git-dir="$gd" rev-parse HEAD)"
    branch="$(in_root "${git[@]}" --git-dir="$gd" symbolic-ref -q --short HEAD || true)"
    in_root "${git[@]}" clone -q --no-checkout file:///mnt/origind.git "$home/origind"
    if [ -n "$branch" ]; then
        in_root git -C "$home/origind" checkout -q -B "$branch" "$sha"
    else
        in_root git -C "$home/origind" checkout -q --detach "$sha"
    fi
    [ "$user" = root ] || in_root chown -R "$user:$user" "$home/origind"
    umount "$R/mnt/origind.git"
    rmdir "$R/mnt/origind.git"
    record ok "$(($(now) - t0))" "git clone of ${branch:-HEAD} at ${sha:0:12} into $home/origind"
    echo "${branch:-HEAD} at ${sha:0:12}" >"$FRESH_WORK/commit"

    # left_running: processes (other than this stage) whose root is the fresh root.
    left_running() {
        local p out=""
        for p in /proc/[0-9]*; do
            [ "$(readlink "$p/root" 2>/dev/null)" = "$R" ] || continue
            out="$out ${p#/proc/}:$(cat "$p/comm" 2>/dev/null)"
        done
        echo "$out"
    }

    local rc url st left
    step_header "scripts/quickstart.sh"
    t0="$(now)"
    rc=0
    as_user scripts/quickstart.sh 2>&1 | tee "$FRESH_WORK/quickstart.out" || rc=$?
    if [ "$rc" = 0 ]; then
        url="$(sed -n 's/^  curl -I \(http[^ ]*\)$/\1/p' "$FRESH_WORK/quickstart.out" | head -1)"
        st="$(as_user "curl -sS -o /dev/null -w '%{http_code}' '$url'" 2>&1 || true)"
        if [ -n "$url" ] && [ "$st" = 200 ]; then
            record ok "$(($(now) - t0))" "scripts/quickstart.sh (its curl -I URL answers 200)"
        else
            record FAIL "$(($(now) - t0))" "scripts/quickstart.sh: printed URL '${url}' answered '${st}'"
        fi
    else
        record FAIL "$(($(now) - t0))" "scripts/quickstart.sh exited $rc"
    fi

    step_header "scripts/quickstart.sh --stop"
    t0="$(now)"
    rc=0
    as_user "scripts/quickstart.sh --stop" 2>&1 || rc=$?
    left="$(left_running)"
    if [ "$rc" != 0 ]; then
        record FAIL "$(($(now) - t0))" "scripts/quickstart.sh --stop exited $rc"
    elif [ -n "$left" ]; then
        record FAIL "$(($(now) - t0))" "scripts/quickstart.sh --stop left running:$left"
    else
        record ok "$(($(now) - t0))" "scripts/quickstart.sh --stop (nothing left running)"
    fi
    kill_left

    local cmd="scripts/test.sh"
    [ "$FRESH_QUICK" = 0 ] || cmd="scripts/test.sh --quick"
    step_header "$cmd"
    t0="$(now)"
    rc=0
    as_user "$cmd" 2>&1 | tee "$FRESH_WORK/test.out" || rc=$?
    if [ "$rc" = 0 ]; then
        record ok "$(($(now) - t0))" "$cmd"
    else
        record FAIL "$(($(now) - t0))" "$cmd exited $rc"
    fi
    left="$(left_running)"
    [ -z "$left" ] || say "note: still running in the root after $cmd (killed now):$left"
    kill_left
}

step_header() { echo; echo "=== fresh-check: $1   (in ~/origind as $FRESH_USER, inside the fresh root)"; }
# record STATUS SECONDS WHAT: one line of the results table.
record() {
    printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$FRESH_WORK/results"
    say "$1 in $2 s: $3"
}
kill_left() {
    local p
    for _ in 1 2 3; do
        for p in /proc/[0-9]*; do
            [ "$(readlink "$p/root" 2>/dev/null)" = "$FRESH_ROOT" ] && kill -KILL "${p#/proc/}" 2>/dev/null || true
        done
        sleep 0.2
    done
}

if [ "${1:-}" = --stage ]; then
    stage
    exit 0
fi

# ---------------------------------------------------------------------------
# Stage 1: on the host.
# ---------------------------------------------------------------------------
FRESH_QUICK=0
FRESH_USER=root
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) FRESH_QUICK=1 ;;
    --user)
        [ -n "${2:-}" ] && [ "$2" != root ] || { echo "fresh-check: --user needs a name other than root" >&2; exit 2; }
        FRESH_USER="$2"
        shift
        ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "fresh-check: unknown argument $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "fresh-check: needs root (debootstrap, mount, chroot)" >&2; exit 2; }
    exec sudo "$SELF" "$@"
fi
export FRESH_QUICK FRESH_USER
T_START="$(now)"

# The repository's git directory (a worktree's .git is a file naming it) and the
# common directory holding the objects: that is what the root clones from.
if [ -d "$REPO/.git" ]; then
    gitdir="$REPO/.git"
elif [ -f "$REPO/.git" ]; then
    gitdir="$(sed -n 's/^gitdir: //p' "$REPO/.git")"
    case "$gitdir" in /*) ;; *) gitdir="$REPO/$gitdir" ;; esac
else
    echo "fresh-check: $REPO is not a git checkout (it clones the committed tree)" >&2
    exit 2
fi
gitdir="$(cd "$gitdir" && pwd -P)"
common="$gitdir"
if [ -f "$gitdir/commondir" ]; then
    common="$(cd "$gitdir" && cd "$(cat commondir)" && pwd -P)"
fi
case "$gitdir" in "$common" | "$common"/*) ;; *) echo "fresh-check: cannot place $gitdir under $common" >&2; exit 2 ;; esac
export FRESH_GIT_COMMON="$common" FRESH_GIT_REL="${gitdir#"$common"}"

# The archive: the host's apt sources for bookworm (deb822 or one-line), else deb.debian.org.
host_uri() { # host_uri SUITE: the first URI the host's apt sources use for SUITE
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        case "$f" in
        *.sources)
            awk -v s="$1" 'BEGIN { RS = ""; FS = "\n" }
                { uri = ""; ok = 0; deb = 0; off = 0
                  for (i = 1; i <= NF; i++) {
                      if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); uri = a[2] }
                      if ($i ~ /^Suites:/) { n = split($i, a, /[ \t]+/); for (j = 2; j <= n; j++) if (a[j] == s) ok = 1 }
                      if ($i ~ /^Types:.*(^|[ \t])deb([ \t]|$)/) deb = 1
                      if ($i ~ /^Enabled:[ \t]*no/) off = 1 }
                  if (uri != "" && ok && deb && !off) { print uri; exit } }' "$f"
            ;;
        *) sed -e 's/\[[^]]*\]//' "$f" | awk -v s="$1" '$1 == "deb" && $3 == s { print $2; exit }' ;;
        esac
    done | head -1 | sed 's#/*$##'
}
MIRROR="${FRESH_MIRROR:-$(host_uri "$SUITE")}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
SECURITY="${FRESH_SECURITY_MIRROR:-$(host_uri "$SUITE-security")}"
SECURITY="${SECURITY:-http://deb.debian.org/debian-security}"

# network_error LOG: the log shows the archive could not be reached.
network_error() {
    grep -Eiq "Failed getting release|Couldn't download|Could not resolve|unable to resolve|Temporary failure|Name or service not known|Connection (refused|timed out|reset)|No route to host|Network is unreachable|Unable to connect|Failed to fetch|Read error|Unable to fetch" "$1"
}

# debootstrap itself is the one thing taken from the host.
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
if ! command -v debootstrap >/dev/null && [ ! -x /usr/sbin/debootstrap ] || [ ! -f "$KEYRING" ]; then
    command -v apt-get >/dev/null || { echo "fresh-check: no debootstrap, and no apt-get to install it" >&2; exit 2; }
    say "installing debootstrap and debian-archive-keyring on the host"
    log="$(mktemp)"
    if ! { apt-get -o Acquire::Retries=3 update -qq &&
           DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Retries=3 install -y -qq \
               --no-install-recommends debootstrap debian-archive-keyring; } >"$log" 2>&1; then
        cat "$log" >&2
        if network_error "$log"; then
            say "cannot build the fresh root: the archive is unreachable (installing debootstrap failed)"
            rm -f "$log"; exit 3
        fi
        rm -f "$log"; exit 2
    fi
    rm -f "$log"
fi

# Leftovers of runs that were killed with SIGKILL (their owner is gone): mounts
# and processes died with their namespaces; only the directory stays.
PARENT="${FRESH_DIR:-/var/tmp}"
mkdir -p "$PARENT"
for d in "$PARENT"/origind-fresh.*; do
    [ -f "$d/owner.pid" ] || continue
    kill -0 "$(cat "$d/owner.pid")" 2>/dev/null && continue
    grep -q " $d/" /proc/self/mountinfo || rm -rf --one-file-system "$d"
done

WORK="$(mktemp -d "$PARENT/origind-fresh.XXXXXX")"
WORK="$(cd "$WORK" && pwd -P)"
chmod 0755 "$WORK"
echo $$ >"$WORK/owner.pid"
ROOT="$WORK/root"
export FRESH_WORK="$WORK" FRESH_ROOT="$ROOT"
: >"$WORK/results"
BG=""

cleanup() {
    local rc=$? p m
    trap - EXIT INT TERM HUP
    # The namespaces' processes die with their first process (--kill-child).
    [ -z "$BG" ] || { kill -KILL "$BG" 2>/dev/null || true; wait "$BG" 2>/dev/null || true; }
    for _ in 1 2 3; do
        for p in /proc/[0-9]*; do
            [ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ] && kill -KILL "${p#/proc/}" 2>/dev/null || true
        done
        sleep 0.2
    done
    # Nothing should be mounted in the host's namespace; unmount it if it is.
    while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(
        awk -v r="$ROOT" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
    rm -rf --one-file-system "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'echo; say "interrupted: cleaning up"; exit 130' INT TERM HUP

# in_ns LOG|- CMD...: CMD in private mount + PID namespaces, output to LOG (or
# here), in the background (so a TERM to this script is handled at once: the
# redirection is on CMD only, the trap's message still reaches the terminal),
# SIGINT back to its default.
in_ns() {
    local log="$1"
    shift
    if [ "$log" = - ]; then
        env --default-signal=INT,QUIT unshare --mount --pid --kill-child --mount-proc "$@" </dev/null &
    else
        env --default-signal=INT,QUIT unshare --mount --pid --kill-child --mount-proc "$@" </dev/null >"$log" 2>&1 &
    fi
    BG=$!
    local rc=0
    wait "$BG" || rc=$?
    BG=""
    return $rc
}

# 1. The root.
say "building a fresh Debian 12 root in $ROOT (debootstrap --variant=minbase $SUITE + $BASE_PKGS, $MIRROR)"
t0="$(now)"
built=0
for attempt in 1 2 3; do
    mkdir -p "$ROOT"
    if in_ns "$WORK/debootstrap.log" debootstrap --variant=minbase --include="$BASE_PKGS" \
        --keyring="$KEYRING" "$SUITE" "$ROOT" "$MIRROR"; then
        built=1
        break
    fi
    if ! network_error "$WORK/debootstrap.log"; then
        tail -n 20 "$WORK/debootstrap.log" >&2
        say "debootstrap failed (not a network error; log above)"
        exit 1
    fi
    say "debootstrap attempt $attempt: the archive did not answer: $(grep -Ei 'E:|W:|fail|unable' "$WORK/debootstrap.log" | tail -1)"
    rm -rf --one-file-system "$ROOT"
    [ "$attempt" = 3 ] || sleep $((attempt * 10))
done
if [ "$built" = 0 ]; then
    say "cannot build the fresh root: the archive $MIRROR is unreachable after 3 attempts"
    exit 3
fi
cat >"$ROOT/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY $SUITE-security main
EOF
printf '#!/bin/sh\n# fresh-check.sh: no service starts in this chroot (systemd is not running).\nexit 101\n' \
    >"$ROOT/usr/sbin/policy-rc.d"
chmod 0755 "$ROOT/usr/sbin/policy-rc.d"
printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$(uname -n)" \
    >"$ROOT/etc/hosts"
# The host's local CAs (/usr/local/share/ca-certificates: an egress proxy that
# re-signs TLS, as on the machines this project's CI uses): a new machine on
# the same network is given them by its admin, and npm (the browser tests'
# front-end builds) cannot reach its registry without them. Nothing else of
# the host's configuration goes in.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    mkdir -p "$ROOT/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
    chroot "$ROOT" /usr/sbin/update-ca-certificates >/dev/null 2>&1 ||
        { say "update-ca-certificates failed in the fresh root"; exit 1; }
    say "the root trusts the host's local CAs too: $(cd /usr/local/share/ca-certificates && echo *.crt)"
fi
[ "$(stat -c %a "$ROOT/root")" = 700 ] || { say "/root in the fresh root is not mode 0700"; exit 1; }
record ok "$(($(now) - t0))" "fresh Debian 12 root: debootstrap --variant=minbase $SUITE + ${BASE_PKGS//,/, }"

# 2. Clone, the README's commands, inside.
say "the root clones the committed tree (HEAD); uncommitted changes in $REPO are not part of this check"
rc=0
in_ns - "$SELF" --stage || rc=$?
[ "$rc" = 0 ] || record FAIL 0 "the check itself failed (exit $rc) before finishing its steps"

# 3. Results.
echo
say "results ($(cat "$WORK/commit" 2>/dev/null || echo '?'), as $FRESH_USER, total $(($(now) - T_START)) s):"
failed=0
while IFS=$'\t' read -r st secs what; do
    printf '  %-4s %5s s  %s\n' "$st" "$secs" "$what"
    [ "$st" = ok ] || failed=$((failed + 1))
done <"$WORK/results"
if [ "$failed" = 0 ]; then
    say "PASS"
else
    say "FAIL ($failed step(s))"
fi
# Close with the suite's own summary line (the total over its ctest passes).
summary="$(grep -E '^[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+$' "$WORK/test.out" 2>/dev/null | tail -1 || true)"
[ -z "$summary" ] || echo "$summary"
[ "$failed" = 0 ]
