#!/usr/bin/env python3
"""Golden tests, one folder per case: cases/NAME/Caddyfile and one file per
stage (ast.txt, ir.txt, json.txt, lowered.txt, c.txt, bpf.txt, caged-c.txt,
asm.txt) holding `zsc --emit=STAGE --stdlib=names Caddyfile` as run inside the
case folder: the bpf and caged-c files show the case's own code and name the
stdlib-bpf functions it reaches. stdlib/ shows those functions once, in full, so
a stdlib edit changes stdlib/ and not every case. config.txt holds the config
rows of the blob `zsc Caddyfile -o` writes, as the blob listing shows them.
Usage: run.py BUILD_DIR [--update] [CASE...]  (--update rewrites the files;
review the diff like code)."""
import difflib
import os
import re
import subprocess
import sys
import tempfile

STAGES = ["ast", "ir", "json", "lowered", "c", "bpf", "caged-c", "asm", "config"]
# stdlib/none.bpf.c has no entry point, so the linker keeps the stdlib whole
STDLIB_STAGES = ["bpf", "caged-c"]
HERE = os.path.dirname(os.path.abspath(__file__))


CONFIG_ROW = re.compile(r"^(?!entry )[a-z_]+ [0-9]+: ")


def config_rows(zsc, folder):
    """the config table rows of the case's blob, or the error that stopped it"""
    with tempfile.TemporaryDirectory() as tmp:
        blob = os.path.join(tmp, "site.zsb")
        r = subprocess.run([zsc, "Caddyfile", "-o", blob], cwd=folder, capture_output=True, text=True)
        if r.returncode != 0:
            return "error (exit %d)\n%s" % (r.returncode, r.stderr)
        lister = os.path.join(os.path.dirname(os.path.dirname(zsc)), "testsuite", "golden", "zsb_list")
        r = subprocess.run([lister, blob], capture_output=True, text=True)
        rows = [line for line in r.stdout.splitlines(True) if CONFIG_ROW.match(line)]
        return "".join(rows) if r.returncode == 0 else "error (exit %d)\n%s" % (r.returncode, r.stdout)


def check(zsc, folder, name, stage, flags, update):
    """one golden file: True when zsc prints what it holds (or it was rewritten)"""
    if stage == "config":
        got = config_rows(zsc, folder)
    else:
        r = subprocess.run([zsc, "--emit=" + stage] + flags + ["Caddyfile"], cwd=folder, capture_output=True, text=True)
        got = r.stdout if r.returncode == 0 else "error (exit %d)\n%s" % (r.returncode, r.stderr)
    path = os.path.join(folder, stage + ".txt")
    if update:
        with open(path, "w") as f:
            f.write(got)
        return True
    want = open(path).read() if os.path.exists(path) else "(missing golden file)\n"
    if got == want:
        print(f"ok   {name}/{stage}")
        return True
    print(f"FAIL {name}/{stage}")
    sys.stdout.writelines(list(difflib.unified_diff(
        want.splitlines(True), got.splitlines(True), "expected", "zsc"))[:60])
    return False


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
            failed += not check(zsc, case, name, stage, ["--stdlib=names"], update)
    for stage in STDLIB_STAGES if not only or "stdlib" in only else []:
        total += 1
        failed += not check(zsc, os.path.join(HERE, "stdlib"), "stdlib", stage, ["--bpf-c=none.bpf.c"], update)
    if update:
        print(f"updated {total} golden files")
        return 0
    print(f"{total - failed}/{total} golden outputs identical")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
