#!/usr/bin/env bash
# Runs every figure of docs/PERFORMANCE.md RUNS times (default 3), each on
# a fresh broker and data directory, and prints one JSON line per run:
# {"figure": NAME, "run": I, "result": <sluice-bench --json output>}.
# Usage: scripts/bench-all.sh BUILD_DIR [RUNS]   (a release build)
set -euo pipefail
build=${1:?usage: bench-all.sh BUILD_DIR [RUNS]}
runs=${2:-3}
bench=$build/tools/bench/sluice-bench
work=$(mktemp -d /tmp/sluice-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT

one() { # figure, broker flags (quoted string), bench args...
  local figure=$1 flags=$2; shift 2
  for i in $(seq 1 "$runs"); do
    local port=$((20000 + RANDOM % 20000))
    rm -rf "$work/data"
    # shellcheck disable=SC2086
    "$build/broker/sluiced" --listen tcp://127.0.0.1:$port --data "$work/data" \
      --log-level warn $flags &
    local pid=$!
    sleep 0.5
    local out
    out=$("$bench" "$@" --url tcp://127.0.0.1:$port --broker-pid $pid --json) || out='{"error":true}'
    kill $pid; wait $pid || true
    printf '{"figure":"%s","run":%d,"result":%s}\n' "$figure" "$i" "$out"
  done
}

one publish_w1000 "" produce --count 1000000
one publish_w10000 "" produce --count 1000000 --window 10000
one publish_always_w1000 "--fsync always" produce --count 1000000
one publish_always_w10000 "--fsync always" produce --count 1000000 --window 10000
one consume_shared_1 "" consume --count 1000000 --type shared --consumers 1
one consume_shared_2 "" consume --count 1000000 --type shared --consumers 2
one e2e_5000 "" e2e --rate 5000 --duration 10
one fanout_4 "" fanout --subscriptions 4 --count 250000
