"""End-to-end reverse_proxy rewrite (the `method` and `rewrite` subdirectives,
what forward_auth asks its auth server with): the method and URI the upstream
sees, the body Caddy drops when the method is written GET or HEAD and the
request changed, the client's request left as it came; HTTP/1.1 and h2c, then
compared with Caddy when caddy is installed. Usage: test_proxy_rewrite.py BUILD_DIR"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "diff"))
from harness import Zsrt, check, free_port, read_response, request, run_cases  # noqa: E402
from upstream import Upstream  # noqa: E402

SITES = {
    "get": "\t\tmethod GET\n\t\trewrite /auth/verify?rd={uri}&m={method}\n\t\theader_up X-Uri {uri}\n",
    "placeholder": "\t\tmethod {header.X-Method}\n\t\trewrite /v2{path}\n",
    "uri only": "\t\trewrite /only?{query}&added=1\n",
    "lowercase get": "\t\tmethod get\n\t\trewrite /low\n",
}

REQUESTS = (
    ("GET", "/some/p?x=1", b""),
    ("POST", "/form?a=b", b"field=value"),
)


def caddyfile(up, what):
    return ":{PORT} {\n\treverse_proxy 127.0.0.1:%d {\n%s\t}\n}\n" % (up.port, SITES[what])


def raw(method, target, body, extra=""):
    head = "%s %s HTTP/1.1\r\nHost: site.test\r\nX-Method: patch\r\n%s" % (method, target, extra)
    if body:
        head += "Content-Length: %d\r\n" % len(body)
    return (head + "\r\n").encode() + body


def seen_for(up, port, method, target, body):
    """What the upstream saw (method, URI, body, Content-Length, X-Uri), the client's status,
    and the status of a second request on the same connection (the body was consumed, not
    taken for a request)."""
    up.last = None
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(raw(method, target, body))
        first, _ = read_response(s)
        seen = up.last or {}
        s.sendall(raw("GET", "/second", b""))
        second, _ = read_response(s)
    h = seen.get("headers", {})
    return (first.status, seen.get("method"), seen.get("path"), seen.get("body"), h.get("content-length"),
            h.get("x-uri"), second.status)


def case_http1(build):
    up = Upstream()
    results = {}
    try:
        for what in SITES:
            z = Zsrt(build, caddyfile(up, what))
            try:
                for method, target, body in REQUESTS:
                    results[what, method] = seen_for(up, z.port, method, target, body)
            finally:
                z.stop()
    finally:
        up.stop()
    g = results["get", "GET"]
    check("method GET: upstream gets GET", g[1] == "GET", g)
    check("rewrite with placeholders: the upstream URI, the query escaped as Caddy's",
          g[2] == "/auth/verify?rd=%2Fsome%2Fp%3Fx%3D1&m=GET", g)
    check("header_up placeholders see the request as it came", g[5] == "/some/p?x=1", g)
    check("the connection goes on after it", g[6] == 200, g)
    p = results["get", "POST"]
    check("a POST rewritten to GET goes up as GET", p[0] == 200 and p[1] == "GET", p)
    check("  without its body and without a Content-Length", p[3] == "" and p[4] is None, p)
    check("  the client's body is read and dropped: the next request is answered", p[6] == 200, p)
    check("  {method} in the rewrite is the client's", p[2] == "/auth/verify?rd=%2Fform%3Fa%3Db&m=POST", p)
    for method, _, _ in REQUESTS:
        r = results["placeholder", method]
        check("method from a placeholder, uppercased (%s)" % method, r[0] == 200 and r[1] == "PATCH", r)
        check("rewrite without '?' keeps the query (%s)" % method, r[2] in ("/v2/some/p?x=1", "/v2/form?a=b"), r)
    r = results["placeholder", "POST"]
    check("a method that is not GET or HEAD keeps the body", r[3] == "field=value" and r[4] == "11", r)
    r = results["placeholder", "GET"]
    check("PATCH without a body goes up with Content-Length: 0, as Go sends it", r[4] == "0", r)
    r = results["uri only", "GET"]
    check("rewrite alone keeps the method", r[1] == "GET" and r[2] == "/only?x=1&added=1", r)
    r = results["uri only", "POST"]
    check("rewrite alone keeps method and body", r[1] == "POST" and r[3] == "field=value", r)
    r = results["lowercase get", "POST"]
    check("method written 'get' goes up as GET but keeps the body (Caddy compares as written)",
          r[1] == "GET" and r[2] == "/low?a=b" and r[3] == "field=value", r)
    return results


OURS = {}


def case_zsrt(build):
    OURS.update(case_http1(build))


def case_caddy(build):
    """The same sites served by Caddy: the upstream sees the same."""
    if not shutil.which("caddy") or not OURS:
        print("skip caddy comparison: caddy is not installed")
        return
    ours = OURS
    from servers import CaddyServer  # noqa: E402
    up = Upstream()
    try:
        for what in SITES:
            work = tempfile.mkdtemp(prefix="zs-e2e-caddy-")
            port = free_port()
            cf = os.path.join(work, "Caddyfile")
            with open(cf, "w") as fh:
                fh.write(caddyfile(up, what).replace("{PORT}", str(port)))
            caddy = CaddyServer(cf, port, work)
            try:
                for method, target, body in REQUESTS:
                    theirs = seen_for(up, port, method, target, body)
                    check("as Caddy: %s, %s" % (what, method), theirs == ours[what, method],
                          (theirs, ours[what, method]))
            finally:
                caddy.stop()
    finally:
        up.stop()


def case_h2(build):
    if not shutil.which("nghttp"):
        print("skip: no nghttp")
        return
    up = Upstream()
    z = Zsrt(build, "{\n\tservers {\n\t\tprotocols h1 h2c\n\t}\n}\n" + caddyfile(up, "get"))
    try:
        d = os.path.join(z.dir, "data")
        with open(d, "wb") as f:
            f.write(b"h2 body")
        base = "http://127.0.0.1:%d/h2/p?y=2" % z.port
        for args, what in (([], "GET"), (["-d", d], "POST")):
            up.last = None
            r = subprocess.run(["nghttp", "-v"] + args + [base], capture_output=True, text=True, timeout=30)
            status = [line.split()[-1] for line in r.stdout.splitlines() if ":status:" in line]
            seen = up.last or {}
            check("h2c %s: 200" % what, status[-1:] == ["200"], r.stdout[-1500:])
            check("h2c %s: upstream gets GET %s" % (what, seen.get("path")),
                  seen.get("method") == "GET" and seen.get("path") == "/auth/verify?rd=%2Fh2%2Fp%3Fy%3D2&m=" + what,
                  seen)
            check("h2c %s: no body goes up" % what, seen.get("body") == "", seen)
    finally:
        z.stop()
        up.stop()


REFUSED_JSON = """{"apps": {"http": {"servers": {"srv0": {"listen": [":8080"], "routes": [{"handle": [
  {"handler": "reverse_proxy", "upstreams": [{"dial": "127.0.0.1:9"}],
   "rewrite": {"method": "GET", "strip_path_prefix": "/api"}}]}]}}}}}
"""


def case_refused(build):
    """The parts of Caddy's Rewrite zsc does not apply to the upstream request are refused."""
    work = tempfile.mkdtemp(prefix="zs-e2e-")
    cf = os.path.join(work, "config.json")
    with open(cf, "w") as fh:
        fh.write(REFUSED_JSON)
    r = subprocess.run([os.path.join(build, "compiler", "zsc"), cf, "-o", os.path.join(work, "x.zsb")],
                       capture_output=True, text=True)
    check("reverse_proxy rewrite strip_path_prefix is refused at its key",
          r.returncode != 0 and ":3:" in r.stderr and "strip_path_prefix" in r.stderr, r.stderr)


def main():
    run_cases((case_zsrt, case_caddy, case_h2, case_refused), sys.argv[1])


if __name__ == "__main__":
    main()
