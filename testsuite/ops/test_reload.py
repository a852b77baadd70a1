#!/usr/bin/env python3
"""Reload under load: clients on keep-alive and on new connections while
`zsrt reload` swaps between two blobs ten times; no request fails and every
answer is one of the two blobs'. Bad blobs mid-way (corrupt, another
architecture, missing, other listeners) are refused with an "admin.api"
"request error" line and the old blob keeps serving. Truncating the served
file in place does not hurt the server (it serves a private copy).

Usage: test_reload.py ZSC ZSRT"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

from opslib import Zsrt, check, compile_site, free_port, http_get, upstream

BODIES = {b"blob-A", b"blob-B"}


class Load:
    """threads sending requests until stopped; counts answers and failures"""

    def __init__(self, port):
        self.port, self.stop, self.lock = port, False, threading.Lock()
        self.ok, self.failed, self.bodies = 0, [], set()
        self.threads = [threading.Thread(target=self.keep_alive, daemon=True) for _ in range(2)]
        self.threads += [threading.Thread(target=self.fresh, daemon=True) for _ in range(2)]
        for t in self.threads:
            t.start()

    def record(self, status, body):
        with self.lock:
            if status == 200 and body in BODIES:
                self.ok += 1
                self.bodies.add(body)
            else:
                self.failed.append((status, body[:80]))

    def fresh(self):
        while not self.stop:
            try:
                self.record(*http_get(self.port))
            except OSError as e:
                self.record(0, repr(e).encode())

    def keep_alive(self):
        while not self.stop:
            try:
                s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                f = s.makefile("rb")
                for _ in range(50):
                    if self.stop:
                        break
                    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                    status = int(f.readline().split()[1])
                    length = 0
                    while True:
                        line = f.readline()
                        if line in (b"\r\n", b""):
                            break
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":")[1])
                    self.record(status, f.read(length))
                s.close()
            except (OSError, ValueError, IndexError) as e:
                self.record(0, repr(e).encode())

    def finish(self):
        self.stop = True
        for t in self.threads:
            t.join(10)


def main():
    zsc, zsrt = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        site = ":%d {\n\trespond \"%s\"\n}\n"
        a = compile_site(zsc, tmp, "a", site % (port, "blob-A"))
        b = compile_site(zsc, tmp, "b", site % (port, "blob-B"))
        arm = compile_site(zsc, tmp, "arm", site % (port, "blob-arm"), ["--target=aarch64"])
        other = compile_site(zsc, tmp, "other", site % (free_port(), "blob-other"))
        served = os.path.join(tmp, "site.zsb")
        pidfile = os.path.join(tmp, "zsrt.pid")

        def install(src):   # as an operator would: a new file renamed over the old
            shutil.copy(src, served + ".new")
            os.rename(served + ".new", served)

        def reload():
            r = subprocess.run([zsrt, "reload", "--pidfile", pidfile], capture_output=True, text=True)
            check(r.returncode == 0, "zsrt reload: " + r.stderr)

        install(a)
        z = Zsrt(zsrt, ["--workers", "2", "--pidfile", pidfile, served], port, tmp)
        load = Load(port)
        loaded = 0
        for i in range(10):
            want = [b, a][i % 2]
            install(want)
            reload()
            loaded += 1
            check(z.wait_log(lambda o, n=loaded: sum(1 for x in z.log_lines()
                                                     if x.get("msg") == "load complete") >= n, 5),
                  "reload %d not logged:\n%s" % (i, z.output()[-2000:]))
            time.sleep(0.4)
            body = http_get(port)[1]
            check(body == (b"blob-B" if want == b else b"blob-A"), "after reload %d: %r" % (i, body))
            if i == 4:   # bad blobs mid-way: each refused, the last good one serves
                data = bytearray(open(a, "rb").read())
                data[len(data) // 2] ^= 0xff
                with open(served + ".new", "wb") as f:
                    f.write(data)
                os.rename(served + ".new", served)
                for bad in ("corrupt", arm, "missing", other):
                    if bad == "missing":
                        os.unlink(served)
                    elif bad != "corrupt":
                        install(bad)
                    before = sum(1 for x in z.log_lines() if x.get("msg") == "request error")
                    z.signal(1)   # SIGHUP, as `zsrt reload` sends
                    check(z.wait_log(lambda o, n=before: sum(1 for x in z.log_lines()
                                                             if x.get("logger") == "admin.api" and
                                                             x.get("msg") == "request error") > n, 5),
                          "bad blob (%s) not refused in the log:\n%s" % (bad, z.output()[-2000:]))
                    time.sleep(0.3)
                    check(http_get(port)[1] == b"blob-B", "a bad blob (%s) replaced the served one" % bad)
        # truncating the served file in place: the server serves its own copy
        with open(served, "r+b") as f:
            f.truncate(100)
        time.sleep(0.3)
        check(http_get(port)[1] in BODIES, "the server broke when its blob file was truncated")
        load.finish()
        check(z.proc.poll() is None, "zsrt died under reloads:\n" + z.output()[-3000:])
        check(not load.failed, "%d failed requests under reload, e.g. %r" % (len(load.failed), load.failed[:3]))
        check(load.bodies == BODIES and load.ok > 200, "answers seen: %d, bodies %r" % (load.ok, load.bodies))
        errors = [x for x in z.log_lines() if x.get("msg") == "request error"]
        check(any("architecture" in x.get("error", "") or "aarch64" in x.get("error", "") for x in errors),
              "the wrong-architecture blob was not named: %r" % errors)
        check(any("listener" in x.get("error", "") for x in errors), "the listener change was not named")
        # a reload that changes the upstream: the pool follows, keep-alive or not
        ups = [upstream(lambda _: b"up-1"), upstream(lambda _: b"up-2")]
        for n, up in enumerate(ups):
            blob = compile_site(zsc, tmp, "proxy%d" % n, ":%d {\n\treverse_proxy 127.0.0.1:%d\n}\n"
                                % (port, up.server_address[1]))
            install(blob)
            reload()
            time.sleep(0.5)
            check(http_get(port) == (200, b"up-%d" % (n + 1)), "after the reload to upstream %d" % (n + 1))
        for up in ups:
            up.shutdown()
        check(z.stop() == 0, "zsrt did not stop cleanly after the reloads")
    print("reload: 10 reloads under load, %d answers, 0 failed; bad blobs refused: ok" % load.ok)
    return 0


if __name__ == "__main__":
    sys.exit(main())
