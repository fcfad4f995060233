#!/usr/bin/env python3
"""Totals Criterion test cases from meson's test logs of the given build
dirs and prints "N passed, N failed". A test program that ended without a
Criterion synthesis line (crash, timeout, missing build) counts as one
failure. Exits 1 when anything failed or nothing ran."""
import json
import os
import re
import sys

SYNTH = re.compile(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+) \| Crashing: (\d+)")
passed = failed = 0
for d in sys.argv[1:]:
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
