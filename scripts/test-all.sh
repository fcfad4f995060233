#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test twice: a normal
# build and an AddressSanitizer + UndefinedBehaviorSanitizer build; then
# fuzzes the request path for SLUICE_FUZZ_SECONDS (default 60) with clang
# and libFuzzer (docs/fuzzing.md). Prints one last line "N passed, N
# failed" (Criterion test cases over both builds, plus the fuzz run as one
# test) and exits non-zero if anything failed.
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

# Fuzzing: a clang build of the libFuzzer target only; any crash, leak,
# sanitizer report or hang fails it, and the input is kept in build-fuzz/.
run_fuzz() {
  local dir=build-fuzz secs=${SLUICE_FUZZ_SECONDS:-60}
  rm -rf "$dir"
  if ! CC=clang meson setup "$dir" -Dfuzz=true --buildtype=debugoptimized \
      -Db_sanitize=address,undefined -Db_lundef=false >"$dir.setup.log" 2>&1; then
    cat "$dir.setup.log"; echo "setup of $dir failed"; return
  fi
  if ! ninja -C "$dir" tests/fuzz/fuzz_request; then
    echo "build of $dir failed"; echo 1 >"$dir/fuzz.status"; return
  fi
  mkdir -p "$dir/corpus"
  cp tests/fuzz/corpus/* "$dir/corpus/"
  echo "fuzzing the request path for ${secs}s (log: $dir/fuzz.log)"
  "$dir/tests/fuzz/fuzz_request" -max_total_time="$secs" -timeout=10 \
    -dict=tests/fuzz/sluice.dict -artifact_prefix="$dir/" \
    "$dir/corpus" tests/fuzz/regressions >"$dir/fuzz.log" 2>&1
  local rc=$?
  echo $rc >"$dir/fuzz.status"
  if [ $rc -ne 0 ]; then
    tail -n 60 "$dir/fuzz.log"
    echo "fuzz_request failed; its input: $(ls "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* 2>/dev/null | tr '\n' ' ')"
  else
    grep -E '^Done [0-9]+ runs' "$dir/fuzz.log"
  fi
}
run_fuzz

python3 scripts/count-tests.py build-test build-asan --fuzz build-fuzz
rc=$?
[ $status -eq 0 ] && [ $rc -eq 0 ]
