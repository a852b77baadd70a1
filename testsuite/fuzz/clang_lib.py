#!/usr/bin/env python3
"""Compiles the code under test with clang for libFuzzer (coverage and
sanitizer instrumentation) into one static archive, for the fuzz targets to
link. The project's compiler is gcc, so meson cannot do this itself; the
script recompiles only objects whose source or headers changed, and writes one
depfile so ninja reruns it when any of them does.

usage: clang_lib.py CLANG ARCHIVE DEPFILE CFLAGS... -- SOURCES..."""
import concurrent.futures
import os
import subprocess
import sys


def object_name(objdir, source):
    """compiler/frontend/emit.c -> OBJDIR/compiler_frontend_emit.c.o: no two sources collide"""
    rel = os.path.relpath(source).replace(os.sep, '_').replace('.', '_')
    return os.path.join(objdir, rel + '.o')


def deps_of(depfile):
    """the prerequisites listed in a make-style depfile, [] when it is missing"""
    try:
        text = open(depfile).read().replace('\\\n', ' ')
    except OSError:
        return []
    _, _, rest = text.partition(': ')
    return rest.split()


def stale(obj, source):
    if not os.path.exists(obj):
        return True
    built = os.path.getmtime(obj)
    return any(not os.path.exists(p) or os.path.getmtime(p) > built for p in [source] + deps_of(obj + '.d'))


def compile_one(clang, cflags, source, obj):
    if not stale(obj, source):
        return None
    cmd = [clang] + cflags + ['-MD', '-MF', obj + '.d', '-c', source, '-o', obj]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return ' '.join(cmd) + '\n' + r.stdout + r.stderr
    return None


def write_depfile(path, archive, objs):
    prereqs = []
    for obj in objs:
        prereqs += [p for p in deps_of(obj + '.d') if p not in prereqs]
    with open(path, 'w') as f:
        f.write(archive.replace(' ', '\\ ') + ': ' + ' \\\n  '.join(p.replace(' ', '\\ ') for p in prereqs) + '\n')


def main():
    clang, archive, depfile = sys.argv[1:4]
    split = sys.argv.index('--')
    cflags, sources = sys.argv[4:split], sys.argv[split + 1:]
    objdir = archive + '.objs'
    os.makedirs(objdir, exist_ok=True)
    objs = [object_name(objdir, s) for s in sources]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        errors = [e for e in pool.map(lambda so: compile_one(clang, cflags, *so), zip(sources, objs)) if e]
    if errors:
        sys.stderr.write('\n'.join(errors))
        return 1
    if os.path.exists(archive):
        os.remove(archive)
    subprocess.run(['ar', 'rcs', archive] + objs, check=True)
    write_depfile(depfile, archive, objs)
    return 0


if __name__ == '__main__':
    sys.exit(main())
