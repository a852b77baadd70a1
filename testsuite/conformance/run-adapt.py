#!/usr/bin/env python3
"""Caddy adapt conformance: runs shared/caddy-adapt/run.sh with a zsc adapt
command, prints totals per group and checks that every case listed in
passing.txt still passes. --update rewrites passing.txt from this run.

With --own DIR (a folder of NAME.caddyfile + NAME.json|NAME.error cases
laid out as shared/caddy-adapt/cases, run by the same run.sh) every case of
DIR must pass: they are this repository's own cases, each with the output
Caddy gives.

usage: run-adapt.py [--update] [--cases DIR] [--own DIR] ADAPT_CMD...
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PASSING = os.path.join(HERE, "passing.txt")
PASS_VERDICTS = {"PASS_EXACT", "PASS_SORTED", "PASS_ERROR"}


def find_cases(argv):
    path = take_option(argv, "--cases")
    return path or os.path.join(HERE, "..", "..", "..", "shared", "caddy-adapt")


def run_cases(run_sh, cmd, own=None):
    """verdicts of run.sh over shared/caddy-adapt's cases, or over own's"""
    env = dict(os.environ, CASES=os.path.abspath(own)) if own else None
    with tempfile.TemporaryDirectory() as work:
        results = os.path.join(work, "verdicts.txt")
        subprocess.run(["bash", run_sh, cmd, results, work], check=True, stderr=subprocess.DEVNULL, env=env)
        return read_verdicts(results)


def check_own(run_sh, cmd, own):
    verdicts = run_cases(run_sh, cmd, own)
    failed = sorted(n for n, (v, _) in verdicts.items() if v not in PASS_VERDICTS)
    for name in sorted(verdicts):
        verdict, note = verdicts[name]
        print(f"{verdict:12} own  {name} {note}".rstrip())
    print(f"own   {len(verdicts) - len(failed):4}/{len(verdicts):<4}")
    return 1 if failed or not verdicts else 0


def take_option(argv, name):
    if name not in argv:
        return None
    i = argv.index(name)
    value = argv[i + 1]
    del argv[i:i + 2]
    return value


def read_verdicts(path):
    verdicts = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            parts = line.rstrip("\n").split("\t")
            verdicts[parts[1]] = (parts[0], parts[2] if len(parts) > 2 else "")
    return verdicts


def read_groups(cases):
    groups = {}
    with open(os.path.join(cases, "INDEX.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            name, group = line.split("\t")[:2]
            groups[name] = group
    return groups


def print_totals(verdicts, groups):
    totals = {}
    for name, (verdict, _) in verdicts.items():
        g = groups.get(name, "?")
        t = totals.setdefault(g, [0, 0])
        t[1] += 1
        t[0] += verdict in PASS_VERDICTS
    exact = sum(1 for v, _ in verdicts.values() if v == "PASS_EXACT")
    errors = sum(1 for v, _ in verdicts.values() if v == "PASS_ERROR")
    print(f"byte-exact JSON: {exact}, expected errors: {errors}, same value only: "
          f"{sum(1 for v, _ in verdicts.values() if v == 'PASS_SORTED')}")
    all_pass = sum(t[0] for t in totals.values())
    all_n = sum(t[1] for t in totals.values())
    for g in sorted(totals):
        p, n = totals[g]
        print(f"{g:5} {p:4}/{n:<4} {100.0 * p / n:5.1f}%")
    print(f"all   {all_pass:4}/{all_n:<4} {100.0 * all_pass / max(all_n, 1):5.1f}%")


def main():
    argv = sys.argv[1:]
    update = "--update" in argv
    if update:
        argv.remove("--update")
    cases = find_cases(argv)
    own = take_option(argv, "--own")
    if not argv:
        print(__doc__, file=sys.stderr)
        return 1
    run_sh = os.path.join(cases, "run.sh")
    if not os.path.exists(run_sh):
        print(f"skip: {run_sh} not found (shared/caddy-adapt is beside the repository)", file=sys.stderr)
        return 77
    if os.path.exists(argv[0]):
        argv[0] = os.path.abspath(argv[0])   # run.sh runs the command in another folder
    cmd = " ".join(argv)
    if own:
        return check_own(run_sh, cmd, own)
    verdicts = run_cases(run_sh, cmd)
    groups = read_groups(cases)
    for name in sorted(verdicts):
        verdict, note = verdicts[name]
        print(f"{verdict:12} {groups.get(name, '?'):4} {name} {note}".rstrip())
    print_totals(verdicts, groups)
    passing = sorted(n for n, (v, _) in verdicts.items() if v in PASS_VERDICTS)
    if update:
        with open(PASSING, "w", encoding="utf-8") as f:
            f.write("".join(n + "\n" for n in passing))
        print(f"wrote {len(passing)} names to passing.txt")
        return 0
    expected = set()
    if os.path.exists(PASSING):
        with open(PASSING, encoding="utf-8") as f:
            expected = {l.strip() for l in f if l.strip()}
    lost = sorted(expected - set(passing))
    gained = sorted(set(passing) - expected)
    for n in gained:
        print(f"newly passing: {n}")
    for n in lost:
        print(f"REGRESSION: {n} is listed in passing.txt but {verdicts.get(n, ('missing',))[0]}")
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
