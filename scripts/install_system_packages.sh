#!/usr/bin/env bash
# Debian packages the test suite needs: ffprobe (checks MP4s), Chromium (browser tests), Node + npm (JS client),
# WordPress + PHP + PHPUnit (plugin tests), wrk (the HTTP load benchmark). Installs only what is missing.
# Packages go in with --no-install-recommends (a lean, predictable set), so every recommended
# package a test relies on is named here: WordPress's default theme (a published post renders
# "The theme directory does not exist" without it) and fonts for Chromium's screenshots.
set -euo pipefail
packages=(ffmpeg chromium fonts-liberation wordpress wordpress-theme-twentytwentythree php-cli php-mysql php-sqlite3 php-curl php-xml php-mbstring phpunit wrk
  mariadb-server postgresql redis-server)
# Node and npm for the JavaScript client's tests (npm pack, Node imports, tsc). Checked by
# command, not by package: a machine with NodeSource's nodejs (which bundles npm and conflicts
# with Debian's npm package) already has both.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi
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
