#!/usr/bin/env python3
"""End-to-end: request_body max_size in front of reverse_proxy, whose
request bodies stream. A Content-Length past the limit is Caddy's 413
before anything goes upstream; a chunked body that runs past it mid-stream
stops being forwarded, the upstream connection is dropped, and the client
gets the 413 (Caddy's MaxBytesError); error routes answer it as any
handler's error; HTTP/2 (h2c) alike. Usage: test_request_body.py BUILD_DIR"""
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Zsrt, check, free_port, read_response, request, run_cases  # noqa: E402


class Upstream:
    """a loopback upstream that records each request's head and the body
    bytes it got, and answers 200 once a body is complete"""

    def __init__(self):
        self.port = free_port()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(16)
        self.seen = []   # [head, body bytes, complete]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        f = c.makefile("rb")
        try:
            while True:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = f.readline()
                    if not line:
                        return
                    head += line
                rec = [head.decode("latin-1"), b"", False]
                self.seen.append(rec)
                low = rec[0].lower()
                if "transfer-encoding: chunked" in low:
                    while True:
                        size = int(f.readline().split(b";")[0], 16)
                        if size == 0:
                            f.readline()
                            break
                        rec[1] += f.read(size)
                        f.readline()
                elif "content-length:" in low:
                    n = int(low.split("content-length:")[1].split("\r\n")[0])
                    rec[1] = f.read(n)
                rec[2] = True
                body = b"got %d" % len(rec[1])
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        except (OSError, ValueError):
            return
        finally:
            c.close()

    def close(self):
        self.sock.close()


CADDYFILE = """:{PORT} {
\trequest_body {
\t\tmax_size 100
\t}
\theader X-Site kept
\treverse_proxy 127.0.0.1:UP
}"""


def post(port, body, headers=""):
    return ("POST /up HTTP/1.1\r\nHost: x\r\n%s\r\n" % headers).encode() + body


def case_http1(build, errors):
    up = Upstream()
    text = CADDYFILE.replace("UP", str(up.port))
    if errors:
        text = text[:-1] + "\thandle_errors {\n\t\trespond \"too big: {http.error.status_code}\" 413\n\t}\n}"
    z = Zsrt(build, text)
    try:
        r = request(z.port, post(z.port, b"a" * 50, "Content-Length: 50\r\n"))
        check("a body within the limit goes up", r.status == 200 and r.body == b"got 50", (r.status, r.body))
        before = len(up.seen)
        r = request(z.port, post(z.port, b"b" * 500, "Content-Length: 500\r\n"))
        check("a Content-Length past the limit: 413", r.status == 413, (r.status, r.body))
        check("  Connection: close", (r.header("Connection") or "").lower() == "close", r.headers)
        check("  header ops set before stay", r.header("X-Site") == "kept", r.headers)
        check("  error routes answer it" if errors else "  empty, as Caddy's error",
              r.body == (b"too big: 413" if errors else b""), r.body)
        time.sleep(0.2)
        check("  nothing went upstream", len(up.seen) == before, up.seen[before:])

        # chunked: a first chunk within the limit goes up, then one past it
        with socket.create_connection(("127.0.0.1", z.port), timeout=5) as s:
            s.sendall(post(z.port, b"", "Transfer-Encoding: chunked\r\n") + b"40\r\n" + b"c" * 64 + b"\r\n")
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline and not (len(up.seen) > before and len(up.seen[-1][1]) == 64):
                time.sleep(0.02)
            check("chunked: the first 64 bytes stream up", len(up.seen) > before and up.seen[-1][1] == b"c" * 64,
                  up.seen[before:])
            s.sendall(b"40\r\n" + b"d" * 64 + b"\r\n0\r\n\r\n")
            r, _ = read_response(s)
            check("chunked past the limit mid-stream: 413", r.status == 413, (r.status, r.body))
            check("  error routes answer it" if errors else "  empty, as Caddy's error",
                  r.body == (b"too big: 413" if errors else b""), r.body)
            s.settimeout(2)
            try:
                rest = s.recv(100)
            except socket.timeout:
                rest = b"open"
            check("  the connection closes", rest == b"", rest)
        time.sleep(0.2)
        last = up.seen[-1]
        check("  the upstream got no more of it and never a complete body",
              last[1] == b"c" * 64 and not last[2], (len(last[1]), last[2]))
        r = request(z.port, post(z.port, b"5\r\nshort\r\n0\r\n\r\n", "Transfer-Encoding: chunked\r\n"))
        check("a chunked body within the limit goes up", r.status == 200 and r.body == b"got 5", (r.status, r.body))
    finally:
        z.stop()
        up.close()


def case_h2(build):
    if not shutil.which("nghttp"):
        print("skip: no nghttp")
        return
    up = Upstream()
    z = Zsrt(build, "{\n\tservers {\n\t\tprotocols h1 h2c\n\t}\n}\n" + CADDYFILE.replace("UP", str(up.port)))
    try:
        d = os.path.join(z.dir, "data")
        base = "http://127.0.0.1:%d/up" % z.port
        for n, want in ((50, "200"), (500, "413")):
            with open(d, "wb") as f:
                f.write(b"e" * n)
            r = subprocess.run(["nghttp", "-v", "-d", d, base], capture_output=True, text=True, timeout=30)
            status = [line.split()[-1] for line in r.stdout.splitlines() if ":status:" in line]
            check("h2c: a %d-byte body: %s" % (n, want), status[-1:] == [want], r.stdout[-1500:])
        check("h2c: only the small body went up", [len(s[1]) for s in up.seen] == [50], [len(s[1]) for s in up.seen])
    finally:
        z.stop()
        up.close()


def case_http1_plain(build):
    case_http1(build, False)


def case_http1_error_routes(build):
    case_http1(build, True)


def main():
    run_cases((case_http1_plain, case_http1_error_routes, case_h2), sys.argv[1])


if __name__ == "__main__":
    main()
