#!/usr/bin/env bash
# Installs the Debian 12 packages Sluice builds with, when any is missing.
set -euo pipefail
pkgs=(build-essential pkg-config meson ninja-build cmake protobuf-c-compiler
      libprotobuf-c-dev libnng-dev librocksdb-dev libuv1-dev libcriterion-dev
      libyaml-dev libmbedtls-dev
      clang libclang-rt-14-dev
      python3)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi
