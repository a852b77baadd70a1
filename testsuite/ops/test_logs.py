#!/usr/bin/env python3
"""Log lines in Caddy's JSON shape: a 502 from reverse_proxy writes an
"http.log.error" line with msg, the request object (remote_ip, remote_port
as a string, proto, method, host, uri, headers as name -> [values]),
duration, status, err_id and err_trace; request bytes that need escaping
(quotes, backslashes, non-ASCII bytes) keep the line valid JSON;
a very long request still gives one whole line; traps give
"http.handlers.zsrt" lines ("trap budget", "trap fault" with where).

Usage: test_logs.py ZSC ZSRT"""
import json
import os
import socket
import sys
import tempfile
import time

from opslib import Zsrt, check, compile_site, free_port


def raw(port, data):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        out = b""
        while b"\r\n\r\n" not in out:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    return out


def main():
    zsc, zsrt = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    with tempfile.TemporaryDirectory() as tmp:
        port, dead = free_port(), free_port()
        blob = compile_site(zsc, tmp, "site", ":%d {\n\treverse_proxy 127.0.0.1:%d\n}\n" % (port, dead))
        z = Zsrt(zsrt, ["--workers", "1", blob], port, tmp)
        out = raw(port, b'GET /x?q=1 HTTP/1.1\r\nHost: example.test\r\nX-Odd: a"b\\c\xc3\xa9\r\n\r\n')
        check(out.startswith(b"HTTP/1.1 502"), "expected a 502: %r" % out[:80])
        raw(port, b"GET /" + b"a" * 6000 + b" HTTP/1.1\r\nHost: x\r\n" +
            b"".join(b"X-%d: %s\r\n" % (i, b"v" * 500) for i in range(40)) + b"\r\n")
        time.sleep(0.3)
        lines = [l for l in z.output().splitlines() if '"http.log.error"' in l]
        check(len(lines) == 2, "expected two http.log.error lines:\n" + z.output())
        objs = []
        for l in lines:
            try:
                objs.append(json.loads(l))
            except ValueError as e:
                check(False, "not valid JSON (%s): %s" % (e, l[:300]))
        o = objs[0]
        check(o["level"] == "error" and isinstance(o["ts"], float) and o["logger"] == "http.log.error",
              "level/ts/logger: %r" % o)
        check(list(o)[:4] == ["level", "ts", "logger", "msg"], "Caddy's key order: %r" % list(o))
        check(o["status"] == 502 and isinstance(o["err_id"], str) and o["err_id"] and "err_trace" in o
              and isinstance(o["duration"], (int, float)), "status/err_id/err_trace/duration: %r" % o)
        req = o["request"]
        check(req["remote_ip"] == "127.0.0.1" and isinstance(req["remote_port"], str) and
              req["proto"] == "HTTP/1.1" and req["method"] == "GET" and req["host"] == "example.test" and
              req["uri"] == "/x?q=1", "request object: %r" % req)
        check("Host" not in req["headers"] and req.get("client_ip") == "127.0.0.1",
              "Go's http.Header has no Host; client_ip: %r" % req)
        check(req["headers"]["X-Odd"][0].startswith('a"b\\c'), "escaped header: %r" % req["headers"]["X-Odd"])
        check(objs[1]["status"] == 502 and len(lines[1]) <= 4096, "the long request's line: %d bytes" % len(lines[1]))
        check(objs[0]["err_id"] != objs[1]["err_id"], "err_id repeats")
        check(z.stop() == 0, "zsrt did not stop cleanly")

        # traps, from the cage tests' misbehaving program
        port = free_port()
        bpf_c = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cage", "misbehaving.bpf.c")
        blob = compile_site(zsc, tmp, "traps", ":%d {\n\trespond \"unused\"\n}\n" % port, ["--bpf-c=" + bpf_c])
        z = Zsrt(zsrt, ["--workers", "1", blob], port, tmp, name="traps")
        for path in ("/loop", "/wild-write"):
            out = raw(port, b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
            check(out.startswith(b"HTTP/1.1 500"), "%s: %r" % (path, out[:60]))
        budget = z.wait_log(lambda o: o.get("logger") == "http.handlers.zsrt" and o.get("msg") == "trap budget", 5)
        fault = z.wait_log(lambda o: o.get("logger") == "http.handlers.zsrt" and o.get("msg") == "trap fault", 5)
        check(budget and budget["level"] == "error" and isinstance(budget["ts"], float) and budget["server"] == 0,
              "trap budget line: %r\n%s" % (budget, z.output()))
        check(fault and fault["guest_address"].startswith("0x") and fault["code_offset"].startswith("0x"),
              "trap fault line: %r" % fault)
        check(z.stop() == 0, "zsrt did not stop cleanly after traps")
    print("logs: http.log.error lines in Caddy's shape, escaped, bounded: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
