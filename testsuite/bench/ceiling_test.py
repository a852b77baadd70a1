#!/usr/bin/python3
# Checks the benchmark's ceiling responder answers like an HTTP/1.1 server for the
# requests the benchmark sends: keep-alive, pipelining, heads split across reads,
# Connection: close, a 100 KiB body, and a clean stop on SIGTERM.
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

PORT = 18690
GET = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: ceiling-test\r\n\r\n"


class Conn:
    """A client connection that keeps bytes read past one response for the next."""

    def __init__(self):
        self.sock = socket.create_connection(("127.0.0.1", PORT), timeout=5)
        self.buf = b""

    def sendall(self, data):
        self.sock.sendall(data)

    def _fill(self, what):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed mid-{what}")
        self.buf += chunk

    def response(self):
        """One response: (head, body), reading exactly Content-Length bytes."""
        while b"\r\n\r\n" not in self.buf:
            self._fill("head")
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        while len(self.buf) < length:
            self._fill("body")
        body, self.buf = self.buf[:length], self.buf[length:]
        return head, body

    def get(self, count=1):
        return [self.response() for _ in range(count)]


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def check_keep_alive(body):
    c = Conn()
    for _ in range(3):
        c.sendall(GET)
        head, got = c.get()[0]
        expect(head.startswith(b"HTTP/1.1 200 OK"), f"status line: {head[:40]!r}")
        expect(got == body, "body differs")
        expect(b"connection: close" not in head.lower(), "closing a keep-alive connection")


def check_pipelined(body):
    c = Conn()
    c.sendall(GET * 5)
    expect(all(got == body for _, got in c.get(5)), "pipelined answers differ")


def check_split(body):
    c = Conn()
    for i in range(len(GET)):
        c.sendall(GET[i:i + 1])
        time.sleep(0.001)
    expect(c.get()[0][1] == body, "split request answered wrong")


def check_close(body):
    c = Conn()
    c.sendall(GET.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
    head, got = c.get()[0]
    expect(b"connection: close" in head.lower() and got == body, "no Connection: close answer")
    expect(not c.buf and c.sock.recv(1) == b"", "connection left open after Connection: close")


def with_ceiling(binary, body_path, checks):
    p = subprocess.Popen([binary, "--port", str(PORT), "--body", body_path])
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
                break
            except OSError:
                time.sleep(0.02)
        with open(body_path, "rb") as f:
            body = f.read()
        for check in checks:
            check(body)
        p.send_signal(signal.SIGTERM)
        expect(p.wait(5) == 0, f"exit status {p.returncode} after SIGTERM")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def main():
    binary = sys.argv[1]
    if not os.access(binary, os.X_OK):
        print(f"FAIL: {binary} not built", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="zs-ceiling-") as tmp:
        small, big = f"{tmp}/small", f"{tmp}/big"
        with open(small, "wb") as f:
            f.write(b"<p>small</p>\n")
        with open(big, "wb") as f:
            f.write(bytes(range(256)) * 400)
        try:
            with_ceiling(binary, small, [check_keep_alive, check_pipelined, check_split, check_close])
            with_ceiling(binary, big, [check_keep_alive, check_pipelined, check_close])
        except (AssertionError, OSError, subprocess.TimeoutExpired) as e:
            traceback.print_exc()
            print(f"FAIL: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
