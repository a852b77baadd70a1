#!/usr/bin/env python3
"""Cage end to end: a served program that loops forever, writes outside the
window, writes rodata or the request view, or reads the null guard gets a 500
for that request only; the same worker then answers the next request, and a
request never sees heap bytes an earlier request wrote.
Usage: test_cage_e2e.py BUILD_DIR [clang|tcc]"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from harness import Served, free_port, get  # noqa: E402


def main():
    build = sys.argv[1]
    cc = sys.argv[2] if len(sys.argv) > 2 else "clang"
    work = tempfile.mkdtemp(prefix="zs-cage-")
    port = free_port()
    cf = os.path.join(work, "Caddyfile")
    with open(cf, "w") as f:
        f.write(":%d {\n\trespond \"unused\"\n}\n" % port)
    blob = os.path.join(work, "site.zsb")
    r = subprocess.run([os.path.join(build, "compiler", "zsc"), cf, "-o", blob, "--cc=" + cc,
                        "--bpf-c=" + os.path.join(HERE, "misbehaving.bpf.c")], capture_output=True, text=True)
    if r.returncode != 0:
        print("zsc failed:\n" + r.stderr)
        return 1
    z = Served([os.path.join(build, "runtime", "zsrt"), "--workers", "1", blob], port, work, "zsrt")
    failures = 0
    try:
        for path in ["/loop", "/wild-write", "/null-read", "/rodata-write", "/request-write", "/beyond-4g"]:
            bad = get(port, path)
            good = get(port, "/")
            ok = bad.status == 500 and good.status == 200 and good.body == b"fine" and z.alive()
            print(("ok   " if ok else "FAIL ") + f"{path}: {bad.status}, then {good.status} {good.body!r}")
            failures += not ok
        for i in range(3):
            r = get(port, "/heap-leak")
            ok = r.status == 200 and r.body == b"heap fine"
            print(("ok   " if ok else "FAIL ") + f"heap cleared between requests ({i}): {r.status}")
            failures += not ok
        log = z.output()
        ok = "trap budget" in log and "trap fault" in log   # logging is rate-limited per second
        print(("ok   " if ok else "FAIL ") + "traps are logged")
        failures += not ok
    finally:
        code = z.stop()
        print(("ok   " if code == 0 else "FAIL ") + f"graceful stop ({code})")
        failures += code != 0
    print(f"{failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
