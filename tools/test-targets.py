#!/usr/bin/env python3
"""Prints the ninja targets the tests of the given suites need (their programs
and `depends`), from meson's introspection of BUILD_DIR, so that a build made
only to run those suites compiles nothing else.
Usage: test-targets.py BUILD_DIR SUITE..."""
import json
import os
import subprocess
import sys


def introspect(build, what):
    out = subprocess.run(["meson", "introspect", build, what], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main():
    build, suites = os.path.abspath(sys.argv[1]), set(sys.argv[2:])
    wanted = set()
    for t in introspect(build, "--tests"):
        # meson names suites "project:suite"
        if suites & {s.split(":", 1)[-1] for s in t["suite"]}:
            wanted.update(t["depends"])
    files = []
    for target in introspect(build, "--targets"):
        if target["id"] in wanted:
            files += [os.path.relpath(f, build) for f in target["filename"]]
    if not files:
        sys.exit(f"test-targets: no test of the suites {' '.join(sorted(suites))} in {build}")
    print("\n".join(sorted(files)))


if __name__ == "__main__":
    main()
