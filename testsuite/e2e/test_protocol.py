#!/usr/bin/env python3
"""End-to-end HTTP/1.1 behaviour of zsrt: keep-alive, pipelining, request
bodies, and the answers to bad or oversized input; the server keeps serving.
Usage: test_protocol.py BUILD_DIR"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Prefixed, Zsrt, check, failures, read_response, request  # noqa: E402


def status_of(port, raw):
    try:
        return request(port, raw).status
    except (ConnectionError, OSError) as e:
        return repr(e)


def main():
    build = sys.argv[1]
    z = Zsrt(build, ':{PORT} {\n\trespond "hi {method} {path}"\n}')
    p = z.port
    try:
        with socket.create_connection(("127.0.0.1", p), timeout=5) as s:
            s.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
            r1, rest = read_response(s)
            s.sendall(b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
            r2, rest = read_response(s)
            check("keep-alive", r1.body == b"hi GET /a" and r2.body == b"hi GET /b", (r1.body, r2.body))
        with socket.create_connection(("127.0.0.1", p), timeout=5) as s:
            s.sendall(b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
                      b"GET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            bodies = []
            data = b""
            for _ in range(3):
                r, data = read_response(Prefixed(s, data))
                bodies.append(r.body)
            check("pipelining in order", bodies == [b"hi GET /1", b"hi GET /2", b"hi GET /3"], bodies)
        r = request(p, b"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
        check("content-length body", r.status == 200, r.status)
        r = request(p, b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        check("chunked body", r.status == 200, r.status)
        r = request(p, b"GET / HTTP/1.0\r\n\r\n")
        check("HTTP/1.0 without Host", r.status == 200, r.status)
        check("garbage is 400", status_of(p, b"BLAH\r\n\r\n") == 400)
        check("missing Host on 1.1 is 400", status_of(p, b"GET / HTTP/1.1\r\n\r\n") == 400)
        check("bad header is 400", status_of(p, b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n") == 400)
        check("CL+TE is 400", status_of(p, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                                        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 400)
        check("conflicting CL is 400", status_of(p, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                                                 b"Content-Length: 4\r\n\r\nabcd") == 400)
        check("long URI is 414", status_of(p, b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n") == 414)
        check("huge head is 431", status_of(p, b"GET / HTTP/1.1\r\nHost: x\r\n" +
                                            b"".join(b"X-%d: %s\r\n" % (i, b"v" * 1000) for i in range(80)) +
                                            b"\r\n") == 431)
        check("huge body is 413", status_of(p, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n") == 413)
        with socket.create_connection(("127.0.0.1", p), timeout=5) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")   # and never finish the head
            time.sleep(0.2)
        check("alive after bad input", request(p, b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").body == b"hi GET /ok")
    finally:
        code = z.stop()
        check("graceful stop exits 0", code == 0, code)
    print(f"{len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
