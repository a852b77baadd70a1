#!/usr/bin/env python3
"""zsc fmt against Debian's `caddy fmt` (2.6.2) over every Caddyfile of the
shared corpora (shared/realworld/files and shared/caddy-adapt). zsc follows
current Caddy; where current Caddy formats differently from 2.6.2 the file is
listed in caddy-2.6.2-differences.tsv with the reason, and each reason is
checked against the file. Any other difference fails, and so does a listed
file that no longer differs. Where both agree, `--diff` listings must agree too.

usage: run-caddy-diff.py ZSC SHARED_DIR
"""
import concurrent.futures
import glob
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LISTED = os.path.join(HERE, "caddy-2.6.2-differences.tsv")

HEREDOC = re.compile(rb"(^|[ \t])<<[A-Za-z0-9_-]+\r?\n", re.M)
IMPORT_THEN_BRACE = re.compile(rb"^import[^\n]*\n[ \t]*\{", re.M)
SPACE_BEFORE_BRACE_LINE = re.compile(rb" \n\t*\{")


def drop_space_before_brace_lines(text):
    """2.6.2 left a space at the end of a line followed by a line that starts
    with a '{' word ({$ENV}, {block}); current Caddy does not."""
    return SPACE_BEFORE_BRACE_LINE.sub(lambda m: m.group(0)[1:], text)


# reason -> (what changed in Caddy, check(input, caddy_2_6_2_output, zsc_output) -> bool)
REASONS = {
    "heredoc": ("heredoc bodies are kept as written (Caddy 2.8, #6056)",
                lambda src, old, new: bool(HEREDOC.search(src))),
    "backtick": ("backticked strings are kept whole, braces inside them are text (2.10 #6903, 2.11 #7045, #7433)",
                 lambda src, old, new: b"`" in src),
    "brace-space": ("no trailing space on the line before a '{' word such as {$ENV} (2.11, #7215)",
                    lambda src, old, new: drop_space_before_brace_lines(old) != old),
    "import-brace": ("a global options '{' after top-level imports stays on its own line (2.11.3, #7642)",
                     lambda src, old, new: bool(IMPORT_THEN_BRACE.search(src))),
}


def read_listed():
    listed = {}
    with open(LISTED, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, reasons = line.rstrip("\n").split("\t")[:2]
            listed[name] = reasons.split(",")
    return listed


def corpus(shared):
    pats = ["realworld/files/*.Caddyfile", "realworld/files/*.d/**/Caddyfile",
            "caddy-adapt/cases/*.caddyfile", "caddy-adapt/support/**/*.conf"]
    files = []
    for p in pats:
        files += glob.glob(os.path.join(shared, p), recursive=True)
    return sorted(os.path.relpath(f, shared) for f in files)


def fmt(cmd, path, *flags):
    return subprocess.run([*cmd, "fmt", *flags, path], capture_output=True, timeout=30).stdout


def check_listed(name, reasons, src, old, new):
    """'' when the listed reasons hold for this file, else what is wrong"""
    for r in reasons:
        if r not in REASONS:
            return f"unknown reason '{r}'"
        if not REASONS[r][1](src, old, new):
            return f"reason '{r}' does not apply to it"
    if reasons == ["brace-space"] and drop_space_before_brace_lines(old) != new:
        return "it differs by more than the space before a '{' line"
    return ""


def compare(caddy, zsc, shared, name, listed):
    """'' when the file formats as expected against caddy 2.6.2, else the failure"""
    path = os.path.join(shared, name)
    with open(path, "rb") as f:
        src = f.read()
    old, new = fmt([caddy], path), fmt([zsc], path)
    if old == new:
        if name in listed:
            return f"{name}: listed as differing from caddy 2.6.2, but formats the same"
        if fmt([caddy], path, "--diff") != fmt([zsc], path, "--diff"):
            return f"{name}: --diff listing differs from caddy's"
        return ""
    if name not in listed:
        return f"{name}: formats differently from caddy 2.6.2 and is not listed"
    problem = check_listed(name, listed[name], src, old, new)
    return f"{name}: {problem}" if problem else ""


def main():
    zsc, shared = sys.argv[1], sys.argv[2]
    caddy = shutil.which("caddy")
    if not caddy or not os.path.isdir(shared):
        print("skip: needs caddy on PATH and the shared corpora")
        return 77
    listed = read_listed()
    files = corpus(shared)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda name: compare(caddy, zsc, shared, name, listed), files))
    failures = [r for r in results if r]
    differ = sum(1 for name in files if name in listed)
    diffs = len(files) - differ
    for name in sorted(set(listed) - set(files)):
        failures.append(f"{name}: listed, but not in the corpus")
    for f in failures:
        print("FAIL:", f)
    by_reason = {r: sum(r in v for v in listed.values()) for r in REASONS}
    print(f"{len(files)} files: {diffs} formatted as caddy 2.6.2 does (and their --diff listings too), "
          f"{differ} differ as listed, by reason {by_reason}; {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
