#!/usr/bin/env python3
"""End-to-end: rewrite and uri served by zsrt, what the rewritten request
reaches (a file, an upstream, a placeholder) as Caddy's rewrite handler
leaves it. Usage: test_rewrites.py BUILD_DIR"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Zsrt, check, get, run_cases  # noqa: E402
from upstream import Upstream  # noqa: E402


def case_placeholders(build):
    z = Zsrt(build, """:{PORT} {
\trewrite /old /new?from={path}&{query}
\trewrite /q ?{query}&added=1
\trewrite /clear /cleared?
\trewrite /static/* /s{path}
\troute /r/* {
\t\turi replace /old/ /new/ 1
\t}
\turi strip_suffix .html
\trespond "{uri}|{path}|{query}|{http.request.orig_uri}"
}""")
    try:
        def body(path):
            return get(z.port, path).body.decode()
        check("uri path and query with placeholders", body("/old?a=1") == "/new?from=%2Fold&a=1|/new|from=%2Fold&a=1|/old?a=1",
              body("/old?a=1"))
        check("query only: the path stays, no '&' before an empty query", body("/q") == "/q?added=1|/q|added=1|/q",
              body("/q"))
        check("a bare '?' clears the query", body("/clear?x=1") == "/cleared|/cleared||/clear?x=1", body("/clear?x=1"))
        check("{path} goes in escaped", body("/static/a%20b") == "/s/static/a%20b|/s/static/a b||/static/a%20b",
              body("/static/a%20b"))
        check("replace with a limit, in path and query", body("/r/old/old?k=/old/") ==
              "/r/new/old?k=/new/|/r/new/old|k=/new/|/r/old/old?k=/old/", body("/r/old/old?k=/old/"))
        check("strip_suffix, case-insensitive", body("/page.HTML") == "/page|/page||/page.HTML", body("/page.HTML"))
        check("no suffix: the path stays", body("/page.htm") == "/page.htm|/page.htm||/page.htm", body("/page.htm"))
    finally:
        z.stop()


def case_files(build):
    """the single-page-app fallback: every path that is no file serves index.html"""
    root = tempfile.mkdtemp(prefix="zs-www-")
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write("<h1>app</h1>\n")
    with open(os.path.join(root, "real.txt"), "w") as f:
        f.write("real\n")
    z = Zsrt(build, ":{PORT} {\n\troot * " + root + "\n\t@notreal not path /real.txt\n"
             "\trewrite @notreal /index.html\n\tfile_server\n}")
    try:
        r = get(z.port, "/some/deep/route?x=1")
        check("rewritten to index.html", r.status == 200 and r.body == b"<h1>app</h1>\n", (r.status, r.body))
        check("its content type", r.header("Content-Type") == "text/html; charset=utf-8", r.headers)
        r = get(z.port, "/real.txt")
        check("a real file is served as it is", r.status == 200 and r.body == b"real\n", (r.status, r.body))
    finally:
        z.stop()
        shutil.rmtree(root)


def case_try_files(build):
    """try_files and the file matcher: what exists decides, as it changes"""
    root = tempfile.mkdtemp(prefix="zs-www-")
    for name, text in (("index.html", "<h1>app</h1>\n"), ("about.html", "about\n"), ("docs/index.html", "docs\n"),
                       ("a.txt", "aaaa\n"), ("b.txt", "b\n")):
        os.makedirs(os.path.dirname(os.path.join(root, name)), exist_ok=True)
        with open(os.path.join(root, name), "w") as f:
            f.write(text)
    z = Zsrt(build, ":{PORT} {\n\troot * " + root + """
\t@small file {
\t\ttry_files /a.txt /b.txt
\t\ttry_policy smallest_size
\t}
\thandle /small {
\t\trespond @small "{file_match.relative} {file_match.type}"
\t}
\thandle {
\t\ttry_files {path}.html {path} {path}/ /index.html
\t\tfile_server
\t}
}""")
    try:
        r = get(z.port, "/about")
        check("try_files: {path}.html", r.status == 200 and r.body == b"about\n", (r.status, r.body))
        r = get(z.port, "/docs")
        # as in Caddy: the file name was not rewritten, so file_server makes the URI canonical
        check("try_files: {path}/ redirects to the directory", r.status == 308 and r.header("Location") == "/docs/",
              (r.status, r.headers))
        r = get(z.port, "/docs/")
        check("try_files: the directory's index", r.status == 200 and r.body == b"docs\n", (r.status, r.body))
        r = get(z.port, "/no/such/page")
        check("try_files: the fallback", r.status == 200 and r.body == b"<h1>app</h1>\n", (r.status, r.body))
        with open(os.path.join(root, "new.html"), "w") as f:
            f.write("new\n")
        r = get(z.port, "/new")
        check("try_files: a file made now is found", r.status == 200 and r.body == b"new\n", (r.status, r.body))
        r = get(z.port, "/small")
        check("smallest_size picks the smaller file", r.body == b"/b.txt file", r.body)
        with open(os.path.join(root, "a.txt"), "w") as f:
            f.write("a")
        r = get(z.port, "/small")
        check("smallest_size follows a change", r.body == b"/a.txt file", r.body)
    finally:
        z.stop()
        shutil.rmtree(root)


def case_proxy(build):
    up = Upstream()
    z = Zsrt(build, ":{PORT} {\n\trewrite /api/* /v2{path}\n\turi strip_suffix .json\n"
             "\treverse_proxy 127.0.0.1:%d\n}" % up.port)
    try:
        r = get(z.port, "/api/items.json?page=2")
        check("proxied", r.status == 200, (r.status, r.body[:100]))
        check("upstream sees the rewritten path and the query",
              up.last and up.last["path"] == "/v2/api/items?page=2", up.last)
        get(z.port, "/api/a%2Fb")
        # Caddy unescapes the new path and sends Go's escaping of it
        check("a rewritten path is sent as Go escapes it", up.last and up.last["path"] == "/v2/api/a/b", up.last)
    finally:
        z.stop()
        up.stop()


def main():
    run_cases((case_placeholders, case_files, case_try_files, case_proxy), sys.argv[1])


if __name__ == "__main__":
    main()
