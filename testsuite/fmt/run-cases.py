#!/usr/bin/env python3
"""zsc fmt against Caddy's own formatter cases (cases/, from formatter_test.go),
and the verb's behaviour as caddy fmt has it: the exit status (1 when the file
is not formatted, with its position), stdin, --overwrite and --diff.

usage: run-cases.py ZSC CASES_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def run(zsc, *args, stdin=None):
    return subprocess.run([zsc, "fmt", *args], input=stdin, capture_output=True, timeout=30)


def first_difference_line(text, formatted):
    """Caddy's rule: 1 + the line breaks before the first differing byte."""
    line = 1
    for i, ch in enumerate(text):
        if i >= len(formatted) or ch != formatted[i]:
            break
        line += ch == ord("\n")
    return line


def check_case(zsc, path, expect):
    name = os.path.basename(path)
    with open(path, "rb") as f:
        text = f.read()
    r = run(zsc, path)
    if not check(r.stdout == expect, f"{name}: output differs from Caddy's\n--- expected\n"
                 f"{expect.decode(errors='replace')}--- zsc fmt\n{r.stdout.decode(errors='replace')}"):
        return
    body = text.replace(b"\r\n", b"\n")
    if body == expect:
        check(r.returncode == 0 and not r.stderr, f"{name}: formatted input, but exit {r.returncode}")
    else:
        where = f"{path}:{first_difference_line(body, expect)}:".encode()
        check(r.returncode == 1 and r.stderr.startswith(where) and b"not formatted" in r.stderr,
              f"{name}: unformatted input: exit {r.returncode}, stderr {r.stderr[:200]!r}, want {where!r}")
    s = run(zsc, "-", stdin=text)
    check(s.returncode == 0 and s.stdout == expect, f"{name}: stdin gives exit {s.returncode} or other output")


def check_overwrite(zsc, path, expect, tmp):
    copy = os.path.join(tmp, "Caddyfile")
    shutil.copyfile(path, copy)
    r = run(zsc, "--overwrite", copy)
    with open(copy, "rb") as f:
        check(r.returncode == 0 and not r.stdout and f.read() == expect,
              f"--overwrite {os.path.basename(path)}: exit {r.returncode}, stdout {r.stdout[:80]!r}")
    # a formatted file stays formatted: a second run checks clean and prints it
    r = subprocess.run([zsc, "fmt"], cwd=tmp, capture_output=True, timeout=30)   # FILE defaults to Caddyfile
    check(r.returncode == 0 and r.stdout == expect, f"zsc fmt (default Caddyfile) after --overwrite: exit {r.returncode}")


def check_diff(zsc, cases):
    base = os.path.join(cases, "03-block-spacing")
    with open(base + ".diff", "rb") as f:
        want = f.read()
    r = run(zsc, "--diff", base + ".in")
    check(r.stdout == want and r.returncode == 1, f"--diff: exit {r.returncode}, listing\n{r.stdout.decode()}")


def check_usage(zsc, tmp):
    r = run(zsc, "--bogus", "x")
    check(r.returncode == 2 and b"usage" in r.stderr, f"unknown option: exit {r.returncode}")
    r = run(zsc, "a", "b")
    check(r.returncode == 2, f"two files: exit {r.returncode}")
    r = run(zsc, os.path.join(tmp, "missing"))
    check(r.returncode == 1 and b"missing" in r.stderr and not r.stdout, f"missing file: exit {r.returncode}")


def main():
    zsc, cases = sys.argv[1], sys.argv[2]
    names = sorted(n for n in os.listdir(cases) if n.endswith(".in"))
    check(len(names) == 30, f"expected Caddy's 30 formatter cases, found {len(names)}")
    for n in names:
        path = os.path.join(cases, n)
        with open(path[:-3] + ".out", "rb") as f:
            expect = f.read()
        before = len(failures)
        check_case(zsc, path, expect)
        print(("ok  " if len(failures) == before else "FAIL") + " " + n[:-3])
    with tempfile.TemporaryDirectory() as tmp:
        first = os.path.join(cases, names[1])
        with open(first[:-3] + ".out", "rb") as f:
            check_overwrite(zsc, first, f.read(), tmp)
        check_diff(zsc, cases)
        check_usage(zsc, tmp)
    for f in failures:
        print("FAIL:", f)
    print(f"{len(names)} cases, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
