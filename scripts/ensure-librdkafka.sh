#!/usr/bin/env bash
# librdkafka >= 2.2 for the build and the runtime. Debian 12 ships 2.0.2, whose reader skips one byte too few
# per tagged field, so any broker that sends tagged fields (Tansu, for one) fails its first response with
# "Local: Read underflow" (fixed upstream in 2.2.0). Where the system's librdkafka is older, this builds
# Debian's own newer source package (trixie's 2.8.0, through a deb-src line) into .deb files, keeps them in
# .cache/librdkafka, and installs them: librdkafka1, librdkafka++1 (which -dev needs) and librdkafka-dev.
# No binary package of another release is used; the build-dependencies are Debian 12's.
set -euo pipefail
MIN=2.2.0
VERSION=2.8.0-1
cd "$(dirname "$0")/.."
if pkg-config --atleast-version="$MIN" rdkafka 2>/dev/null; then
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
cache="$PWD/.cache/librdkafka"
mkdir -p "$cache"
if ! ls "$cache"/librdkafka++1_"${VERSION}"_*.deb >/dev/null 2>&1; then
  echo "librdkafka $(pkg-config --modversion rdkafka 2>/dev/null || echo 'is not installed'); building Debian's $VERSION from source (a few minutes, once)"
  src=/etc/apt/sources.list.d/bookshelf-trixie-src.sources
  if ! grep -rqs "^Suites: trixie" /etc/apt/sources.list.d/ && ! grep -qs "deb-src .* trixie" /etc/apt/sources.list; then
    printf '%s\n' "Types: deb-src" "URIs: http://deb.debian.org/debian" "Suites: trixie" "Components: main" \
      "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" | $sudo tee "$src" >/dev/null
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    dpkg-dev debhelper fakeroot pkgconf libcurl4-openssl-dev liblz4-dev libsasl2-dev libssl-dev libzstd-dev \
    python3 rapidjson-dev zlib1g-dev >/dev/null
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && apt-get source -qq -o APT::Sandbox::User=root --only-source "librdkafka=$VERSION" >/dev/null)
  (cd "$work"/librdkafka-*/ && DEB_BUILD_OPTIONS="nocheck nodoc parallel=$(nproc)" \
    dpkg-buildpackage -b -uc -us -rfakeroot >"$work/build.log" 2>&1) || { tail -40 "$work/build.log"; exit 1; }
  cp "$work"/librdkafka1_"${VERSION}"_*.deb "$work"/librdkafka++1_"${VERSION}"_*.deb "$work"/librdkafka-dev_"${VERSION}"_*.deb "$cache"/
fi
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
  "$cache"/librdkafka1_"${VERSION}"_*.deb "$cache"/librdkafka++1_"${VERSION}"_*.deb "$cache"/librdkafka-dev_"${VERSION}"_*.deb >/dev/null
echo "librdkafka $(pkg-config --modversion rdkafka) installed"
