#!/usr/bin/env python3
"""End-to-end: handle_errors and error served by zsrt, as Caddy's server
handles a handler's error: the error routes on the request as it was
sent, {http.error.*}, their own matchers, the error's status when they
answer nothing, and the first error's status when they fail themselves.
Over HTTP/1.1 and HTTP/2 (h2c). Usage: test_errors.py BUILD_DIR"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Zsrt, check, free_port, get, run_cases  # noqa: E402


def site(root):
    return """{
\tservers {
\t\tprotocols h1 h2c
\t}
}
:{PORT} {
\troot * ROOT
\theader X-Before yes
\theader -Server
\terror /teapot "short and stout" 418
\terror /down 503
\trewrite /moved /gone
\tfile_server
\thandle_errors 404 {
\t\trespond "{err.status_code} {err.status_text} at {path}: {err.message}"
\t}
\thandle_errors 418 {
\t\theader X-Error {err.id}
\t\trespond "{err.message}" 200
\t}
\thandle_errors 5xx {
\t\t@get expression `{method} == "GET"`
\t\trewrite @get /oops.html
\t\tfile_server @get
\t}
}""".replace("ROOT", root)


def case_http1(build, root):
    z = Zsrt(build, site(root))
    try:
        r = get(z.port, "/index.html")
        check("a file is served", r.status == 200 and r.body == b"home\n", (r.status, r.body))
        check("deferred delete applies to a normal answer", r.header("Server") is None, r.headers)
        r = get(z.port, "/missing?q=1")
        check("a missing file: the error route answers with the error's status",
              r.status == 404 and r.body == b"404 Not Found at /missing: Not Found", (r.status, r.body))
        check("headers set before the error stay", r.header("X-Before") == "yes", r.headers)
        check("deferred header ops are dropped on an error", r.header("Server") == "zsrt", r.headers)
        r = get(z.port, "/moved")
        check("the error routes see the request as it was sent", r.body.endswith(b"at /moved: Not Found"), r.body)
        r = get(z.port, "/teapot")
        check("error: the message, an explicit status", r.status == 200 and r.body == b"short and stout",
              (r.status, r.body))
        eid = r.header("X-Error") or ""
        check("{err.id} is nine lower-case letters and digits", len(eid) == 9 and eid.isalnum() and eid == eid.lower(),
              eid)
        r = get(z.port, "/down")
        check("file_server in an error route answers with the error's status",
              r.status == 503 and r.body == b"try later\n", (r.status, r.body))
        r = get(z.port, "/down", method="HEAD")
        check("error routes that answer nothing: the error's status (HEAD: no length, as Go)",
              r.status == 503 and r.header("Content-Length") is None, (r.status, r.headers))
    finally:
        z.stop()


def check_h2(what, port, path, status, body):
    """an HTTP/2 (h2c, prior knowledge) GET answered with status and body"""
    out = subprocess.run(["curl", "-s", "-i", "--http2-prior-knowledge", f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, timeout=10).stdout
    check(what, out.startswith(b"HTTP/2 %d" % status) and out.endswith(body), out)


def case_http2(build, root):
    z = Zsrt(build, site(root))
    try:
        check_h2("HTTP/2: the error route's answer", z.port, "/missing", 404, b"404 Not Found at /missing: Not Found")
    finally:
        z.stop()


def case_nested_error(build, root):
    z = Zsrt(build, ":{PORT} {\n\troot * " + root + "\n\terror /e 409\n\trespond \"ok\"\n"
             "\thandle_errors {\n\t\theader X-In yes\n\t\trewrite * /nothing-{err.status_code}.html\n"
             "\t\tfile_server\n\t}\n}")
    try:
        r = get(z.port, "/e")
        check("an error in the error routes: the first error's status, no body",
              r.status == 409 and r.body == b"", (r.status, r.body))
        check("... with the headers the error routes set", r.header("X-In") == "yes", r.headers)
        r = get(z.port, "/")
        check("no error: the normal answer", r.status == 200 and r.body == b"ok", (r.status, r.body))
    finally:
        z.stop()


def case_proxy(build, root):
    """the upstream's 502 goes to the error routes, over HTTP/1.1 and HTTP/2"""
    dead = free_port()
    z = Zsrt(build, "{\n\tservers {\n\t\tprotocols h1 h2c\n\t}\n}\n:{PORT} {\n\theader X-Before yes\n"
             f"\treverse_proxy 127.0.0.1:{dead}\n"
             "\thandle_errors {\n\t\trespond \"down {err.status_code} {err.status_text}\"\n\t}\n}")
    try:
        r = get(z.port, "/x")
        check("a 502 answered by the error routes", r.status == 502 and r.body == b"down 502 Bad Gateway",
              (r.status, r.body))
        check("... with the headers set before", r.header("X-Before") == "yes", r.headers)
        r = get(z.port, "/y")
        check("the connection goes on after it", r.status == 502, r.status)
        check_h2("HTTP/2: a 502 answered by the error routes", z.port, "/x", 502, b"down 502 Bad Gateway")
    finally:
        z.stop()


def refused(build, text, what, want):
    """zsc refuses the Caddyfile text with the message want"""
    with tempfile.TemporaryDirectory() as d:
        cf = os.path.join(d, "Caddyfile")
        with open(cf, "w") as f:
            f.write(text)
        r = subprocess.run([os.path.join(build, "compiler", "zsc"), cf, "-o", os.devnull], capture_output=True,
                           text=True)
        check(what, r.returncode == 1 and want in r.stderr, r.stderr)


def case_refused(build, _root):
    refused(build, ":8080 {\n\trespond \"{err.status_code}\"\n}\n", "{err.*} outside handle_errors is refused at its token",
            "Caddyfile:2:10: error: zsc cannot compile placeholder {http.error.status_code} outside handle_errors yet")
    refused(build, ":8080 {\n\treverse_proxy 127.0.0.1:9\n\thandle_errors {\n\t\trespond \"{err.message}\"\n\t}\n}\n",
            "{err.message} with reverse_proxy is refused at the placeholder's token",
            "Caddyfile:4:11: error: zsc cannot compile placeholder {http.error.message} in a server with reverse_proxy yet")
    refused(build, ":8080 {\n\t@x expression `{path}.startsWith('/a')`\n\trespond @x 200\n}\n",
            "a CEL method is refused at the expression", "Caddyfile:2:16: error: zsc cannot compile expression")
    refused(build, ":8080 {\n\t@x path_regexp x (?=a)b\n\trespond @x 200\n}\n",
            "a lookahead (PCRE's, not RE2's) is refused at the pattern", "Caddyfile:2:19: error: zsc cannot compile path_regexp pattern")


def main():
    build = sys.argv[1]
    root = tempfile.mkdtemp(prefix="zs-www-")
    for name, text in (("index.html", "home\n"), ("oops.html", "try later\n")):
        with open(os.path.join(root, name), "w") as f:
            f.write(text)
    run_cases((case_http1, case_http2, case_nested_error, case_proxy, case_refused), build, root)


if __name__ == "__main__":
    main()
