#!/usr/bin/env python3
"""A small upstream for the reverse-proxy tests: speaks raw HTTP/1.1 so each
answer's framing is exactly what the test asks for (Content-Length, chunked,
close-delimited, slow, interim 100, closing after the answer).

Usage: upstream.py PORT  (listens on 127.0.0.1 only; prints "ready" when up)"""
import socket
import sys
import threading
import time

conn_counter = [0]
lock = threading.Lock()


def read_head(f):
    lines = []
    while True:
        line = f.readline(65536)
        if not line:
            return None
        if line in (b"\r\n", b"\n"):
            return lines
        lines.append(line.rstrip(b"\r\n"))


def read_body(f, headers):
    length = headers.get(b"content-length")
    if length is not None:
        return f.read(int(length))
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        body = b""
        while True:
            size = int(f.readline().split(b";")[0], 16)
            if size == 0:
                while f.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return body
            body += f.read(size)
            f.readline()
    return b""


def answer(sock, path, raw_head, body, conn_id, req_no):
    info = b"conn=%d req=%d\n" % (conn_id, req_no)
    if path.startswith(b"/up/echo"):
        payload = info + b"\n".join(raw_head) + b"\nbody=" + body
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\n"
                     b"Keep-Alive: timeout=5\r\nX-Up: 1\r\nContent-Length: %d\r\n\r\n" % len(payload)
                     + payload)
    elif path.startswith(b"/up/chunked"):
        sock.sendall(b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n"
                     b"3;ext=1\r\nabc\r\n5\r\ndefgh\r\n0\r\nX-T: 1\r\n\r\n")
    elif path.startswith(b"/up/closeafter"):
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        return False
    elif path.startswith(b"/up/close"):
        sock.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nclosed-body")
        return False
    elif path.startswith(b"/up/slow"):
        time.sleep(0.5)
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow")
    elif path.startswith(b"/up/continue"):
        sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nyes")
    elif path.startswith(b"/up/204"):
        sock.sendall(b"HTTP/1.1 204 No Content\r\nX-Up: 1\r\n\r\n")
    elif path.startswith(b"/up/big"):
        payload = bytes((i * 7) & 0xff for i in range(300000))
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(payload) + payload)
    else:
        sock.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    return True


def serve(sock):
    with lock:
        conn_counter[0] += 1
        conn_id = conn_counter[0]
    f = sock.makefile("rb")
    req_no = 0
    try:
        while True:
            head = read_head(f)
            if not head:
                return
            req_no += 1
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
            body = read_body(f, headers)
            path = head[0].split(b" ")[1]
            if not answer(sock, path, head, body, conn_id, req_no):
                return
    except (ConnectionError, ValueError):
        return
    finally:
        sock.close()


def main():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", int(sys.argv[1])))
    srv.listen(64)
    print("ready", flush=True)
    while True:
        sock, _ = srv.accept()
        threading.Thread(target=serve, args=(sock,), daemon=True).start()


if __name__ == "__main__":
    main()
