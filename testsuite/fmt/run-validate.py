#!/usr/bin/env python3
"""zsc validate: a valid Caddyfile exits 0 with one "valid" line and writes no
file; a file with two errors prints both, each with file:line:col, its source
line and a caret under the token, and exits 1; a front-end error is reported
the same way; a bad command line exits 2.

usage: run-validate.py ZSC
"""
import os
import subprocess
import sys
import tempfile

VALID = """:8080 {
\troot * /srv/www
\theader /api/* Cache-Control "no-store"
\trespond /health "ok" 200
\tfile_server
}
"""

# Two path patterns that are not valid globs: codegen refuses each at its
# token and goes on, so both are reported.
TWO_ERRORS = """:8080 {
\trespond /a[ "x"
\theader /b[c Cache-Control "no-store"
\trespond "ok"
}
"""

UNKNOWN_DIRECTIVE = """:8080 {
\tbogus_directive x
}
"""

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def validate(zsc, tmp, name, text, *flags):
    path = os.path.join(tmp, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    before = set(os.listdir(tmp))
    r = subprocess.run([zsc, "validate", *flags, name], cwd=tmp, capture_output=True, text=True, timeout=120)
    check(set(os.listdir(tmp)) == before, f"{name}: validate left files behind: {set(os.listdir(tmp)) - before}")
    return r


def has_error(stderr, name, line, col, token):
    """the error line, then the source line, then a caret under the token"""
    lines = stderr.split("\n")
    for i, l in enumerate(lines):
        if l.startswith(f"{name}:{line}:{col}: error: ") and i + 2 < len(lines):
            src, caret = lines[i + 1], lines[i + 2]
            return src[col - 1:].startswith(token) and caret.strip() == "^" and len(caret) == col
    return False


def main():
    zsc = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        r = validate(zsc, tmp, "valid.caddy", VALID)
        check(r.returncode == 0 and r.stdout == "valid.caddy: valid configuration\n" and not r.stderr,
              f"valid file: exit {r.returncode}, stdout {r.stdout!r}, stderr {r.stderr!r}")

        r = validate(zsc, tmp, "two.caddy", TWO_ERRORS)
        check(r.returncode == 1 and not r.stdout, f"two errors: exit {r.returncode}, stdout {r.stdout!r}")
        check(has_error(r.stderr, "two.caddy", 2, 10, "/a["), f"two errors: first one missing:\n{r.stderr}")
        check(has_error(r.stderr, "two.caddy", 3, 9, "/b[c"), f"two errors: second one missing:\n{r.stderr}")
        check(r.stderr.count(": error: ") == 2, f"two errors: not exactly two reported:\n{r.stderr}")

        r = validate(zsc, tmp, "typo.caddy", UNKNOWN_DIRECTIVE)
        check(r.returncode == 1 and has_error(r.stderr, "typo.caddy", 2, 2, "bogus_directive"),
              f"unknown directive: exit {r.returncode}:\n{r.stderr}")

        r = validate(zsc, tmp, "valid.caddy", VALID, "--emit=c")
        check(r.returncode == 2 and "usage" in r.stderr, f"unknown option: exit {r.returncode}")
        r = subprocess.run([zsc, "validate"], capture_output=True, text=True, timeout=30)
        check(r.returncode == 2, f"no file: exit {r.returncode}")
        r = subprocess.run([zsc, "validate", os.path.join(tmp, "missing.caddy")], capture_output=True, text=True,
                           timeout=30)
        check(r.returncode == 1 and "missing.caddy" in r.stderr, f"missing file: exit {r.returncode}")
    for f in failures:
        print("FAIL:", f)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
