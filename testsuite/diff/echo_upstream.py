"""The upstream both servers proxy to in the differential test: it answers each
request with a JSON echo of exactly what it received (request line, header
fields in order, body), so the two proxies' rewriting of the request shows up
in the response body. It sends no Date or Server of its own (nothing volatile),
keeps connections alive, and lets the request path pick a few response shapes."""
import json
import socket
import socketserver
import threading


def _read_head(rfile):
    """The request line and header lines, or None at a clean end of stream."""
    line = rfile.readline(65536)
    if not line:
        return None
    lines = [line.rstrip(b"\r\n").decode("latin-1")]
    while True:
        h = rfile.readline(65536)
        if not h or h in (b"\r\n", b"\n"):
            return lines
        lines.append(h.rstrip(b"\r\n").decode("latin-1"))


def _read_body(rfile, headers):
    te = ",".join(v for n, v in headers if n.lower() == "transfer-encoding").lower()
    if "chunked" in te:
        body = b""
        while True:
            size = int(rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return body, "chunked"
            body += rfile.read(size)
            rfile.readline()
    cl = [v for n, v in headers if n.lower() == "content-length"]
    n = int(cl[0]) if cl else 0
    return (rfile.read(n) if n else b""), "length"


def _shape(path):
    """What to answer for this path: (status, extra headers, chunked?)."""
    status, extra, chunked = 200, [], False
    if "/status/" in path:
        status = int(path.split("/status/", 1)[1][:3])
    if "/cookies" in path:
        extra += [("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; Path=/")]
    if "/hop" in path:
        extra += [("Connection", "X-Hop-Test"), ("X-Hop-Test", "must be dropped"), ("Keep-Alive", "timeout=5")]
    if "/chunked" in path:
        chunked = True
    return status, extra, chunked


class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            lines = _read_head(self.rfile)
            if lines is None:
                return
            headers = [(n, v.strip()) for n, _, v in (h.partition(":") for h in lines[1:])]
            body, framing = _read_body(self.rfile, headers)
            self._answer(lines[0], headers, body, framing)

    def _answer(self, request_line, headers, body, framing):
        method, target = request_line.split(" ")[:2]
        status, extra, chunked = _shape(target)
        echo = {"request": request_line, "framing": framing, "body": body.decode("latin-1"),
                "headers": sorted([n.lower(), v] for n, v in headers)}
        out = (json.dumps(echo, sort_keys=True) + "\n").encode()
        head = ["HTTP/1.1 %d Echo" % status, "Content-Type: application/json", "X-Upstream: echo"]
        head += ["%s: %s" % kv for kv in extra]
        if status in (204, 304) or method == "HEAD":
            out = b""
            head.append("Content-Length: 0" if status not in (204, 304) else "X-Empty: yes")
        elif chunked:
            head.append("Transfer-Encoding: chunked")
            half = len(out) // 2
            out = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (half, out[:half], len(out) - half, out[half:])
        else:
            head.append("Content-Length: %d" % len(out))
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + out)
        self.wfile.flush()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class EchoUpstream:
    """Listens on a free loopback port until stop()."""

    def __init__(self):
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def closed_port():
    """A loopback port with nothing listening (for the 'upstream down' case)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
