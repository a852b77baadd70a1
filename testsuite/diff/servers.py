"""The two servers of the differential test: Caddy run from a Caddyfile with
its home, data and config folders inside the test's temporary folder, and
zsrt serving the blob zsc compiled from the same Caddyfile. Both listen on
127.0.0.1 only and are stopped by PID."""
import os
import signal
import socket
import subprocess
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def compile_blob(zsc, caddyfile, blob):
    """(True, blob path) or (False, zsc's complaint)."""
    r = subprocess.run([zsc, caddyfile, "-o", blob], capture_output=True, text=True,
                       cwd=os.path.dirname(caddyfile))
    if r.returncode != 0:
        return False, (r.stderr.strip().splitlines() or ["exit %d" % r.returncode])[0]
    return True, blob


class _Process:
    """A server process whose output goes to a log file, up once it accepts."""

    def __init__(self, argv, port, work, name, env=None):
        self.port = port
        self.log = open(os.path.join(work, name + ".log"), "w+")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, cwd=work, env=env,
                                     stdin=subprocess.DEVNULL)
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
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class CaddyServer(_Process):
    def __init__(self, caddyfile, port, work):
        home = os.path.join(work, "caddy-home")
        os.makedirs(home, exist_ok=True)
        env = dict(os.environ, HOME=home, XDG_DATA_HOME=os.path.join(home, "data"),
                   XDG_CONFIG_HOME=os.path.join(home, "config"))
        super().__init__(["caddy", "run", "--config", caddyfile, "--adapter", "caddyfile"], port, work,
                         "caddy", env)


class ZsrtServer(_Process):
    def __init__(self, zsrt, blob, port, work):
        super().__init__([zsrt, "--workers", "1", blob], port, work, "zsrt")
