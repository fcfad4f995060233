#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test twice: a normal
# build and an AddressSanitizer + UndefinedBehaviorSanitizer build. Prints
# one last line "N passed, N failed" (Criterion test cases over both builds)
# and exits non-zero if anything failed.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/deps.sh || { echo "0 passed, 1 failed"; exit 1; }

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export LSAN_OPTIONS=suppressions=$root/tests/data/lsan.supp

status=0
run_suite() { # build-dir, meson options...
  local dir=$1; shift
  rm -rf "$dir"
  if ! meson setup "$dir" -Dwerror=true "$@" >"$dir.setup.log" 2>&1; then
    cat "$dir.setup.log"; echo "setup of $dir failed"; status=1; return
  fi
  if ! ninja -C "$dir"; then echo "build of $dir failed"; status=1; return; fi
  meson test -C "$dir" --print-errorlogs --num-processes 2 || status=1
}

run_suite build-test --buildtype=debugoptimized
run_suite build-asan --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false

python3 scripts/count-tests.py build-test build-asan
rc=$?
[ $status -eq 0 ] && [ $rc -eq 0 ]
