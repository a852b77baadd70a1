#!/usr/bin/env python3
"""Cage end to end: a served program that loops forever, writes outside the
window, writes rodata or the request view, reads the null guard, or writes
far below its stack frame gets a 500 for that request only; the same worker
then answers the next request; a request never sees heap, stack or request
view bytes an earlier request left; a loop of helper calls on a long path
traps within a second.
Usage: test_cage_e2e.py BUILD_DIR [clang|tcc]"""
import os
import socket
import subprocess
import sys
import time
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from harness import Served, free_port, get, request  # noqa: E402


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
        for path in ["/loop", "/wild-write", "/null-read", "/rodata-write", "/request-write", "/beyond-4g",
                     "/stack-deep"]:
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
        for i in range(3):
            plant = get(port, "/stack-plant")
            r = get(port, "/stack-peek")
            ok = plant.status == 200 and r.status == 200 and r.body == b"stack fine"
            print(("ok   " if ok else "FAIL ") + f"stack below the frame cleared between requests ({i}): {r.status}")
            failures += not ok
        cookie = "secret=" + "c00k1e" * 6000
        get(port, "/", headers=[("Cookie", cookie)])
        r = get(port, "/view-peek")
        ok = r.status == 200 and r.body == b"view fine"
        print(("ok   " if ok else "FAIL ") + f"an earlier request's Cookie is gone from the view: {r.status}")
        failures += not ok
        t0 = time.time()
        r = request(port, ("GET /helper-loop/" + "p" * 4000 + " HTTP/1.1\r\nHost: x\r\n\r\n").encode(),
                    timeout=60)
        took = time.time() - t0
        good = get(port, "/")
        ok = r.status == 500 and took < 3 and good.status == 200
        print(("ok   " if ok else "FAIL ") + f"helper loop on a 4000-byte path: {r.status} after {took:.2f} s, "
              f"then {good.status}")
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
