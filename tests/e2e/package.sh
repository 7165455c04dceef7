#!/usr/bin/env bash
# package.sh - the Debian package (ctest: e2e_package): scripts/package.sh
# builds it from the binaries under test, lintian finds no error or warning,
# dpkg-deb -x extracts the layout docs/operating.md promises, its man pages
# list every option of both tables (tests/lint/man_options.sh), the extracted
# binaries run (--version, serve on port 0 and a push through them), and
# systemd-analyze verifies the unit as installed (its ExecStart resolves
# inside the extracted tree).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/e2e_lib.sh"

for t in dpkg-deb dpkg-shlibdeps lintian systemd-analyze; do
    command -v "$t" >/dev/null || fail "$t not installed (scripts/setup.sh installs it)"
done
T="$(origind_tmpdir)"

# 1. Build the package from the binaries this ctest run built.
deb="$("$E2E_REPO/scripts/package.sh" --bin-dir "$ORIGIND_BIN_DIR" --out "$T/pkg" | tail -n 1)"
version="$("$ORIGIND" --version | awk '{print $2}')"
expect_eq "package file" "$deb" "$T/pkg/origind_${version}_$(dpkg --print-architecture).deb"
[ -s "$deb" ] || fail "no package at $deb"
ok "built $(basename "$deb")"

# 2. lintian: errors and warnings fail (an override would need a reason).
if ! lintian --fail-on error,warning --no-tag-display-limit "$deb" >"$T/lintian.log" 2>&1; then
    cat "$T/lintian.log" >&2
    fail "lintian reports errors or warnings"
fi
ok "lintian: no error, no warning"

# 3. The layout.
X="$T/x"
dpkg-deb -x "$deb" "$X"
dpkg-deb -e "$deb" "$T/control"
for f in usr/bin/origind usr/bin/origin-ingest lib/systemd/system/origind.service \
    etc/origind/origind.env usr/share/doc/origind/copyright usr/share/doc/origind/changelog.gz \
    usr/share/man/man1/origind.1.gz usr/share/man/man1/origin-ingest.1.gz; do
    [ -f "$X/$f" ] || fail "package lacks /$f"
done
expect_eq "conffiles" "$(cat "$T/control/conffiles")" "/etc/origind/origind.env"
grep -q 'adduser --system' "$T/control/postinst" || fail "postinst does not create a system user"
grep -q '/var/lib/origind' "$T/control/postinst" || fail "postinst does not make /var/lib/origind"
grep -q '^ExecStart=/usr/bin/origind serve' "$X/lib/systemd/system/origind.service" ||
    fail "the unit does not start /usr/bin/origind"
ok "layout: /usr/bin, the unit, /etc/origind conffile, the user and /var/lib/origind in postinst"
bash "$E2E_REPO/tests/lint/man_options.sh" "$ORIGIND_BIN_DIR" "$E2E_REPO" "$X/usr/share/man/man1" \
    >"$T/man_options.log" || { cat "$T/man_options.log" >&2; fail "an option is missing from an installed man page"; }
ok "installed man pages: every option of both tables"

# 4. The extracted binaries run.
expect_eq "origind --version" "$("$X/usr/bin/origind" --version)" "origind $version"
expect_eq "origin-ingest --version" "$("$X/usr/bin/origin-ingest" --version)" "origin-ingest $version"
ORIGIND="$X/usr/bin/origind"
origind_start "$T/store" || fail "the packaged origind does not serve"
"$X/usr/bin/origin-ingest" push --node "$NODE_ADMIN" --token-file "$NODE_TOKEN_FILE" \
    --release pkg-1 --cache-dir none --quiet --manifest-out "$T/manifest.json" \
    "$E2E_REPO/sample-site" || fail "the packaged origin-ingest push failed"
url="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["css/app.css"])' "$T/manifest.json")"
code="$(curl -s -o "$T/app.css" -w '%{http_code}' "$NODE_PUBLIC$url")"
expect_eq "GET $url from the packaged node" "$code" 200
cmp -s "$T/app.css" "$E2E_REPO/sample-site/css/app.css" || fail "served bytes differ from the source"
origind_stop || fail "the packaged origind did not exit 0 on SIGTERM"
ok "packaged binaries: serve on port 0, push, GET the asset, clean stop"

# 4b. What the postinst gives a first install: the packaged
#     origind-init-secrets makes tokens, the origin secret and a self-signed
#     admin certificate; the packaged origind serves the admin API on TLS
#     with them, as the unit's flags say; origin-ingest --cacert pushes over
#     https; the read (peer) token is refused a write; a second run keeps
#     every secret it finds.
[ -x "$X/usr/lib/origind/origind-init-secrets" ] || fail "package lacks /usr/lib/origind/origind-init-secrets"
grep -q '/usr/lib/origind/origind-init-secrets /etc/origind' "$T/control/postinst" ||
    fail "postinst does not create the first-install secrets"
E="$T/etc"
"$X/usr/lib/origind/origind-init-secrets" "$E" "" || fail "origind-init-secrets failed"
for f in tokens/admin.tokens tokens/peer.token tokens/read.tokens origin-secret tls/admin.key \
    tls/admin.crt tls/ca.pem; do
    [ -s "$E/$f" ] || fail "origind-init-secrets made no $f"
done
expect_eq "admin.key mode" "$(stat -c %a "$E/tls/admin.key")" 600
expect_eq "admin.tokens mode" "$(stat -c %a "$E/tokens/admin.tokens")" 640
before="$(cat "$E"/tokens/* "$E/origin-secret" "$E/tls/admin.key" | sha256sum)"
"$X/usr/lib/origind/origind-init-secrets" "$E" "" || fail "origind-init-secrets failed on a second run"
expect_eq "secrets kept by a second run" "$(cat "$E"/tokens/* "$E/origin-secret" "$E/tls/admin.key" | sha256sum)" "$before"
# The packaged unit's own ExecStart, run as systemd would expand it (not its
# flags copied here): /etc/origind is the secrets made above, %d a directory
# holding the unit's LoadCredential= copies, ${VAR} one argument and $VAR
# split, both from the packaged origind.env; only the store and the two
# listen addresses are overridden (a test directory, port 0).
CRED="$T/credentials"
mkdir -p "$CRED"
python3 - "$X/lib/systemd/system/origind.service" "$X/etc/origind/origind.env" "$E" "$CRED" \
    "$X/usr/bin/origind" "$T/store-tls" >"$T/unit.argv" <<'EOPY' || fail "cannot expand the unit's ExecStart"
import re, shutil, sys
unit, envfile, etc, cred, binary, store = sys.argv[1:7]
text = open(unit).read().replace("\\\n", " ")
env = {}
for line in open(envfile):
    line = line.strip()
    if line and not line.startswith("#") and "=" in line:
        k, v = line.split("=", 1)
        env[k] = v.strip('"')
env.update(ORIGIND_STORE=store, ORIGIND_LISTEN="127.0.0.1:0", ORIGIND_ADMIN_LISTEN="127.0.0.1:0",
           ORIGIND_DRAIN_SECONDS="0")
def etc_path(p):
    return p.replace("/etc/origind", etc, 1) if p.startswith("/etc/origind") else p
for m in re.finditer(r"^LoadCredential=([^:\n]+):(\S+)$", text, re.M):
    shutil.copy(etc_path(m.group(2)), "%s/%s" % (cred, m.group(1)))
execs = re.findall(r"^ExecStart=(.*)$", text, re.M)
assert len(execs) == 1, execs
argv = []
for word in execs[0].split():
    m = re.fullmatch(r"\$([A-Z_]+)", word)
    if m:                                   # $VAR: split on spaces, gone when empty
        argv += env.get(m.group(1), "").split()
        continue
    for var in re.findall(r"\$\{([A-Z_]+)\}", word):
        if var not in env:
            sys.exit("the unit uses ${%s}, which origind.env does not set" % var)
    word = re.sub(r"\$\{([A-Z_]+)\}", lambda m: env[m.group(1)], word)
    word = word.replace("%d", cred)
    argv.append(etc_path(word))
assert argv[0] == "/usr/bin/origind" and argv[1] == "serve", argv[:2]
argv[0] = binary
sys.stdout.write("\0".join(argv[2:]) + "\0")
EOPY
mapfile -d '' unit_args <"$T/unit.argv"
echo "the unit's flags: ${unit_args[*]}"
origind_start "$T/store-tls" "${unit_args[@]}" ||
    fail "the packaged origind does not start with the packaged unit's flags and the first-install secrets"
case "$NODE_ADMIN" in https://*) ;; *) fail "admin listener is not https: $NODE_ADMIN" ;; esac
admin_https="https://localhost:${NODE_ADMIN##*:}"
"$X/usr/bin/origin-ingest" push --node "$admin_https" --cacert "$E/tls/ca.pem" \
    --token-file "$E/tokens/admin.tokens" --release pkg-tls --cache-dir none --quiet \
    "$E2E_REPO/sample-site" || fail "push over https with the first-install CA failed"
rc=0
"$X/usr/bin/origin-ingest" push --node "$admin_https" --cacert "$E/tls/ca.pem" \
    --token-file "$E/tokens/peer.token" --release pkg-tls-2 --cache-dir none --quiet \
    --keep-names "$E2E_REPO/sample-site" 2>"$T/read-push.err" || rc=$?
[ "$rc" -ne 0 ] || fail "a push with the read (peer) token succeeded"
grep -q 403 "$T/read-push.err" || fail "a push with the read token was not refused with 403: $(cat "$T/read-push.err")"
secret="$(cat "$E/origin-secret")"
expect_eq "public answer without the origin secret" \
    "$(curl -s -o /dev/null -w '%{http_code}' "$NODE_PUBLIC/healthz" -o /dev/null "$NODE_PUBLIC$url")" "200403"
expect_eq "public answer with the origin secret" \
    "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Origin-Verify: $secret" "$NODE_PUBLIC$url")" 200
origind_stop || fail "the packaged TLS origind did not exit 0 on SIGTERM"
ok "first install: the unit's own flags with origind-init-secrets' files: admin API on TLS, push with --cacert, read token refused, origin secret required"

# 5. The unit as installed. verify checks that ExecStart's binary exists:
#    point it at the extracted one (--root= would also want the host's
#    targets inside the tree). This works without systemd as PID 1
#    (containers, CI): verify only loads unit files and checks them.
sed "s#^ExecStart=/usr/bin/origind #ExecStart=$X/usr/bin/origind #" \
    "$X/lib/systemd/system/origind.service" >"$T/origind.service"
if ! out="$(systemd-analyze verify --man=no "$T/origind.service" 2>&1)" || [ -n "$out" ]; then
    fail "systemd-analyze verify of the packaged unit: $out"
fi
ok "systemd-analyze verify: the packaged unit"
echo "package: builds, lints, runs"
