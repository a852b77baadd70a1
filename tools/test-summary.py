#!/usr/bin/env python3
"""Reads one or more meson testlog.json files (one per build) and prints one line
per failed test, then the closing line "N passed, N failed, N skipped" over all
of them. Exit 1 if any failed, or if a log is missing (its build never ran)."""
import json
import os
import sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    # the build folder names the failures when there are several builds
    build = os.path.basename(os.path.dirname(os.path.dirname(os.path.abspath(path))))
    where = f" [{build}]" if len(sys.argv) > 2 else ""
    if not os.path.exists(path):
        failed += 1
        print(f"FAILED: no test log {path}")
        continue
    for line in open(path, encoding="utf-8"):
        t = json.loads(line)
        result = t.get("result")
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
            print(f"FAILED: {t.get('name')} ({result}){where}")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
