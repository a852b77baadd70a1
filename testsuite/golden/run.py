#!/usr/bin/env python3
"""Golden tests, one folder per case: cases/NAME/Caddyfile and one file per
stage (ast.txt, ir.txt, json.txt, lowered.txt, c.txt, bpf.txt, caged-c.txt,
asm.txt) holding `zsc --emit=STAGE Caddyfile` as run inside the case folder.
Usage: run.py BUILD_DIR [--update] [CASE...]  (--update rewrites the files;
review the diff like code)."""
import difflib
import os
import subprocess
import sys

STAGES = ["ast", "ir", "json", "lowered", "c", "bpf", "caged-c", "asm"]
HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    args = sys.argv[1:]
    build = os.path.abspath(args.pop(0))
    update = "--update" in args
    only = [a for a in args if not a.startswith("--")]
    zsc = os.path.join(build, "compiler", "zsc")
    cases_dir = os.path.join(HERE, "cases")
    failed = 0
    total = 0
    for name in sorted(os.listdir(cases_dir)):
        if only and name not in only:
            continue
        case = os.path.join(cases_dir, name)
        for stage in STAGES:
            total += 1
            r = subprocess.run([zsc, "--emit=" + stage, "Caddyfile"], cwd=case, capture_output=True, text=True)
            got = r.stdout if r.returncode == 0 else "error (exit %d)\n%s" % (r.returncode, r.stderr)
            path = os.path.join(case, stage + ".txt")
            if update:
                with open(path, "w") as f:
                    f.write(got)
                continue
            want = open(path).read() if os.path.exists(path) else "(missing golden file)\n"
            if got != want:
                failed += 1
                print(f"FAIL {name}/{stage}")
                sys.stdout.writelines(list(difflib.unified_diff(
                    want.splitlines(True), got.splitlines(True), "expected", "zsc"))[:60])
            else:
                print(f"ok   {name}/{stage}")
    if update:
        print(f"updated {total} golden files")
        return 0
    print(f"{total - failed}/{total} golden outputs identical")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
