#!/usr/bin/env python3
"""HTTP/2 (h2c with prior knowledge) end to end: respond, files with ranges
and conditions, reverse_proxy with request bodies, many streams, flow control
with small client windows, the SETTINGS Caddy's Go server sends, HTTP/1.1 on
the same port, and GOAWAY on a graceful stop. Clients: python3-h2, nghttp,
h2load. Usage: test_h2.py BUILD_DIR"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h2lib import Client, DataFrame, Raw, H2cZsrt as Zsrt, check, failures, get  # noqa: E402
from h2lib import Zsrt as PlainZsrt  # noqa: E402
from harness import get as get1  # noqa: E402
from upstream import Upstream  # noqa: E402
from served import upstream as slow_upstream  # noqa: E402

BUILD = sys.argv[1]


def site(root, up_port, slow_port):
    return (":{PORT} {\n"
            "\trespond /hi \"Hello {host} {http.request.proto} {scheme}\" 201\n"
            "\trespond /close \"bye\" {\n\t\tclose\n\t}\n"
            "\thandle /files/* {\n\t\troot * " + root + "\n\t\turi strip_prefix /files\n\t\tfile_server\n\t}\n"
            "\thandle_path /up/* {\n\t\treverse_proxy 127.0.0.1:%d\n\t}\n" % up_port +
            "\thandle_path /slow/* {\n\t\treverse_proxy 127.0.0.1:%d\n\t}\n" % slow_port +
            "\thandle_path /down/* {\n\t\treverse_proxy 127.0.0.1:1\n\t}\n"
            "\theader X-Site zs\n"
            "\trespond \"default\"\n}\n")


def case_respond(z):
    r = get(z.port, "/hi", authority="Example.com:8080")
    check("respond status and body", r.status == 201 and r.body == b"Hello Example.com HTTP/2.0 http", (r.status, r.body))
    names = [n for n, _ in r.headers]
    check("response header order as Go's h2 server", names == [":status", "content-type", "server", "x-site",
                                                                "content-length", "date"], names)
    check("no connection-specific fields", not {"connection", "transfer-encoding", "keep-alive"} & set(names), names)
    r = get(z.port, "/hi", method="HEAD")
    check("HEAD: length, no body", r.status == 201 and r.header("content-length") == "29" and r.body == b"",
          (r.status, r.headers, r.body))
    r = get(z.port, "/x", headers=[("cookie", "a=1"), ("cookie", "b=2")])
    check("default route", r.status == 200 and r.body == b"default", (r.status, r.body))
    r = get(z.port, "/x", method="POST", body=b"ignored body")
    check("a body the handler does not read", r.status == 200 and r.body == b"default", (r.status, r.body))
    r = get(z.port, "/x", method="POST", body=b"z" * 3000000)
    check("3 MB body within the windows: the server opens them as it reads",
          r.status == 200 and r.body == b"default", (r.status, r.body))
    r1 = get1(z.port, "/hi")
    check("HTTP/1.1 on the same port", r1.status == 201 and r1.body.endswith(b"HTTP/1.1 http"), (r1.status, r1.body))


def case_files(z, root, big):
    r = get(z.port, "/files/a.txt")
    check("file", r.status == 200 and r.body == b"hello file\n" and r.header("content-length") == "11", (r.status, r.body))
    check("file etag", r.header("etag") is not None, r.headers)
    r2 = get(z.port, "/files/a.txt", headers=[("if-none-match", r.header("etag"))])
    check("If-None-Match: 304", r2.status == 304 and r2.body == b"", (r2.status, r2.body))
    r = get(z.port, "/files/a.txt", headers=[("range", "bytes=2-5")])
    check("range", r.status == 206 and r.body == b"llo " and r.header("content-range") == "bytes 2-5/11",
          (r.status, r.body, r.headers))
    r = get(z.port, "/files/a.txt", headers=[("range", "bytes=50-60")])
    check("unsatisfiable range", r.status == 416, r.status)
    r = get(z.port, "/files/big.bin")
    check("big file", r.status == 200 and r.body == big, (r.status, len(r.body)))
    r = get(z.port, "/files/big.bin", headers=[("range", "bytes=100000-299999")])
    check("big file range", r.status == 206 and r.body == big[100000:300000], (r.status, len(r.body)))
    check("missing file 404", get(z.port, "/files/nope").status == 404)


def case_proxy(z, up):
    r = get(z.port, "/up/echo?q=1", authority="site.test", headers=[("x-forwarded-for", "6.6.6.6")])
    seen = up.last or {}
    check("proxy status", r.status == 200 and r.header("x-upstream") == "yes", (r.status, r.headers))
    check("proxy path and host", seen.get("path") == "/echo?q=1" and seen["headers"].get("host") == "site.test", seen)
    check("proxy X-Forwarded-*", seen.get("headers", {}).get("x-forwarded-for") == "127.0.0.1" and
          seen["headers"].get("x-forwarded-proto") == "http", seen)
    body = os.urandom(300000).hex().encode()[:600000]
    r = get(z.port, "/up/post", method="POST", body=body)
    check("proxy request body (600 kB, past the initial windows)",
          r.status == 200 and up.last and up.last["body"] == body.decode(), (r.status, len(up.last["body"]) if up.last else 0))
    c = Client(z.port)
    sid = c.request("/up/post", method="POST", headers=[("expect", "100-continue"), ("content-length", "5")], hold=True)
    c.pump(lambda: c.informational.get(sid), timeout=3)
    check("Expect: 100-continue: a 100 before the body is sent", c.informational.get(sid) == "100",
          c.informational)
    c.send_body(sid, b"hello")
    r = c.wait([sid])[0]
    check("then the proxied answer", r.status == 200 and up.last and up.last["body"] == "hello", r.status)
    c.close()
    r = get(z.port, "/up/post", method="POST", body=b"x" * (1024 * 1024 + 1))
    check("proxy body over its limit: 413", r.status == 413, r.status)
    c = Client(z.port)
    sids = [c.request("/up/n%d" % i) for i in range(40)]
    rs = c.wait(sids, timeout=30)
    check("40 proxied streams on one connection", all(x.status == 200 and b'"/n%d"' % i in x.body for i, x in enumerate(rs)),
          [x.status for x in rs])
    c.close()
    r = get(z.port, "/down/x")
    check("upstream down: 502", r.status == 502 and r.body == b"", (r.status, r.body))


def case_big_proxy(z, root, big):
    # python's http.server answers with the file: the upstream body relayed in pieces
    srv = subprocess.Popen([sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", root],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = srv.stdout.readline()
        port = int(line.split("port ")[1].split()[0])
        z2 = Zsrt(BUILD, ":{PORT} {\n\treverse_proxy 127.0.0.1:%d\n}\n" % port)
        try:
            c = Client(z2.port, window=4096)
            r = c.get("/big.bin")
            check("proxied 2 MB body with a 4 KiB client window", r.status == 200 and r.body == big and
                  max(r.data_frames) <= 4096, (r.status, len(r.body), max(r.data_frames or [0])))
            c.close()
        finally:
            z2.stop()
    finally:
        srv.terminate()
        srv.wait()


def case_streams(z):
    c = Client(z.port)
    c.pump(lambda: len(c.remote_settings) >= 5, timeout=3)
    s = c.remote_settings
    check("SETTINGS_MAX_CONCURRENT_STREAMS 250", s.get(3) == 250, s)
    check("SETTINGS_MAX_HEADER_LIST_SIZE 1 MiB + 320", s.get(6) == (1 << 20) + 320, s)
    check("SETTINGS_INITIAL_WINDOW_SIZE 1 MiB", s.get(4) == 1 << 20, s)
    check("SETTINGS_MAX_FRAME_SIZE 1 MiB", s.get(5) == 1 << 20, s)
    sids = [c.request("/hi") for _ in range(250)]
    rs = c.wait(sids, timeout=20)
    check("250 concurrent streams", all(r.status == 201 for r in rs), sorted({r.status for r in rs}))
    c.close()
    out = subprocess.run(["h2load", "-n", "20000", "-c", "8", "-m", "50", "http://127.0.0.1:%d/hi" % z.port],
                         capture_output=True, text=True, timeout=60).stdout
    check("h2load 20000 requests, 50 streams per connection", "20000 succeeded" in out and "20000 2xx" in out,
          out[-600:])
    out = subprocess.run(["nghttp", "-n", "-m", "20", "http://127.0.0.1:%d/files/big.bin" % z.port],
                         capture_output=True, text=True, timeout=60)
    check("nghttp: 20 big files on one connection", out.returncode == 0, out.stderr[-300:])


def case_flow(z, big):
    c = Client(z.port, window=1000)
    r = c.get("/files/big.bin", timeout=60)
    check("small client window: every DATA frame fits it", r.body == big and max(r.data_frames) <= 1000,
          (len(r.body), max(r.data_frames or [0])))
    c.close()
    # a window of 0: the server sends nothing until the client opens it
    c = Client(z.port, window=0)
    sid = c.request("/files/a.txt")
    c.pump(lambda: False, timeout=0.5)
    r = c.responses[sid]
    check("zero window: headers only", r.status == 200 and r.body == b"", (r.status, r.body))
    c.conn.increment_flow_control_window(5, sid)
    c.flush()
    c.pump(lambda: len(c.responses[sid].body) >= 5, timeout=3, auto_window=False)
    check("WINDOW_UPDATE 5: five bytes", r.body == b"hello", r.body)
    c.conn.increment_flow_control_window(100, sid)
    c.flush()
    c.wait([sid])
    check("the rest after the next update", r.body == b"hello file\n", r.body)
    c.close()


def case_close_directive(z):
    c = Client(z.port)
    r = c.get("/close")
    c.pump(lambda: c.goaway is not None, timeout=3)
    check("respond close: the answer comes before the GOAWAY", r.status == 200, r.status)
    check("respond close: answer, then GOAWAY NO_ERROR", r.body == b"bye" and c.goaway is not None and
          c.goaway.error_code == 0, (r.body, c.goaway))
    c.close()


def raw_upstream(answer):
    """an upstream that reads a request head and writes answer as it is, then closes"""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)

    def serve():
        while True:
            try:
                s, _ = ls.accept()
            except OSError:
                return
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            s.sendall(answer)
            s.close()
    threading.Thread(target=serve, daemon=True).start()
    return ls


def case_upstream_framing():
    chunked = raw_upstream(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Up: c\r\n\r\n"
                           b"5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n")
    cut = raw_upstream(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
    z = Zsrt(BUILD, (":{PORT} {\n\tabort /abort\n\thandle_path /chunked/* {\n\t\treverse_proxy 127.0.0.1:%d\n\t}\n"
                     "\treverse_proxy 127.0.0.1:%d\n}\n") % (chunked.getsockname()[1], cut.getsockname()[1]))
    try:
        r = get(z.port, "/chunked/x")
        check("chunked upstream body relayed, no transfer-encoding", r.status == 200 and r.body == b"hello, world" and
              r.header("transfer-encoding") is None and r.header("content-length") is None and
              r.header("x-up") == "c", (r.status, r.body, r.headers))
        r = get(z.port, "/cut")
        check("upstream cut mid-body: RST_STREAM INTERNAL_ERROR", r.reset == 2 and r.body == b"only part",
              (r.status, r.reset, r.body))
        r = get(z.port, "/abort")
        check("abort: RST_STREAM INTERNAL_ERROR, as Go's handler abort", r.reset == 2 and r.status is None,
              (r.status, r.reset))
        check("after those the server serves", get(z.port, "/chunked/y").body == b"hello, world")
    finally:
        check("graceful stop (upstream framing)", z.stop() == 0)
        chunked.close()
        cut.close()


def case_reload():
    """a reload that replaces the upstream pool waits for an HTTP/2 stream
    whose upstream answer is still being relayed (here: held back by a client
    window of 0); new streams then go to the new upstream"""
    big = b"o" * 300000
    old = slow_upstream(lambda req: big)
    new = slow_upstream(lambda req: b"new upstream")
    z = Zsrt(BUILD, ":{PORT} {\n\treverse_proxy 127.0.0.1:%d\n}\n" % old.server_address[1])
    try:
        c = Client(z.port, window=0)
        sid = c.request("/in-flight")
        c.pump(lambda: c.responses[sid].status is not None, timeout=3)
        time.sleep(0.2)   # the relay fills and waits for the client
        src = open(os.path.join(z.dir, "Caddyfile")).read()
        with open(os.path.join(z.dir, "Caddyfile.new"), "w") as f:
            f.write(src.replace(str(old.server_address[1]), str(new.server_address[1])))
        r = subprocess.run([os.path.join(BUILD, "compiler", "zsc"), os.path.join(z.dir, "Caddyfile.new"),
                            "-o", z.blob + ".new"], capture_output=True, text=True)
        check("reload: the new blob compiles", r.returncode == 0, r.stderr)
        os.rename(z.blob + ".new", z.blob)
        z.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        c.conn.increment_flow_control_window(1 << 20, sid)
        c.flush()
        r = c.wait([sid], timeout=10)[0]
        check("reload: the stream in flight ends with the old upstream's answer", r.status == 200 and r.body == big,
              (r.status, len(r.body)))
        deadline = time.time() + 5
        body = None
        while time.time() < deadline and body != b"new upstream":
            body = get(z.port, "/after").body
            time.sleep(0.1)
        check("reload: then streams go to the new upstream", body == b"new upstream", body)
        c.close()
        check("reload: zsrt still running", z.alive(), z.output()[-1500:])
    finally:
        z.stop()
        old.shutdown()
        new.shutdown()


def case_graceful_stop(root):
    """raw frames: python3-h2 takes no frame after a GOAWAY, HTTP/2 allows them"""
    release = threading.Event()

    def slow(req):
        release.wait(5)
        return b"slow answer"
    srv = slow_upstream(slow)
    z = Zsrt(BUILD, ":{PORT} {\n\treverse_proxy 127.0.0.1:%d\n}\n" % srv.server_address[1])
    try:
        c = Raw(z.port)
        c.send(c.request(1, "/wait"))
        time.sleep(0.3)
        z.proc.send_signal(signal.SIGTERM)
        g = c.goaway(timeout=3)
        check("stop: GOAWAY NO_ERROR naming the stream in flight",
              g is not None and g.error_code == 0 and g.last_stream_id == 1, g)
        c.send(c.request(3, "/late"))
        release.set()
        frames = list(c.frames(timeout=5))
        data = b"".join(f.data for f in frames if isinstance(f, DataFrame) and f.stream_id == 1)
        check("stop: the stream in flight finishes", data == b"slow answer", frames)
        check("stop: a stream after GOAWAY is not served", not [f for f in frames if f.stream_id == 3], frames)
        check("stop: then the connection closes", c.closed)
        check("stop: graceful exit", z.proc.wait(timeout=10) == 0)
    finally:
        z.stop()
        srv.shutdown()


def case_no_h2c_by_default():
    """Caddy's default protocols are h1 h2 h3: no prior-knowledge HTTP/2 on a plain listener."""
    z = PlainZsrt(BUILD, ":{PORT} {\n\trespond \"hi\"\n}\n")
    try:
        s = socket.create_connection(("127.0.0.1", z.port), timeout=5)
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        got = b""
        try:
            while len(got) < 9:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
        except socket.timeout:
            pass
        s.close()
        check("without protocols h2c the preface is not HTTP/2", not (len(got) >= 9 and got[3] == 4), got[:40])
        check("zsrt serving after the preface", z.alive())
    finally:
        z.stop()


def main():
    root = tempfile.mkdtemp(prefix="zs-h2-")
    with open(os.path.join(root, "a.txt"), "wb") as f:
        f.write(b"hello file\n")
    big = os.urandom(2 * 1024 * 1024 + 7)
    with open(os.path.join(root, "big.bin"), "wb") as f:
        f.write(big)
    up = Upstream()
    never = threading.Event()
    slow = slow_upstream(lambda req: never.wait(0) or b"ok")
    z = Zsrt(BUILD, site(root, up.port, slow.server_address[1]))
    try:
        case_respond(z)
        case_files(z, root, big)
        case_proxy(z, up)
        case_streams(z)
        case_flow(z, big)
        case_close_directive(z)
        case_big_proxy(z, root, big)
        check("zsrt still running", z.alive())
    finally:
        rc = z.stop()
        check("graceful stop", rc == 0, rc)
        up.stop()
        slow.shutdown()
    case_upstream_framing()
    case_no_h2c_by_default()
    case_reload()
    case_graceful_stop(root)
    shutil.rmtree(root)
    print("%d failure(s)" % len(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
