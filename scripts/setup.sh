#!/usr/bin/env bash
# setup.sh: install the Debian packages origind needs (only those missing), then build.
# Usage: scripts/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(build-essential cmake pkg-config clang
      libmicrohttpd-dev liblmdb-dev lmdb-utils libssl-dev libcurl4-openssl-dev
      libjansson-dev zlib1g-dev libbrotli-dev libcmocka-dev
      nginx-light wrk rsync curl openssl valgrind python3 python3-yaml ruby systemd
      dpkg-dev lintian prometheus shellcheck chromium strace)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The nginx package may start a system-wide nginx on :80; tests run their own.
  { $SUDO systemctl disable --now nginx 2>/dev/null || $SUDO service nginx stop 2>/dev/null; } >/dev/null 2>&1 || true
else
  echo "setup: all packages present"
fi

[ "${1:-}" = "--no-build" ] && exit 0
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2
echo "setup: built build/bin/origind and build/bin/origin-ingest"
