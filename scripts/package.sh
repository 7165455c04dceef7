#!/usr/bin/env bash
# package.sh: build the Debian package build/pkg/origind_<version>_<arch>.deb
# (docs/operating.md "Install", deploy/README.md step 1).
#
# Usage: scripts/package.sh [--bin-dir DIR] [--out DIR]
#   --bin-dir DIR  package the origind and origin-ingest already built in DIR
#                  (they are stripped on the way in; DIR's mangen writes the
#                  man pages) instead of making a Release build in
#                  build/pkg-build (what a release does)
#   --out DIR      where the .deb goes (default build/pkg)
#
# What goes in (a hand-made tree, built with dpkg-deb; no debhelper needed):
#   /usr/bin/origind, /usr/bin/origin-ingest      stripped, dependencies from dpkg-shlibdeps
#   /lib/systemd/system/origind.service           deploy/origind.service, as is
#   /etc/origind/origind.env                      deploy/origind.env (a conffile)
#   /usr/share/doc/origind/                       copyright, changelog, README.md, docs/, deploy/README.md
#   /usr/share/man/man1/                          origind.1, origin-ingest.1: mangen's, from
#                                                 man/*.1.in and the option tables
#   maintainer scripts (scripts/debian/)          the origind system user, /var/lib/origind,
#                                                 first-install secrets, enable and start the unit
# The version is the binaries' --version and must head scripts/debian/changelog.
# Prints the path of the package on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
SRC="$REPO/scripts/debian"

bin_dir=""
out_dir="$REPO/build/pkg"
while [ $# -gt 0 ]; do
    case "$1" in
    --bin-dir) bin_dir="$(cd "${2:?--bin-dir needs DIR}" && pwd)"; shift 2 ;;
    --out) out_dir="${2:?--out needs DIR}"; shift 2 ;;
    -h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "package.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

if [ -z "$bin_dir" ]; then
    # A release build: optimised, warnings as errors, no sanitizers, and
    # Debian's hardening flags (fortify, stack protector, relro, bindnow).
    export DEB_BUILD_MAINT_OPTIONS=hardening=+all
    CFLAGS="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CFLAGS)" \
        LDFLAGS="$(dpkg-buildflags --get LDFLAGS)" \
        cmake -S . -B build/pkg-build -DCMAKE_BUILD_TYPE=Release -DORIGIND_WERROR=ON \
        -DORIGIND_SANITIZE=OFF -DORIGIND_TSAN=OFF -DORIGIND_FUZZ=OFF >/dev/null
    cmake --build build/pkg-build -j2 --target origind origin-ingest mangen
    bin_dir="$REPO/build/pkg-build/bin"
fi
for b in origind origin-ingest mangen; do
    [ -x "$bin_dir/$b" ] || { echo "package.sh: $bin_dir/$b not found" >&2; exit 1; }
done

version="$("$bin_dir/origind" --version | awk '{print $2}')"
arch="$(dpkg --print-architecture)"
changelog_version="$(sed -n '1s/^origind (\([^)]*\)).*/\1/p' "$SRC/changelog")"
if [ "$version" != "$changelog_version" ]; then
    echo "package.sh: origind --version says $version but scripts/debian/changelog starts" \
        "with $changelog_version: add a changelog entry" >&2
    exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/origind-pkg.XXXXXX")"
trap 'rm -rf "$work"' EXIT
root="$work/root"
umask 022

install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/lib/origind" "$root/lib/systemd/system" "$root/etc/origind" \
    "$root/usr/share/doc/origind" "$root/usr/share/man/man1"
install -m 0755 "$bin_dir/origind" "$bin_dir/origin-ingest" "$root/usr/bin/"
# as dh_strip does
strip --remove-section=.comment --remove-section=.note --strip-unneeded \
    "$root/usr/bin/origind" "$root/usr/bin/origin-ingest"
install -m 0755 "$SRC/origind-init-secrets" "$root/usr/lib/origind/origind-init-secrets"
install -m 0644 deploy/origind.service "$root/lib/systemd/system/origind.service"
install -m 0644 deploy/origind.env "$root/etc/origind/origind.env"
install -m 0644 "$SRC/copyright" "$root/usr/share/doc/origind/copyright"
install -m 0644 README.md "$root/usr/share/doc/origind/README.md"
install -d "$root/usr/share/doc/origind/docs"
install -m 0644 docs/*.md "$root/usr/share/doc/origind/docs/"
install -m 0644 deploy/README.md "$root/usr/share/doc/origind/README.deploy.md"
gzip -9n <"$SRC/changelog" >"$root/usr/share/doc/origind/changelog.gz"
# The OPTIONS sections from the tables the packaged binaries were built with.
for m in origind origin-ingest; do
    "$bin_dir/mangen" "$m" "$REPO/man/$m.1.in" >"$work/$m.1"
    gzip -9n <"$work/$m.1" >"$root/usr/share/man/man1/$m.1.gz"
done
chmod 0644 "$root"/usr/share/doc/origind/*.gz "$root"/usr/share/man/man1/*.gz
for s in postinst prerm postrm; do
    install -m 0755 "$SRC/$s" "$root/DEBIAN/$s"
done
echo /etc/origind/origind.env >"$root/DEBIAN/conffiles"

# Run-time libraries, the way debhelper finds them.
mkdir -p "$work/src/debian"
printf 'Source: origind\n\nPackage: origind\nArchitecture: any\n' >"$work/src/debian/control"
shlibs="$(cd "$work/src" && dpkg-shlibdeps -O -e"$root/usr/bin/origind" \
    -e"$root/usr/bin/origin-ingest" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')"
[ -n "$shlibs" ] || { echo "package.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

size="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"
cat >"$root/DEBIAN/control" <<EOF
Package: origind
Version: $version
Architecture: $arch
Maintainer: origind maintainers <maintainers@users.noreply.r-seed-a2740f59.example>
Installed-Size: $size
Depends: $shlibs, adduser, openssl
Section: web
Priority: optional
Homepage: https://github.com/origind/origind
Description: append-only, content-addressed asset origin for CloudFront fleets
 origind keeps an append-only LMDB store keyed by SHA-256 on every web
 server and answers the CDN's requests for content-hashed asset URLs, so a
 rolling deploy can never cache the wrong bytes under a new URL.
 origin-ingest pushes every new asset to every node and publishes the
 release there before any HTML is deployed.
 .
 This package installs both programs, a hardened systemd unit running as the
 origind system user, the store directory /var/lib/origind and the settings
 in /etc/origind.
EOF
(cd "$root" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\0' |
    sort -z | xargs -0 md5sum >DEBIAN/md5sums)
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"

mkdir -p "$out_dir"
deb="$out_dir/origind_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
