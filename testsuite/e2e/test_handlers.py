#!/usr/bin/env python3
"""End-to-end: every handler of the first subset, served by zsrt from blobs
built with clang and with tcc, answering as Caddy answers (Server aside).
Usage: test_handlers.py BUILD_DIR [clang|tcc]"""
import os
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Zsrt, get, read_response, request  # noqa: E402
from upstream import Upstream  # noqa: E402

failures = []


def check(what, cond, detail=""):
    if not cond:
        failures.append(f"{what}: {detail}")
        print(f"FAIL {what}: {detail}")
    else:
        print(f"ok   {what}")


def case_respond(build, cc):
    z = Zsrt(build, """:{PORT} {
\trespond /health "ok" 200
\trespond /gone 410
\trespond /hello "Hello, {host}! You asked for {path}?{query}" 201
}""", cc)
    try:
        r = get(z.port, "/health")
        check("respond body", r.status == 200 and r.body == b"ok", (r.status, r.body))
        check("respond content-type", r.header("Content-Type") == "text/plain; charset=utf-8", r.headers)
        check("respond content-length", r.header("Content-Length") == "2", r.headers)
        r = get(z.port, "/gone")
        check("respond status only", r.status == 410 and r.body == b"", (r.status, r.body))
        r = get(z.port, "/hello?x=1", host="Example.COM:8080")
        check("respond placeholders", r.status == 201 and r.body == b"Hello, Example.COM! You asked for /hello?x=1",
              (r.status, r.body))
        r = get(z.port, "/nothing")
        check("no handler: empty 200", r.status == 200 and r.body == b"", (r.status, r.body))
        r = get(z.port, "/health", method="HEAD")
        check("HEAD has no body", r.status == 200 and r.header("Content-Length") == "2", r.headers)
    finally:
        check("graceful stop", z.stop() == 0)


def case_headers_redir(build, cc):
    z = Zsrt(build, """:{PORT} {
\theader X-Set one
\theader +X-Add two
\theader /api/* Cache-Control "no-store"
\tredir /old /new 301
\tredir /tmp https://example.com{uri}
\trespond "body"
}""", cc)
    try:
        r = get(z.port, "/api/x")
        check("header set", r.header("X-Set") == "one", r.headers)
        check("header add", r.header_all("X-Add") == ["two"], r.headers)
        check("header with path matcher", r.header("Cache-Control") == "no-store", r.headers)
        r = get(z.port, "/other")
        check("header matcher not taken", r.header("Cache-Control") is None, r.headers)
        r = get(z.port, "/old")
        check("redir permanent", r.status == 301 and r.header("Location") == "/new", (r.status, r.headers))
        r = get(z.port, "/tmp?a=b")
        check("redir with {uri}", r.status == 302 and r.header("Location") == "https://example.com/tmp?a=b",
              (r.status, r.headers))
    finally:
        z.stop()


def case_matchers(build, cc):
    z = Zsrt(build, """:{PORT} {
\t@post method POST
\t@example host example.com
\t@debug header X-Debug yes
\t@static path *.css /assets/*
\trespond @post "post"
\trespond @debug "debug"
\trespond @static "static"
\trespond @example "example"
\trespond "default"
}""", cc)
    try:
        check("method matcher", get(z.port, "/", method="POST").body == b"post")
        check("header matcher", get(z.port, "/", headers=[("X-Debug", "yes")]).body == b"debug")
        check("header matcher value", get(z.port, "/", headers=[("X-Debug", "no")]).body == b"default")
        check("path suffix matcher", get(z.port, "/a/b.CSS").body == b"static")
        check("path prefix matcher", get(z.port, "/assets/x/y").body == b"static")
        check("host matcher", get(z.port, "/", host="EXAMPLE.com").body == b"example")
        check("fallthrough", get(z.port, "/x", host="other.org").body == b"default")
    finally:
        z.stop()


def case_handle(build, cc):
    z = Zsrt(build, """:{PORT} {
\thandle_path /api/* {
\t\trespond "api {path}"
\t}
\thandle /exact {
\t\trespond "exact"
\t}
\thandle {
\t\trespond "fallback {path}"
\t}
}""", cc)
    try:
        r = get(z.port, "/api/users/7")
        check("handle_path strips prefix", r.body == b"api /users/7", r.body)
        check("handle exact", get(z.port, "/exact").body == b"exact")
        check("handle fallback", get(z.port, "/exactly").body == b"fallback /exactly")
    finally:
        z.stop()


def case_files(build, cc):
    root = tempfile.mkdtemp(prefix="zs-www-")
    os.makedirs(os.path.join(root, "sub"))
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write("<h1>home</h1>\n")
    with open(os.path.join(root, "sub", "style.css"), "w") as f:
        f.write("body{}\n")
    outside = tempfile.mkdtemp(prefix="zs-secret-")
    with open(os.path.join(outside, "secret.txt"), "w") as f:
        f.write("secret\n")
    os.symlink(os.path.join(outside, "secret.txt"), os.path.join(root, "link.txt"))
    os.makedirs(os.path.join(root, "private"))
    for name in ("private/data.txt", "notes.secret"):
        with open(os.path.join(root, name), "w") as f:
            f.write("hidden\n")
    z = Zsrt(build, ":{PORT} {\n\troot * " + root + "\n\tfile_server {\n\t\thide *.secret " +
             os.path.join(root, "private") + "\n\t}\n}", cc)
    try:
        r = get(z.port, "/")
        check("index.html", r.status == 200 and r.body == b"<h1>home</h1>\n", (r.status, r.body))
        check("html content-type", r.header("Content-Type") == "text/html; charset=utf-8", r.headers)
        r = get(z.port, "/sub/style.css")
        check("css", r.status == 200 and r.header("Content-Type") == "text/css; charset=utf-8", r.headers)
        check("missing is 404", get(z.port, "/nope.txt").status == 404)
        check("hide by name glob", get(z.port, "/notes.secret").status == 404)
        check("hide by path", get(z.port, "/private/data.txt").status == 404)
        for p in ["/../" + os.path.basename(outside) + "/secret.txt", "/%2e%2e/%2e%2e/etc/passwd",
                  "/sub/..%2f..%2fetc/passwd", "/link.txt"]:
            r = get(z.port, p)
            check("no escape " + p, r.status in (403, 404) and b"secret" not in r.body and b"root:" not in r.body,
                  (r.status, r.body[:40]))
    finally:
        z.stop()
        shutil.rmtree(root)
        shutil.rmtree(outside)


def case_file_cache(build, cc):
    """zsrt keeps served files in a per-worker cache: a change must show at once
    (inotify), and within the revalidation interval where inotify cannot see it."""
    root = tempfile.mkdtemp(prefix="zs-cache-")
    os.makedirs(os.path.join(root, "d"))
    os.makedirs(os.path.join(root, "elsewhere"))

    def put(name, data):
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
    put("a.txt", b"one")
    put("d/index.txt", b"txt index")
    put("elsewhere/t.txt", b"first")
    os.symlink("elsewhere/t.txt", os.path.join(root, "link.txt"))   # relative: it stays beneath the root
    put("big.bin", os.urandom(300000))
    z = Zsrt(build, ":{PORT} {\n\troot * " + root + "\n\tfile_server\n}", cc)
    try:
        check("first answer", get(z.port, "/a.txt").body == b"one")
        check("cached answer", get(z.port, "/a.txt").body == b"one")
        put("a.txt", b"two")            # same size, likely the same mtime second
        r = get(z.port, "/a.txt")
        check("rewrite in place seen at once", r.body == b"two", r.body)
        tmp = os.path.join(root, "new.tmp")
        with open(tmp, "wb") as f:
            f.write(b"three!")
        os.rename(tmp, os.path.join(root, "a.txt"))
        r = get(z.port, "/a.txt")
        check("replace by rename seen at once", r.body == b"three!" and r.header("Content-Length") == "6",
              (r.body, r.headers))
        os.unlink(os.path.join(root, "a.txt"))
        check("delete seen at once", get(z.port, "/a.txt").status == 404)
        check("index.txt", get(z.port, "/d/").body == b"txt index")
        put("d/index.html", b"html index")
        check("a new index file wins at once", get(z.port, "/d/").body == b"html index")
        check("through a symlink", get(z.port, "/link.txt").body == b"first")
        put("elsewhere/t.txt", b"later")    # another folder: no event for the link's folder
        time.sleep(1.2)
        r = get(z.port, "/link.txt")
        check("a change inotify cannot see is served within the interval", r.body == b"later", r.body)
        big = open(os.path.join(root, "big.bin"), "rb").read()
        for i in range(2):
            r = get(z.port, "/big.bin")
            check(f"large file from the cache's descriptor ({i})", r.body == big, len(r.body))
        r = get(z.port, "/big.bin", headers=[("Range", "bytes=100-199")])
        check("range of a cached file", r.status == 206 and r.body == big[100:200], (r.status, len(r.body)))
    finally:
        z.stop()
        shutil.rmtree(root)


def case_proxy(build, cc):
    up = Upstream()
    z = Zsrt(build, ":{PORT} {\n\treverse_proxy 127.0.0.1:%d\n}" % up.port, cc)
    try:
        r = get(z.port, "/echo?q=1", host="site.test", headers=[("X-Forwarded-For", "6.6.6.6")])
        check("proxy status", r.status == 200, (r.status, r.body[:100]))
        seen = up.last
        check("proxy path", seen and seen["path"] == "/echo?q=1", seen)
        check("proxy host passthrough", seen and seen["headers"].get("host") == "site.test", seen)
        check("X-Forwarded-For", seen and seen["headers"].get("x-forwarded-for") == "127.0.0.1", seen)
        check("X-Forwarded-Proto", seen and seen["headers"].get("x-forwarded-proto") == "http", seen)
        check("X-Forwarded-Host", seen and seen["headers"].get("x-forwarded-host") == "site.test", seen)
        check("upstream header relayed", r.header("X-Upstream") == "yes", r.headers)
        r = request(z.port, b"POST /post HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")
        check("proxy request body", r.status == 200 and up.last and up.last["body"] == "hello", up.last)
        conns_before = up.connections
        for _ in range(5):
            get(z.port, "/again")
        check("upstream keep-alive", up.connections - conns_before <= 1, (conns_before, up.connections))
        up.stop()
        r = get(z.port, "/down")
        check("upstream down is 502", r.status == 502, r.status)
    finally:
        z.stop()
        up.stop()


def read_to_close(sock):
    """Everything the peer sends until it closes (a reset counts as closed)."""
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def case_abort_close(build, cc):
    z = Zsrt(build, """:{PORT} {
\tabort /abort
\trespond /bye "bye" {
\t\tclose
\t}
\trespond "ok"
}""", cc)
    get_ = "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n"
    try:
        with socket.create_connection(("127.0.0.1", z.port), timeout=5) as s:
            s.sendall((get_ % "/abort").encode())
            check("abort: closed with no bytes", read_to_close(s) == b"")
        with socket.create_connection(("127.0.0.1", z.port), timeout=5) as s:
            s.sendall((get_ % "/first" + get_ % "/abort" + get_ % "/never").encode())
            r, rest = read_response(s)
            check("abort: the response before it still goes", r.status == 200 and r.body == b"ok", (r.status, r.body))
            check("abort: nothing after it", rest + read_to_close(s) == b"")
        with socket.create_connection(("127.0.0.1", z.port), timeout=5) as s:
            s.sendall((get_ % "/bye" + get_ % "/never").encode())
            r, rest = read_response(s)
            check("respond close: the response", r.status == 200 and r.body == b"bye", (r.status, r.body))
            check("respond close: Connection: close", r.header("Connection") == "close", r.headers)
            check("respond close: then closed", rest + read_to_close(s) == b"")
        r = get(z.port, "/other")
        check("served on after abort and close", r.status == 200 and r.body == b"ok", (r.status, r.body))
    finally:
        check("graceful stop after abort", z.stop() == 0)


def main():
    build = sys.argv[1]
    cc = sys.argv[2] if len(sys.argv) > 2 else "clang"
    for case in (case_respond, case_headers_redir, case_matchers, case_handle, case_files, case_file_cache,
                 case_proxy, case_abort_close):
        print(f"== {case.__name__} ({cc})")
        try:
            case(build, cc)
        except Exception as e:  # a case that cannot even run is a failure, not a skip
            check(case.__name__, False, repr(e))
    print(f"{len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
