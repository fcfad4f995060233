#!/usr/bin/env bash
# Installs what is missing, builds, and starts sluiced in the foreground on
# tcp://127.0.0.1:6650 with its data in ./sluice-data (of the folder you run
# this from). Extra arguments go to sluiced, e.g. --fsync always.
set -euo pipefail
here=$(pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/deps.sh"
[ -d "$root/build" ] || meson setup "$root/build" "$root" --buildtype=release
ninja -C "$root/build"
cd "$here"
exec "$root/build/broker/sluiced" --data ./sluice-data "$@"
