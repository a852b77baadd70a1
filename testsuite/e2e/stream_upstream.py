"""An upstream process for the streaming tests, on 127.0.0.1 (any free port,
printed on its first line): raw sockets, so each path can misbehave exactly.
  POST /upload    reads the body (Content-Length or chunked), answers its size,
                  sha256 and framing; /upload?slow reads it slowly
  GET  /pieces    chunked, a piece now and one a second later (with its send time)
  GET  /sse       text/event-stream, no length: two events half a second apart
  GET  /ws        WebSocket: handshake, then echoes every frame until Close
  GET  /big?N     N bytes with a Content-Length
  GET  /reset     promises 100000 bytes, sends 1000, then resets the connection
  GET  /badstatus a malformed status line
  GET  /hugehead  90 KB of header fields
  GET  /neverend  chunked: one chunk, then nothing more (the connection stays)
  GET  /stall     reads the request and never answers
  GET  /fast      200 "ok"
Usage: stream_upstream.py"""
import base64
import hashlib
import json
import socket
import socketserver
import struct
import sys
import time


def read_head(f):
    line = f.readline()
    if not line:
        return None, None, {}
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers = {}
    while True:
        h = f.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        k, _, v = h.decode("latin-1").partition(":")
        headers[k.strip().lower()] = v.strip()
    return method, target, headers


def read_body(f, headers, slow):
    digest, n = hashlib.sha256(), 0

    def take(size):
        nonlocal n
        while size > 0:
            data = f.read(min(size, 65536))
            if not data:
                raise ConnectionError("short body")
            digest.update(data)
            n += len(data)
            size -= len(data)
            if slow:
                time.sleep(0.002)
    if "chunked" in headers.get("transfer-encoding", ""):
        while True:
            size = int(f.readline().split(b";")[0], 16)
            if size == 0:
                while f.readline() not in (b"\r\n", b""):
                    pass
                break
            take(size)
            f.readline()
    else:
        take(int(headers.get("content-length", "0")))
    return n, digest.hexdigest()


def ws_frames(f):
    """(opcode, payload) of each client frame, unmasked"""
    while True:
        b = f.read(2)
        if len(b) < 2:
            return
        op, n = b[0] & 15, b[1] & 127
        if n == 126:
            n = struct.unpack(">H", f.read(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", f.read(8))[0]
        mask = f.read(4) if b[1] & 128 else b"\0\0\0\0"
        data = bytes(c ^ mask[i % 4] for i, c in enumerate(f.read(n)))
        yield op, data


def ws_frame(op, data):
    n = len(data)
    head = bytes([0x80 | op]) + (bytes([n]) if n < 126 else bytes([126]) + struct.pack(">H", n) if n < 65536
                                 else bytes([127]) + struct.pack(">Q", n))
    return head + data


class Handler(socketserver.StreamRequestHandler):
    def send(self, data):
        self.wfile.write(data)
        self.wfile.flush()

    def handle(self):
        while True:
            method, target, headers = read_head(self.rfile)
            if not method:
                return
            path, _, query = target.partition("?")
            name = "do_" + path.strip("/")
            if not getattr(self, name, None):
                self.send(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                continue
            if getattr(self, name)(method, query, headers) == "close":
                return

    def do_upload(self, method, query, headers):
        n, sha = read_body(self.rfile, headers, query == "slow")
        out = json.dumps({"bytes": n, "sha256": sha, "te": headers.get("transfer-encoding"),
                          "cl": headers.get("content-length")}).encode()
        self.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                  % (len(out), out))

    def do_pieces(self, method, query, headers):
        self.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"6\r\nfirst\n\r\n")
        time.sleep(1.0)
        last = ("last %.6f\n" % time.time()).encode()
        self.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(last), last))

    def do_sse(self, method, query, headers):
        self.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                  b"Connection: close\r\n\r\ndata: one\n\n")
        time.sleep(0.5)
        self.send(("data: two %.6f\n\n" % time.time()).encode())
        return "close"

    def do_ws(self, method, query, headers):
        key = headers.get("sec-websocket-key", "")
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC11B85").encode()).digest())
        self.send(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Accept: " + accept + b"\r\nX-Seen-Upgrade: " +
                  headers.get("upgrade", "").encode() + b"\r\nX-Seen-Connection: " +
                  headers.get("connection", "").encode() + b"\r\n\r\n")
        for op, data in ws_frames(self.rfile):
            if op == 8:
                self.send(ws_frame(8, data))
                return "close"
            self.send(ws_frame(op, data))
        return "close"

    def do_big(self, method, query, headers):
        n = int(query or "1000000")
        self.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % n)
        block = b"z" * 65536
        while n > 0:
            self.send(block[:n])
            n -= min(n, len(block))

    def do_reset(self, method, query, headers):
        self.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"r" * 1000)
        time.sleep(0.2)
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return "close"

    def do_badstatus(self, method, query, headers):
        self.send(b"HTTP/1.1 2x0 Maybe\r\nContent-Length: 0\r\n\r\n")
        return "close"

    def do_hugehead(self, method, query, headers):
        self.send(b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-Fill-%d: %s\r\n" % (i, b"f" * 1000) for i in range(90)) +
                  b"Content-Length: 2\r\n\r\nok")

    def do_neverend(self, method, query, headers):
        self.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nbegun\r\n")
        time.sleep(30)
        return "close"

    def do_stall(self, method, query, headers):
        time.sleep(30)
        return "close"

    def do_fast(self, method, query, headers):
        self.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass   # a connection the proxy cut on purpose


if __name__ == "__main__":
    srv = Server(("127.0.0.1", 0), Handler)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()
