#!/usr/bin/env bash
# Debian packages the test suite needs: ffprobe (checks MP4s), Chromium (browser tests),
# WordPress + PHP + PHPUnit (plugin tests), wrk (the HTTP load benchmark). Installs only what is missing.
set -euo pipefail
packages=(ffmpeg chromium wordpress php-cli php-mysql php-sqlite3 php-curl php-xml php-mbstring phpunit wrk
  mariadb-server postgresql redis-server)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
