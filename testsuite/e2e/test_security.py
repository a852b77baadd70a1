#!/usr/bin/env python3
"""Regression tests for the request-path holes of the hostile test, each built
from its reproducer and run against a real zsrt on loopback: pooled upstream
connections leaking responses across clients, absolute-form targets bypassing
host matchers, CRLF injection in response headers, bytes after bodiless
upstream answers, non-idempotent retries, slow readers and idle connections
filling the slot table.
Usage: test_security.py BUILD_DIR"""
import os
import resource
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Prefixed, Zsrt, check, failures, read_response, request  # noqa: E402
from served import upstream as plain_upstream  # noqa: E402
from upstream import Upstream  # noqa: E402


def test_pool_leak(build):
    # Python's http.server as the issue used it: HTTP/1.1, bodies never read,
    # so a request body is parsed as the next request on the connection
    up = plain_upstream(lambda req: ("answer for " + req.path).encode())
    z = Zsrt(build, ":{PORT} {\n\treverse_proxy 127.0.0.1:%d\n}\n" % up.server_address[1])
    try:
        smuggled = b"GET /admin-only-page HTTP/1.1\r\nHost: x\r\n\r\n"
        r = request(z.port, b"GET /innocent HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                    b"Connection: close\r\n\r\n" % len(smuggled) + smuggled)
        check("pool: the sender gets its own answer", r.body == b"answer for /innocent", r.body)
        time.sleep(0.2)   # the upstream's second answer is in the pooled connection now
        got = []
        for i in range(6):
            r = request(z.port, b"GET /client-%d HTTP/1.1\r\nHost: x\r\n\r\n" % i)
            got.append(r.body)
        want = [b"answer for /client-%d" % i for i in range(6)]
        check("pool: later clients each get their own answer", got == want, got)
        # at once, before the upstream's unsolicited answer has arrived: a
        # connection that carried a GET body is never pooled, so no check of
        # the idle connection has to win that race
        for round_ in range(5):
            request(z.port, b"GET /innocent HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                    b"Connection: close\r\n\r\n" % len(smuggled) + smuggled)
            r = request(z.port, b"GET /next-%d HTTP/1.1\r\nHost: x\r\n\r\n" % round_)
            check("pool: the very next client gets its own answer",
                  r.body == b"answer for /next-%d" % round_, r.body)
    finally:
        z.stop()
        up.shutdown()
        up.server_close()


def test_absolute_form_host(build):
    up = Upstream()
    z = Zsrt(build, "http://public.example:{PORT} {\n\treverse_proxy 127.0.0.1:%d\n}\n"
             "http://secret.internal:{PORT} {\n\trespond \"secret area\"\n}\n" % up.port)
    try:
        r = request(z.port, b"GET http://public.example/x HTTP/1.1\r\nHost: secret.internal\r\n\r\n")
        seen = up.last or {}
        check("absolute-form: routed on the authority", r.header("X-Upstream") == "yes", (r.status, r.body))
        check("absolute-form: the upstream sees the authority as Host",
              seen.get("headers", {}).get("host") == "public.example", seen)
        check("absolute-form: the upstream gets the origin form", seen.get("path") == "/x", seen)
        check("absolute-form: X-Forwarded-Host is the authority",
              seen.get("headers", {}).get("x-forwarded-host") == "public.example", seen)
        r = request(z.port, b"GET http://secret.internal/x HTTP/1.1\r\nHost: public.example\r\n\r\n")
        check("absolute-form: the other way round too", r.body == b"secret area", r.body)
        up.last = None
        r = request(z.port, b"GET http://public.example HTTP/1.1\r\nHost: public.example\r\n\r\n")
        check("absolute-form without a path: / upstream", (up.last or {}).get("path") == "/", up.last)
        r = request(z.port, b"GET / HTTP/1.1\r\nHost: public.example\r\nConnection: host\r\n\r\n")
        check("Connection: host does not remove Host",
              (up.last or {}).get("headers", {}).get("host") == "public.example", up.last)
        for bad in [b"exa mple", b"a/b", b"a@b", b"[::1", b"a:x", b"a%zz", b"a\\b"]:
            r = request(z.port, b"GET / HTTP/1.1\r\nHost: " + bad + b"\r\n\r\n")
            check("bad Host %r is 400" % bad, r.status == 400, r.status)
        r = request(z.port, b"GET http://a@public.example/ HTTP/1.1\r\nHost: public.example\r\n\r\n")
        check("bad authority is 400", r.status == 400, r.status)
    finally:
        z.stop()
        up.stop()


INJECT = "/a%0d%0aSet-Cookie:%20evil=1"


def injected(resp):
    names = [n.lower() for n, _ in resp.headers]
    return "set-cookie" in names or any("\r" in v or "\n" in v for _, v in resp.headers)


def test_crlf(build):
    up = Upstream()
    root = tempfile.mkdtemp(prefix="zs-sec-root-")
    os.makedirs(os.path.join(root, "f"))
    with open(os.path.join(root, "f", "a\r\nSet-Cookie: evil=1"), "w") as f:
        f.write("file body")
    z = Zsrt(build, ":{PORT} {\n\theader X-Path {path}\n"
             "\thandle /p/* {\n\t\treverse_proxy 127.0.0.1:%d\n\t}\n"
             "\thandle /f/* {\n\t\troot * %s\n\t\tfile_server\n\t}\n"
             "\thandle {\n\t\trespond \"local\"\n\t}\n}\n" % (up.port, root))
    try:
        for where, prefix in [("proxy", "/p"), ("file", "/f"), ("respond", "")]:
            r = request(z.port, ("GET %s%s HTTP/1.1\r\nHost: x\r\n\r\n" % (prefix, INJECT)).encode())
            xpath = r.header("X-Path") or ""
            check("CRLF in {path} on the %s path is neutralised (%d)" % (where, r.status),
                  not injected(r) and "Set-Cookie: evil=1" in xpath, r.headers)
    finally:
        z.stop()
        up.stop()


class RawUpstream:
    """A scripted HTTP/1.1 upstream: it logs (connection, method, path) and
    answers by path; /die is answered only as a connection's first request
    (later ones are read and the connection closed without an answer)."""

    def __init__(self):
        self.log = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns += 1
            threading.Thread(target=self._serve, args=(c, self.conns), daemon=True).start()

    def _serve(self, c, cid):
        buf = b""
        nth = 0
        with c:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = c.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method, path = lines[0].split(" ")[:2]
                length = 0
                for line in lines[1:]:
                    if line.lower().startswith("content-length:"):
                        length = int(line.split(":", 1)[1])
                while len(buf) < length:
                    buf += c.recv(65536)
                buf = buf[length:]
                nth += 1
                with self.lock:
                    self.log.append((cid, method, path))
                if path == "/die" and nth > 1:
                    return
                c.sendall(self._answer(method, path))

    @staticmethod
    def _answer(method, path):
        if path == "/head-extra":
            return b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHELLO"
        if path == "/204-extra":
            return b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL"
        if path == "/304-extra":
            return b"HTTP/1.1 304 Not Modified\r\n\r\nEXTRA"
        body = ("answer for %s %s" % (method, path)).encode()
        return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body

    def seen(self, method, path):
        with self.lock:
            return [e for e in self.log if e[1] == method and e[2] == path]

    def stop(self):
        self.sock.close()


def test_bodiless_extra(build):
    up = RawUpstream()
    z = Zsrt(build, ":{PORT} {\n\treverse_proxy 127.0.0.1:%d\n}\n" % up.port)
    try:
        for method, path in [("HEAD", "/head-extra"), ("GET", "/204-extra"), ("GET", "/304-extra")]:
            with socket.create_connection(("127.0.0.1", z.port), timeout=5) as s:
                s.sendall(("%s %s HTTP/1.1\r\nHost: x\r\n\r\n" % (method, path)).encode() +
                          b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
                r1, rest = read_response(s, head_only=True)
                r2, _ = read_response(Prefixed(s, rest))
            check("%s %s: no bytes after the head reach the client" % (method, path),
                  r2.status == 200 and r2.body == b"answer for GET /next", (r1.status, r2.status, r2.body))
            at = [i for i, e in enumerate(up.log) if e[2] == path][-1]
            after = up.log[at + 1:at + 2]
            check("%s %s: that upstream connection is not reused" % (method, path),
                  after and after[0][2] == "/next" and after[0][0] != up.log[at][0], up.log)
    finally:
        z.stop()
        up.stop()


def test_retry(build):
    up = RawUpstream()
    z = Zsrt(build, ":{PORT} {\n\treverse_proxy 127.0.0.1:%d\n}\n" % up.port)
    try:
        request(z.port, b"GET /warm HTTP/1.1\r\nHost: x\r\n\r\n")
        r = request(z.port, b"POST /die HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody")
        check("POST on a connection closed unanswered: 502", r.status == 502, r.status)
        time.sleep(0.1)
        check("POST is seen once by the upstream", len(up.seen("POST", "/die")) == 1, up.log)
        request(z.port, b"GET /warm HTTP/1.1\r\nHost: x\r\n\r\n")
        r = request(z.port, b"GET /die HTTP/1.1\r\nHost: x\r\n\r\n")
        check("GET is retried on a fresh connection", r.status == 200 and r.body == b"answer for GET /die",
              (r.status, r.body))
        gets = up.seen("GET", "/die")
        check("the retry went on another connection", len(gets) == 2 and gets[0][0] != gets[1][0], up.log)
        request(z.port, b"GET /warm HTTP/1.1\r\nHost: x\r\n\r\n")
        r = request(z.port, b"DELETE /die HTTP/1.1\r\nHost: x\r\nIdempotency-Key: k1\r\n\r\n")
        check("a request with Idempotency-Key is retried", r.status == 200, r.status)
    finally:
        z.stop()
        up.stop()


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_slow_readers(build):
    root = tempfile.mkdtemp(prefix="zs-sec-big-")
    with open(os.path.join(root, "big.bin"), "wb") as f:
        f.write(os.urandom(1 << 20) * 24)
    z = Zsrt(build, ":{PORT} {\n\troot * %s\n\tfile_server\n}\n" % root)
    clients = []
    try:
        request(z.port, b"GET /missing HTTP/1.1\r\nHost: x\r\n\r\n")
        before = rss_kb(z.proc.pid)
        for _ in range(150):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", z.port))
            s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            clients.append(s)
        for _ in range(10):   # they read at a crawl
            for s in clients:
                s.setblocking(False)
                try:
                    s.recv(1024)
                except BlockingIOError:
                    pass
            time.sleep(0.15)
        grown = rss_kb(z.proc.pid) - before
        print("     rss grew by %d KiB for %d slow readers" % (grown, len(clients)))
        check("slow readers do not pin memory (%d KiB for 150)" % grown, grown < 24 * 1024, grown)
    finally:
        for s in clients:
            s.close()
        z.stop()


def test_slots(build):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 2048 + 300
    if hard < want + 100:
        print("skip slots: the file limit is %d" % hard)
        return
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    z = Zsrt(build, ':{PORT} {\n\trespond "hi"\n}\n')
    idle = []
    try:
        for _ in range(want):
            s = socket.create_connection(("127.0.0.1", z.port), timeout=5)
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            idle.append(s)
        for s in idle[-50:]:
            try:
                read_response(s)
            except (ConnectionError, OSError):
                pass
        t0 = time.time()
        try:
            r = request(z.port, b"GET /new HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
            ok = r.status == 200
        except (ConnectionError, OSError) as e:
            ok, r = False, e
        check("a new client is served with the slots full of idle keep-alive connections", ok, r)
        check("...promptly (%.2f s)" % (time.time() - t0), time.time() - t0 < 3)
    finally:
        for s in idle:
            s.close()
        z.stop()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


TESTS = {"pool": test_pool_leak, "host": test_absolute_form_host, "crlf": test_crlf,
         "bodiless": test_bodiless_extra, "retry": test_retry, "slow": test_slow_readers,
         "slots": test_slots}


def main():
    build = sys.argv[1]
    only = sys.argv[2:] or list(TESTS)
    for name in only:
        try:
            TESTS[name](build)
        except Exception as e:   # a crashed case is a failure, the others still run
            check("%s ran" % name, False, repr(e))
    print(f"{len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
