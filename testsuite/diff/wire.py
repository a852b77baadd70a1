"""Sending raw requests and reading the answers, byte-exact: one connection per
corpus entry, all its requests written at once (pipelining), then one response
read per request with the bytes left over carried to the next. A server that
closes or stalls is an answer too, described as a string."""
import re
import socket

TIMEOUT = 3.0


class Response:
    def __init__(self, version, status, reason, headers):
        self.version = version      # "HTTP/1.1" or "HTTP/1.0"
        self.status = status
        self.reason = reason
        self.headers = headers      # [(name, value)] as received
        self.body = b""

    def values(self, name):
        return [v for n, v in self.headers if n.lower() == name]


class _Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError
        self.buf += chunk

    def until(self, mark):
        while mark not in self.buf:
            self.fill()
        head, self.buf = self.buf.split(mark, 1)
        return head

    def exactly(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def rest(self):
        try:
            while True:
                self.fill()
        except EOFError:
            out, self.buf = self.buf, b""
            return out


def _parse_head(head):
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"(HTTP/1\.[01]) (\d{3}) ?(.*)$", lines[0])
    if not m:
        raise ValueError("bad status line %r" % lines[0])
    fields = [(n, v.strip()) for n, _, v in (line.partition(":") for line in lines[1:])]
    return Response(m.group(1), int(m.group(2)), m.group(3), fields)


def _read_chunked(rd):
    body = b""
    while True:
        size = int(rd.until(b"\r\n").split(b";")[0], 16)
        if size == 0:
            rd.until(b"\r\n")          # no trailers expected from either server
            return body
        body += rd.exactly(size)
        rd.exactly(2)


def _read_one(rd, head_only):
    resp = _parse_head(rd.until(b"\r\n\r\n"))
    if head_only or resp.status in (204, 304) or 100 <= resp.status < 200:
        return resp
    if any("chunked" in v.lower() for v in resp.values("transfer-encoding")):
        resp.body = _read_chunked(rd)
    elif resp.values("content-length"):
        resp.body = rd.exactly(int(resp.values("content-length")[0]))
    else:
        resp.body = rd.rest()
    return resp


def exchange(port, raws):
    """Sends the requests on one connection; a Response or a string per request."""
    out = []
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
            s.sendall(b"".join(r.replace(b"{PORT}", str(port).encode()) for r in raws))
            rd = _Reader(s)
            for r in raws:
                resp = _read_one(rd, r.startswith(b"HEAD "))
                if 100 <= resp.status < 200:    # an interim answer: note it, the final one follows
                    interim = resp.status
                    resp = _read_one(rd, r.startswith(b"HEAD "))
                    resp.headers.append(("<interim response>", str(interim)))
                out.append(resp)
    except EOFError:
        pass
    except socket.timeout:
        out.append("timed out after %.0f s" % TIMEOUT)
    except (OSError, ValueError) as e:
        out.append("error: %s" % e)
    while len(out) < len(raws):
        out.append("connection closed without an answer")
    return out[:len(raws)]
