"""Shared pieces of the operations tests: compiling a Caddyfile with zsc,
starting zsrt on a free 127.0.0.1 port and stopping it by PID, raw HTTP/1.1
requests, and the JSON log lines zsrt writes on stderr."""
import atexit
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from served import free_port, recv_all, upstream  # noqa: E402,F401


def fail(what):
    print("FAIL: " + what, file=sys.stderr)
    sys.exit(1)


def check(cond, what):
    if not cond:
        fail(what)


def compile_site(zsc, tmp, name, text, extra=()):
    """Compiles text (a Caddyfile) to tmp/name.zsb; returns the blob path."""
    src = os.path.join(tmp, name + ".Caddyfile")
    with open(src, "w") as f:
        f.write(text)
    out = os.path.join(tmp, name + ".zsb")
    r = subprocess.run([zsc, src, "-o", out, *extra], capture_output=True, text=True, cwd=tmp)
    check(r.returncode == 0, "zsc %s: %s" % (name, r.stderr))
    return out


_started = []


@atexit.register
def _kill_leftovers():
    """a failed check exits at once: no zsrt of the test outlives it"""
    for z in _started:
        z.kill()


class Zsrt:
    """zsrt started on argv (blob and flags), its stderr kept in a file."""

    def __init__(self, zsrt, args, port, tmp, name="zsrt", wait=True, env=None):
        _started.append(self)
        self.port = port
        self.log_path = os.path.join(tmp, name + ".log")
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen([zsrt, *args], stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env)
        if wait and not self.wait_listening():
            out = self.output()
            self.kill()
            fail("zsrt did not listen on %d:\n%s" % (port, out[-3000:]))

    def wait_listening(self, seconds=15):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return True
            except OSError:
                time.sleep(0.03)
        return False

    def output(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def log_lines(self):
        """the JSON objects among the output lines"""
        lines = []
        for line in self.output().splitlines():
            if line.startswith("{"):
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    pass
        return lines

    def wait_log(self, pred, seconds=10):
        deadline = time.time() + seconds
        while time.time() < deadline:
            for obj in self.log_lines():
                if pred(obj):
                    return obj
            time.sleep(0.05)
        return None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, seconds=15):
        try:
            return self.proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            if self.wait(15) is None:
                self.kill()
        return self.proc.returncode


def http_get(port, path="/", host="x", timeout=5):
    """(status, body) of one request on a new connection"""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path.encode(), host.encode()))
        data = recv_all(s)
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.") else 0
    return status, body
