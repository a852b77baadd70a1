#!/usr/bin/env python3
"""Signals and ports: a second SIGTERM during the drain stops at once with
exit 0 (not 143); the listeners close when the drain starts; a second zsrt
on a port the first holds refuses to start (exit 1, a JSON "cannot listen"
line) unless --reuse-port; start and stop lines are in Caddy's log shape.

Usage: test_signals.py ZSC ZSRT"""
import os
import signal
import socket
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opslib import Zsrt, check, compile_site, free_port, http_get


class Slow(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        time.sleep(4)
        self.send_response(200)
        self.send_header("Content-Length", "4")
        self.end_headers()
        self.wfile.write(b"slow")

    def log_message(self, *args):
        pass


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass   # a client the drain cut: its broken pipe is expected


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return False
    except OSError:
        return True


def main():
    zsc, zsrt = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    with tempfile.TemporaryDirectory() as tmp:
        up = QuietServer(("127.0.0.1", 0), Slow)
        threading.Thread(target=up.serve_forever, daemon=True).start()
        port = free_port()
        blob = compile_site(zsc, tmp, "site", ":%d {\n\thandle /slow {\n\t\treverse_proxy 127.0.0.1:%d\n\t}\n\thandle {\n\t\trespond \"hi\"\n\t}\n}\n"
                            % (port, up.server_address[1]))
        z = Zsrt(zsrt, ["--workers", "2", blob], port, tmp)
        check(z.wait_log(lambda o: o.get("msg") == "serving initial configuration" and
                         isinstance(o.get("ts"), float) and o.get("level") == "info") is not None,
              "no start line in Caddy's shape:\n" + z.output())

        # the port is taken: a second zsrt refuses, --reuse-port shares on purpose
        z2 = Zsrt(zsrt, ["--workers", "1", blob], port, tmp, name="second", wait=False)
        rc = z2.wait(10)
        check(rc == 1, "a second zsrt on a held port exited %r" % rc)
        check(z2.wait_log(lambda o: o.get("msg") == "cannot listen" and "already in use" in o.get("error", ""), 1),
              "no 'cannot listen' line:\n" + z2.output())
        z3 = Zsrt(zsrt, ["--workers", "1", "--reuse-port", blob], port, tmp, name="shared", wait=False)
        time.sleep(1)
        check(z3.proc.poll() is None, "--reuse-port did not start:\n" + z3.output())
        check(z3.stop() == 0, "--reuse-port zsrt did not stop cleanly")

        # a request in flight keeps the drain going
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.5)
        z.signal(signal.SIGTERM)
        time.sleep(0.7)
        check(z.proc.poll() is None, "zsrt did not wait for the request in flight")
        check(refused(port), "the listener is still open during the drain")
        check(z.wait_log(lambda o: o.get("msg") == "shutting down apps, then terminating" and
                         o.get("signal") == "SIGTERM", 2), "no drain line:\n" + z.output())
        z.signal(signal.SIGTERM)
        rc = z.wait(3)
        check(rc == 0, "a second SIGTERM during the drain exited %r, not 0" % rc)
        check(z.wait_log(lambda o: o.get("msg") == "force quit", 1), "no force-quit line:\n" + z.output())
        s.close()

        # a plain drain: one SIGTERM, exit 0, "shutdown complete"
        z = Zsrt(zsrt, ["--workers", "1", blob], port, tmp, name="plain")
        check(http_get(port)[1] == b"hi", "no answer after restart on the freed port")
        check(z.stop() == 0, "one SIGTERM did not exit 0")
        check(z.wait_log(lambda o: o.get("msg") == "shutdown complete" and o.get("exit_code") == 0, 1),
              "no 'shutdown complete' line:\n" + z.output())
        # shutdown_delay keeps serving, then grace_period cuts the slow request
        site = ("{\n\tshutdown_delay 1500ms\n\tgrace_period 1s\n}\n" +
                ":%d {\n\thandle /slow {\n\t\treverse_proxy 127.0.0.1:%d\n\t}\n\thandle {\n\t\trespond \"hi\"\n\t}\n}\n"
                % (port, up.server_address[1]))
        blob = compile_site(zsc, tmp, "stop", site)
        z = Zsrt(zsrt, ["--workers", "1", blob], port, tmp, name="delayed")
        z.signal(signal.SIGTERM)
        check(z.wait_log(lambda o: o.get("msg") == "shutdown scheduled" and o.get("delay_duration") == 1.5 and
                         isinstance(o.get("time"), float), 2), "no 'shutdown scheduled' line:\n" + z.output())
        time.sleep(0.3)
        check(http_get(port)[1] == b"hi", "no answer during shutdown_delay")
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        check(z.wait_log(lambda o: o.get("msg") == "servers shutting down; grace period initiated" and
                         o.get("duration") == 1, 3), "no grace period line:\n" + z.output())
        check(refused(port), "the listener is still open after shutdown_delay")
        started = time.monotonic()
        rc = z.wait(4)
        check(rc == 0 and time.monotonic() - started < 2.5,
              "grace_period 1s did not end the drain (exit %r after %.1fs)" % (rc, time.monotonic() - started))
        check(s.recv(100) == b"", "the request past grace_period was answered, not cut")
        s.close()
        up.shutdown()
    print("signals: drain closes listeners, second SIGTERM exits 0, held port refused, --reuse-port, "
          "shutdown_delay and grace_period: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
