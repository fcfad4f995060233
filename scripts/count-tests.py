#!/usr/bin/env python3
"""Totals Criterion test cases from meson's test logs of the given build
dirs and prints "N passed, N failed". A test program that ended without a
Criterion synthesis line (crash, timeout, missing build) counts as one
failure. "--fuzz DIR" counts the fuzz run of scripts/test-all.sh as one
test: passed when DIR/fuzz.status holds 0. Exits 1 when anything failed or
nothing ran."""
import json
import os
import re
import sys

SYNTH = re.compile(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+) \| Crashing: (\d+)")
passed = failed = 0
args = sys.argv[1:]
fuzz_dirs = []
while "--fuzz" in args:
    i = args.index("--fuzz")
    fuzz_dirs += args[i + 1:i + 2]
    del args[i:i + 2]
for d in fuzz_dirs:
    try:
        with open(os.path.join(d, "fuzz.status")) as f:
            ok = f.read().strip() == "0"
    except OSError:
        print(f"{d}: no fuzz result", file=sys.stderr)
        ok = False
    if ok:
        passed += 1
    else:
        failed += 1
for d in args:
    log = os.path.join(d, "meson-logs", "testlog.json")
    if not os.path.exists(log):
        print(f"{d}: no test log", file=sys.stderr)
        failed += 1
        continue
    with open(log) as f:
        for line in f:
            t = json.loads(line)
            out = (t.get("stdout") or "") + (t.get("stderr") or "")
            m = SYNTH.findall(out)
            if m:
                tested, ok, bad, crash = map(int, m[-1])
                passed += ok
                failed += bad + crash + (tested - ok - bad - crash)
                if t.get("result") != "OK" and bad + crash == 0:
                    failed += 1  # e.g. a sanitizer report at exit
            else:
                if t.get("result") == "OK":
                    passed += 1
                else:
                    failed += 1
print(f"{passed} passed, {failed} failed")
sys.exit(0 if failed == 0 and passed > 0 else 1)
