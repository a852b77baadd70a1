#!/usr/bin/env python3
"""Runs one fuzz target over its seeds, as a meson test.

--mode=replay: the replay build runs every seed once (exit status is the test's).
--mode=fuzz:   the libFuzzer build fuzzes from the seeds for --seconds with a
               fixed -seed; any crash, leak, UB report or timeout fails the test
               and the reproducer is kept in fuzz-artifacts/<target>/.
Seeds are gathered at run time into a temporary folder: files matching each
--seeds glob, and blobs that --zsc builds from each --blob-from Caddyfile (with
the flag byte the blob targets expect in front). The target runs in an empty
folder, so Caddyfile imports find nothing of the machine's."""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile


def gather_seeds(args, seeds):
    count = 0
    for pattern in args.seeds:
        matches = sorted(glob.glob(pattern))
        if not matches:
            print(f'run_fuzz: no seeds match {pattern}', file=sys.stderr)
        for path in matches:
            count += 1
            shutil.copyfile(path, os.path.join(seeds, f'{count:04d}-{os.path.basename(path)}'))
    for i, caddyfile in enumerate(args.blob_from):
        if not args.zsc:
            print('run_fuzz: no zsc to build blob seeds with', file=sys.stderr)
            break
        blob = os.path.join(seeds, f'blob-{i}.zsb')
        r = subprocess.run([args.zsc, caddyfile, '-o', blob], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f'run_fuzz: zsc {caddyfile} failed:\n{r.stderr}')
        data = open(blob, 'rb').read()
        with open(blob, 'wb') as f:
            f.write(b'\0' + data)   # flag byte 0: the target recomputes the checksum
        count += 1
    return count


def dict_escape(c):
    """libFuzzer's dictionary syntax knows \\\\, \\" and \\xNN only"""
    if c in '\\"':
        return '\\' + c
    return c if ' ' <= c <= '~' else f'\\x{ord(c):02x}'


def write_dict(def_file, path):
    """libFuzzer dictionary: every directive name, plus the Caddyfile's syntax"""
    words = re.findall(r'^\s*(?:HANDLER|DIRECTIVE)\((\w+)', open(def_file).read(), re.M)
    words += ['{', '}', '{$', '{args[0]}', '{block}', '<<EOF', '`', '"', '\\\n', '#', '@m',
              'import', '(snip)', '&(route)', 'invoke', '*', ':80', 'http://', 'https://', 'localhost',
              'path', 'path_regexp', 'header', 'host', 'method', 'not', 'expression', 'vars', 'query']
    with open(path, 'w') as f:
        for w in words:
            f.write('"' + ''.join(dict_escape(c) for c in w) + '"\n')


def run_fuzz(args, tmp, seeds, work):
    name = os.path.basename(args.exe)
    corpus, artifacts = os.path.join(tmp, 'corpus'), os.path.join(tmp, 'artifacts')
    os.makedirs(corpus)
    os.makedirs(artifacts)
    cmd = [args.exe, '-seed=1', f'-max_total_time={args.seconds}', '-timeout=10', '-rss_limit_mb=2048',
           '-error_exitcode=1', '-timeout_exitcode=1', '-print_final_stats=1',
           '-artifact_prefix=' + artifacts + '/']
    if args.dict_from:
        write_dict(args.dict_from, os.path.join(tmp, 'caddyfile.dict'))
        cmd.append('-dict=' + os.path.join(tmp, 'caddyfile.dict'))
    r = subprocess.run(cmd + [corpus, seeds], cwd=work, capture_output=True, text=True, errors='replace')
    stats = [line for line in r.stderr.splitlines() if line.startswith(('stat::', 'Done', '#'))]
    print('\n'.join(stats[-8:]))
    if r.returncode == 0:
        return 0
    print(r.stderr[-6000:], file=sys.stderr)
    keep = os.path.join(os.getcwd(), 'fuzz-artifacts', name)
    os.makedirs(keep, exist_ok=True)
    for f in os.listdir(artifacts):
        shutil.copy(os.path.join(artifacts, f), keep)
    print(f'run_fuzz: {name} failed (exit {r.returncode}); reproducers in {keep}; '
          f'rerun with: {args.exe} {keep}/<file>', file=sys.stderr)
    return 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--mode', choices=['replay', 'fuzz'], required=True)
    p.add_argument('--exe', required=True)
    p.add_argument('--seconds', type=int, default=10)
    p.add_argument('--zsc')
    p.add_argument('--seeds', action='append', default=[])
    p.add_argument('--blob-from', action='append', default=[])
    p.add_argument('--dict-from')
    args = p.parse_args()
    args.exe = os.path.abspath(args.exe)
    with tempfile.TemporaryDirectory(prefix='zs-fuzz-') as tmp:
        seeds, work = os.path.join(tmp, 'seeds'), os.path.join(tmp, 'work')
        os.makedirs(seeds)
        os.makedirs(work)
        n = gather_seeds(args, seeds)
        if n == 0:
            print('run_fuzz: no seeds found; skipping', file=sys.stderr)
            return 77
        print(f'run_fuzz: {os.path.basename(args.exe)}: {n} seeds')
        if args.mode == 'replay':
            return 1 if subprocess.run([args.exe, seeds], cwd=work).returncode else 0
        return run_fuzz(args, tmp, seeds, work)


if __name__ == '__main__':
    sys.exit(main())
