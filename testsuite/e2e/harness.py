"""Shared pieces of the end-to-end tests: compile a Caddyfile with zsc, run
zsrt on a free loopback port, send raw HTTP/1.1 requests, parse responses,
and stop the server by PID. Loopback only."""
import os
import re
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from served import Served, free_port  # noqa: E402,F401  (free_port: for the tests)


failures = []   # what failed, for the test's exit status


def check(what, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + what + ("" if cond else f": {detail}"))
    if not cond:
        failures.append(what)


class Prefixed:
    """A socket whose first recv returns bytes already read past a response."""

    def __init__(self, sock, data):
        self.sock, self.data = sock, data

    def recv(self, n):
        if self.data:
            d, self.data = self.data, b""
            return d
        return self.sock.recv(n)


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers          # list of (name, value) as received
        self.body = body

    def header(self, name):
        vals = [v for n, v in self.headers if n.lower() == name.lower()]
        return vals[0] if vals else None

    def header_all(self, name):
        return [v for n, v in self.headers if n.lower() == name.lower()]


def read_response(sock, head_only=False):
    """Reads one HTTP/1.1 response (Content-Length, chunked or close-delimited)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed before a full response head: %r" % buf[:200])
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3}) ?(.*)", lines[0])
    if not m:
        raise ValueError("bad status line %r" % lines[0])
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name, value.strip()))
    resp = Response(int(m.group(1)), m.group(2), headers, b"")
    if head_only or resp.status in (204, 304) or 100 <= resp.status < 200:
        return resp, rest
    te = resp.header("Transfer-Encoding")
    cl = resp.header("Content-Length")
    if te and "chunked" in te.lower():
        body = b""
        while True:
            while b"\r\n" not in rest:
                rest += sock.recv(65536)
            size_line, rest = rest.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(rest) < size + 2:
                rest += sock.recv(65536)
            body += rest[:size]
            rest = rest[size + 2:]
            if size == 0:
                break
        resp.body = body
        return resp, rest
    if cl is not None:
        n = int(cl)
        while len(rest) < n:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("short body")
            rest += chunk
        resp.body = rest[:n]
        return resp, rest[n:]
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    resp.body = rest
    return resp, b""


def request(port, raw, timeout=5.0, head_only=False):
    """Sends raw bytes on a new connection and returns the first response."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(raw)
        resp, _ = read_response(s, head_only)
        return resp


def get(port, path, host="localhost", headers=(), method="GET"):
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"] + [f"{k}: {v}" for k, v in headers]
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode()
    return request(port, raw, head_only=(method == "HEAD"))


class Zsrt(Served):
    """zsc compiles a Caddyfile ({PORT} replaced by a free port), zsrt serves it."""

    def __init__(self, build, caddyfile_text, cc="clang", workers=1, cwd=None):
        self.build = build
        self.dir = tempfile.mkdtemp(prefix="zs-e2e-")
        port = free_port()
        cf = os.path.join(self.dir, "Caddyfile")
        with open(cf, "w") as f:
            f.write(caddyfile_text.replace("{PORT}", str(port)))
        self.blob = os.path.join(self.dir, "site.zsb")
        r = subprocess.run([os.path.join(build, "compiler", "zsc"), cf, "-o", self.blob, "--cc=" + cc],
                           capture_output=True, text=True, cwd=cwd or self.dir)
        if r.returncode != 0:
            raise RuntimeError("zsc failed:\n" + r.stderr)
        super().__init__([os.path.join(build, "runtime", "zsrt"), "--workers", str(workers), self.blob],
                         port, self.dir, "zsrt", cwd=cwd)


def run_cases(cases, *args):
    """Runs each case(*args), a case that raises counting as a failure (not a
    skip), then exits 0 when every check passed, 1 otherwise."""
    for case in cases:
        print(f"== {case.__name__}")
        try:
            case(*args)
        except Exception as e:
            check(case.__name__, False, repr(e))
    print(f"{len(failures)} failures")
    sys.exit(1 if failures else 0)
