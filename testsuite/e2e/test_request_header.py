"""End-to-end request header ops (request_header, and header ops on the
request in routes): add, set and delete with placeholders edit the request
itself, so a later matcher, a later placeholder and the upstream all see the
edited fields, over HTTP/1.1 and HTTP/2 (h2c); compared with Caddy's answers
when caddy is installed. Usage: test_request_header.py BUILD_DIR"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "diff"))
from harness import Zsrt, check, free_port, request, run_cases  # noqa: E402
from upstream import Upstream  # noqa: E402

CADDYFILE = """{
	servers {
		protocols h1 h2c
	}
}
:{PORT} {
	request_header X-Set "set {path}"
	request_header +X-Add second
	request_header -X-Gone
	@tagged header X-Set "set /seen*"
	route /seen {
		respond @tagged "{header.X-Set}|{header.X-Add}|{header.X-Gone}|{header.X-Keep}"
	}
	route /up {
		request_header X-Late "{header.X-Set}!"
		reverse_proxy 127.0.0.1:UPSTREAM
	}
}
"""

REQUEST = ("GET {PATH} HTTP/1.1\r\nHost: site.test\r\nX-Set: client\r\nX-Set: client2\r\nX-Add: first\r\n"
           "X-Gone: away\r\nX-Keep: kept\r\n\r\n")


def served(port, up):
    """What a client gets for /seen and what the upstream sees for /up."""
    seen = request(port, REQUEST.replace("{PATH}", "/seen").encode())
    up.last = None
    proxied = request(port, REQUEST.replace("{PATH}", "/up").encode())
    fields = {k: [v for n, v in (up.last or {"header_list": []})["header_list"] if n == k]
              for k in ("x-set", "x-add", "x-gone", "x-keep", "x-late")}
    return (seen.status, seen.body.decode()), proxied.status, fields


def check_served(what, got):
    (status, body), proxied, fields = got
    check(what + ": a matcher and placeholders after request_header see the edit",
          status == 200 and body == "set /seen|first,second||kept", (status, body))
    check(what + ": the upstream gets the edited fields", proxied == 200 and fields == {
        "x-set": ["set /up"], "x-add": ["first", "second"], "x-gone": [], "x-keep": ["kept"],
        "x-late": ["set /up!"]}, (proxied, fields))


def h2_get(port, path):
    r = subprocess.run(["curl", "-s", "--http2-prior-knowledge", "-H", "X-Set: client", "-H", "X-Add: first",
                        "-H", "X-Gone: away", "http://127.0.0.1:%d%s" % (port, path)],
                       capture_output=True, text=True, timeout=30)
    return r.stdout


def case_http1_and_h2(build):
    up = Upstream()
    z = Zsrt(build, CADDYFILE.replace("UPSTREAM", str(up.port)))
    try:
        got = served(z.port, up)
        check_served("HTTP/1.1", got)
        if shutil.which("curl"):
            body = h2_get(z.port, "/seen")
            check("h2c: placeholders see the edit", body == "set /seen|first,second||", body)
            seen = json.loads(h2_get(z.port, "/up") or "{}").get("header_list", [])
            mine = [f for f in seen if f[0].startswith("x-") and not f[0].startswith("x-forwarded-")]
            check("h2c: the upstream gets the edited fields",
                  mine == [["x-add", "first"], ["x-set", "set /up"], ["x-add", "second"], ["x-late", "set /up!"]],
                  seen)
    finally:
        z.stop()
    if not shutil.which("caddy"):
        print("skip caddy comparison: caddy is not installed")
        up.stop()
        return
    from servers import CaddyServer  # noqa: E402
    work = tempfile.mkdtemp(prefix="zs-e2e-caddy-")
    port = free_port()
    cf = os.path.join(work, "Caddyfile")
    with open(cf, "w") as fh:
        fh.write(CADDYFILE.replace("UPSTREAM", str(up.port)).replace("{PORT}", str(port)))
    caddy = CaddyServer(cf, port, work)
    try:
        check("as Caddy", served(port, up) == got, (served(port, up), got))
    finally:
        caddy.stop()
        up.stop()


def case_refused(build):
    """Fields the runtime keeps apart from the header list are refused at the op."""
    for line, why in (("request_header Host other.test", "'Host'"),
                      ("request_header -Content-Length", "'Content-Length'"),
                      ("request_header X-A a b", "replace")):
        try:
            Zsrt(build, ":{PORT} {\n\t%s\n\trespond ok\n}\n" % line).stop()
            check("refused: " + line, False, "compiled")
        except RuntimeError as e:
            check("refused: " + line, why in str(e) and ":2:" in str(e), str(e)[-300:])


if __name__ == "__main__":
    run_cases((case_http1_and_h2, case_refused), sys.argv[1])
