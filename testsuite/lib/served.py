"""A server process for the tests: its output in a log file, up once it
accepts on its 127.0.0.1 port, stopped by PID (SIGTERM, then SIGKILL)."""
import os
import random
import signal
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


# Ports for servers under test come from below the kernel's ephemeral range
# (32768-60999 by default), so no client socket of a test running in parallel
# can be handed the port between our check and the server's bind; a claim
# file per port keeps two tests from picking the same one.
PORT_LOW, PORT_HIGH = 20000, 32000
PORT_CLAIMS = os.path.join(os.environ.get("TMPDIR", "/tmp"), "zs-test-ports")
PORT_CLAIM_AGE = 600


def _claim(port):
    path = os.path.join(PORT_CLAIMS, str(port))
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        try:
            if time.time() - os.stat(path).st_mtime < PORT_CLAIM_AGE:
                return False
            os.unlink(path)
        except FileNotFoundError:
            pass
        return False
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    return True


def free_port():
    """a 127.0.0.1 TCP port nobody listens on and no other test holds"""
    os.makedirs(PORT_CLAIMS, exist_ok=True)
    rng = random.SystemRandom()
    for _ in range(2000):
        port = rng.randrange(PORT_LOW, PORT_HIGH)
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            s.close()
        if _claim(port):
            return port
    raise RuntimeError("no free test port in %d-%d" % (PORT_LOW, PORT_HIGH))


def recv_all(sock):
    """everything sock sends until it closes"""
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def upstream(body, port=0):
    """an HTTP/1.1 upstream on 127.0.0.1 (port 0: any) in a thread, answering
    every GET 200 with body(request) (the BaseHTTPRequestHandler); stop it
    with .shutdown(); its port is .server_address[1]"""
    class Answer(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            data = body(self)
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass
    srv = ThreadingHTTPServer(("127.0.0.1", port), Answer)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


class Served:
    def __init__(self, argv, port, work, name, env=None, cwd=None):
        self.port = port
        # O_APPEND: output() seeks this shared file to read it, and the server's
        # writes must still land at the end, never over what was read
        path = os.path.join(work, name + ".log")
        open(path, "w").close()
        self.log = open(path, "a+")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, cwd=cwd or work,
                                     env=env, stdin=subprocess.DEVNULL)
        self._wait_listening(name)

    def _wait_listening(self, name):
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited at start:\n%s" % (name, self.output()[-2000:]))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.03)
        self.stop()
        raise RuntimeError("%s did not listen on port %d:\n%s" % (name, self.port, self.output()[-2000:]))

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """SIGTERM, expecting a graceful exit; returns the exit code (-9 when killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode
