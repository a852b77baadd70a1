"""An upstream process for load-balancing tests, started (and killed and
restarted) by the test: answers with its name in the body and X-Upstream.
/health answers the status in DIR/NAME.health when that file exists, else
200 "ok"; /stall never answers; /status/N answers N; /slow waits 0.3 s;
/drop/NAMES closes the connection unanswered (after reading the body) in
the upstreams named. X-Body-Length tells the body bytes read.
Usage: lb_upstream.py PORT|unix:PATH NAME DIR"""
import os
import socketserver
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ADDR, NAME, DIR = sys.argv[1], sys.argv[2], sys.argv[3]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def address_string(self):
        return "unix"

    def _send(self, status, body):
        out = body.encode()
        self.send_response(status)
        self.send_header("X-Upstream", NAME)
        self.send_header("X-Body-Length", str(self.body_length))
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def _answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.body_length = len(self.rfile.read(n)) if n else 0
        path = self.path
        if path.startswith("/drop/") and NAME in path.split("/")[2]:
            self.close_connection = True
        elif path.startswith("/health"):
            try:
                with open(os.path.join(DIR, NAME + ".health")) as f:
                    self._send(int(f.read().strip()), "down")
            except FileNotFoundError:
                self._send(200, "ok " + NAME)
        elif path.startswith("/stall"):
            time.sleep(30)
        elif path.startswith("/status/"):
            self._send(int(path.split("/")[2]), NAME)
        else:
            if path.startswith("/slow"):
                time.sleep(0.3)
            self._send(200, NAME)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer

    def log_message(self, *args):
        pass


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if ADDR.startswith("unix:"):
    path = ADDR[5:]
    if os.path.exists(path):
        os.unlink(path)
    server = UnixServer(path, Handler)
else:
    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer(("127.0.0.1", int(ADDR)), Handler)
    server.daemon_threads = True
server.serve_forever()
