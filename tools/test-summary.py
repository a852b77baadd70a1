#!/usr/bin/env python3
"""Reads meson's testlog.json and prints one line per failed test, then the
suite's closing line "N passed, N failed, N skipped". Exit 1 if any failed."""
import json
import sys

passed = failed = skipped = 0
for line in open(sys.argv[1], encoding="utf-8"):
    t = json.loads(line)
    result = t.get("result")
    if result in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif result == "SKIP":
        skipped += 1
    else:
        failed += 1
        print(f"FAILED: {t.get('name')} ({result})")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
