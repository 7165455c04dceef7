#!/usr/bin/env bash
# setup.sh: install the Debian packages origind needs (only those missing), then build.
# PKGS is everything scripts/quickstart.sh, scripts/test.sh and scripts/analyze.sh
# run: on a fresh Debian 12 / Ubuntu 22.04+ nothing else may be assumed
# (scripts/fresh-check.sh proves it on a debootstrap --variant=minbase root).
# Usage: scripts/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(build-essential cmake pkg-config clang git
      libmicrohttpd-dev liblmdb-dev lmdb-utils libssl-dev libcurl4-openssl-dev
      libjansson-dev zlib1g-dev libbrotli-dev libzstd-dev zstd libcmocka-dev
      nginx-light wrk nghttp2-client rsync curl openssl valgrind python3 python3-yaml ruby systemd
      dpkg-dev lintian prometheus shellcheck chromium strace jq procps
      cppcheck clang-tidy clang-format)

# Node.js and npm for the front-end builds of the browser tests (integrations/,
# tests/e2e/frontend/: Vite 5 and webpack 5, which run on Debian 12's Node 18).
# Only when missing: a node from elsewhere (nodesource bundles npm) is kept.
command -v node >/dev/null 2>&1 || PKGS+=(nodejs)
command -v npm >/dev/null 2>&1 || PKGS+=(npm)

command -v dpkg-query >/dev/null && command -v apt-get >/dev/null || {
  echo "setup: needs a Debian 12 or Ubuntu 22.04+ system (no dpkg-query/apt-get here)" >&2
  exit 1
}

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: not root and sudo is not installed: run as root" >&2; exit 1; }
    SUDO="sudo"
  fi
  $SUDO apt-get -o Acquire::Retries=3 update -qq
  # env inside sudo: sudo's env_reset would drop a DEBIAN_FRONTEND set before it.
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Retries=3 install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
  # The nginx package may start a system-wide nginx on :80; tests run their own.
  # (No systemd running, e.g. in a container or chroot: systemctl fails, service is tried.)
  { $SUDO systemctl disable --now nginx 2>/dev/null || $SUDO service nginx stop 2>/dev/null; } >/dev/null 2>&1 || true
else
  echo "setup: all packages present"
fi

[ "${1:-}" = "--no-build" ] && exit 0
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2
echo "setup: built build/bin/origind and build/bin/origin-ingest"
