"""End-to-end reverse_proxy options against a loopback upstream: header_up and
header_down (add, set, delete, replace by substring and regexp, placeholders,
{http.reverse_proxy.upstream.*}), and trusted_proxies. What the upstream receives and what the
client gets are checked outright, then compared with Caddy's when caddy is
installed. Usage: test_proxy_options.py BUILD_DIR"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "diff"))
from harness import Zsrt, check, failures, free_port, request  # noqa: E402
from upstream import Upstream  # noqa: E402

HEADERS_CADDYFILE = """:{PORT} {
	reverse_proxy 127.0.0.1:UPSTREAM {
		header_up Host {upstream_hostport}
		header_up X-Real {remote_host}
		header_up +X-Add one
		header_up +X-Add two
		header_up -X-Del
		header_up X-Rep "a(b+)c" "[$1]"
		header_up X-Named "(?P<w>[a-z]+)=(\\d+)" "${2}:$w:$1x:$$"
		header_up X-Path "{path} {http.reverse_proxy.upstream.port} {http.reverse_proxy.upstream.host}"
		header_up X-Forwarded-Proto wss
		header_down -X-Upstream
		header_down X-Addr {http.reverse_proxy.upstream.address}
		header_down X-Swap "^(\\w+)-(\\w+)$" "$2-$1"
		header_down +X-Down added
		header_down Content-Type text/zs
	}
}
"""

REQUEST = ("GET /some/path?q=1 HTTP/1.1\r\nHost: site.test\r\nX-Del: gone\r\nX-Rep: xabbcy-ac-abc\r\n"
           "X-Named: key=12 and v=3\r\nX-Add: zero\r\nX-Forwarded-Proto: ftp\r\n\r\n").encode()

UP_FIELDS = ("host", "x-real", "x-del", "x-rep", "x-named", "x-path", "x-forwarded-proto",
             "x-forwarded-host", "x-forwarded-for")
DOWN_FIELDS = ("X-Upstream", "X-Addr", "X-Swap", "X-Down", "Content-Type")


def seen_by(up, port):
    """What the upstream saw and the client got for one request."""
    up.last = None
    r = request(port, REQUEST)
    seen = up.last or {"headers": {}, "header_list": []}
    fields = {k: seen["headers"].get(k) for k in UP_FIELDS}
    fields["x-add"] = [v for k, v in seen["header_list"] if k == "x-add"]
    client = {k: r.header_all(k) for k in DOWN_FIELDS}
    return r, fields, client


def case_zsrt(build, up):
    z = Zsrt(build, HEADERS_CADDYFILE.replace("UPSTREAM", str(up.port)))
    try:
        r, f, c = seen_by(up, z.port)
        check("header_up status", r.status == 200, (r.status, r.body[:200]))
        check("header_up Host {upstream_hostport}", f["host"] == "127.0.0.1:%d" % up.port, f)
        check("header_up set with {remote_host}", f["x-real"] == "127.0.0.1", f)
        check("header_up +add keeps the client's and adds in order", f["x-add"] == ["zero", "one", "two"], f)
        check("header_up -delete", f["x-del"] is None, f)
        check("header_up replace regexp, every match", f["x-rep"] == "x[bb]y-ac-[b]", f)
        check("header_up replace: Go's $ template (${2}, $name, $1x empty, $$)",
              f["x-named"] == "12:key::$ and 3:v::$", f)
        check("header_up placeholders of the request and the upstream",
              f["x-path"] == "/some/path %d 127.0.0.1" % up.port, f)
        check("header_up overrides X-Forwarded-Proto", f["x-forwarded-proto"] == "wss", f)
        check("X-Forwarded-Host is the client's Host", f["x-forwarded-host"] == "site.test", f)
        check("header_down -delete", c["X-Upstream"] == [], c)
        check("header_down {http.reverse_proxy.upstream.address}",
              c["X-Addr"] == ["tcp/127.0.0.1:%d" % up.port], c)
        check("header_down replace regexp", c["X-Swap"] == ["right-left"], c)
        check("header_down +add", c["X-Down"] == ["added"], c)
        check("header_down set replaces the upstream's field", c["Content-Type"] == ["text/zs"], c)
        return f, c
    finally:
        z.stop()


def case_caddy(up, zsrt_fields, zsrt_client):
    """The same Caddyfile served by Caddy: the same fields both ways."""
    if not shutil.which("caddy"):
        print("skip caddy comparison: caddy is not installed")
        return
    from servers import CaddyServer  # noqa: E402
    work = tempfile.mkdtemp(prefix="zs-e2e-caddy-")
    port = free_port()
    cf = os.path.join(work, "Caddyfile")
    with open(cf, "w") as fh:
        fh.write(HEADERS_CADDYFILE.replace("UPSTREAM", str(up.port)).replace("{PORT}", str(port)))
    caddy = CaddyServer(cf, port, work)
    try:
        _, f, c = seen_by(up, port)
        for k in f:
            check("as Caddy: upstream sees %s" % k, f[k] == zsrt_fields[k], (f[k], zsrt_fields[k]))
        for k in c:
            check("as Caddy: client gets %s" % k, c[k] == zsrt_client[k], (c[k], zsrt_client[k]))
    finally:
        caddy.stop()


TRUST_REQUEST = ("GET / HTTP/1.1\r\nHost: site.test\r\nX-Forwarded-For: 1.2.3.4\r\n"
                 "X-Forwarded-For: 5.6.7.8\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: orig.test\r\n\r\n").encode()
TRUST_FIELDS = ("x-forwarded-for", "x-forwarded-proto", "x-forwarded-host")
UNTRUSTED = ["127.0.0.1", "http", "site.test"]
TRUSTED = ["1.2.3.4, 5.6.7.8, 127.0.0.1", "https", "orig.test"]


def forwarded_seen(up, port):
    up.last = None
    r = request(port, TRUST_REQUEST)
    seen = (up.last or {}).get("headers", {})
    return r.status, [seen.get(k) for k in TRUST_FIELDS]


def trust_caddyfile(up, global_ranges, handler_ranges):
    glob = "{\n\tservers {\n\t\ttrusted_proxies static %s\n\t}\n}\n" % global_ranges if global_ranges else ""
    inner = "{\n\t\ttrusted_proxies %s\n\t}" % handler_ranges if handler_ranges else ""
    return glob + ":{PORT} {\n\treverse_proxy 127.0.0.1:%d %s\n}\n" % (up.port, inner)


def case_trusted(build, up):
    """trusted_proxies: X-Forwarded-* from a trusted peer are kept (and the
    peer appended to X-Forwarded-For), from any other peer replaced; Caddy
    2.6 has the handler's list, current Caddy the server's too."""
    cases = (("no trusted_proxies", None, None, UNTRUSTED),
             ("reverse_proxy trusted_proxies holding the peer", None, "10.0.0.0/8 127.0.0.0/8", TRUSTED),
             ("reverse_proxy trusted_proxies without the peer", None, "10.0.0.0/8 ::1", UNTRUSTED),
             ("server trusted_proxies static holding the peer", "127.0.0.1", None, TRUSTED),
             ("server trusted_proxies static without the peer", "192.168.0.0/16", None, UNTRUSTED))
    for what, glob, handler, want in cases:
        z = Zsrt(build, trust_caddyfile(up, glob, handler))
        try:
            status, got = forwarded_seen(up, z.port)
        finally:
            z.stop()
        check(what, status == 200 and got == want, (status, got))
        if glob is None and shutil.which("caddy"):
            from servers import CaddyServer  # noqa: E402
            work = tempfile.mkdtemp(prefix="zs-e2e-caddy-")
            port = free_port()
            cf = os.path.join(work, "Caddyfile")
            with open(cf, "w") as fh:
                fh.write(trust_caddyfile(up, glob, handler).replace("{PORT}", str(port)))
            caddy = CaddyServer(cf, port, work)
            try:
                check("as Caddy: " + what, forwarded_seen(up, port) == (status, got),
                      (forwarded_seen(up, port), got))
            finally:
                caddy.stop()


SUBSTRING_JSON = """{"apps": {"http": {"servers": {"srv0": {"listen": [":{PORT}"], "routes": [{"handle": [
  {"handler": "reverse_proxy", "upstreams": [{"dial": "127.0.0.1:UPSTREAM"}],
   "headers": {"request": {"replace": {"X-Sub": [{"search": "a.", "replace": "[{http.request.method}]"}],
                                       "*": [{"search": "zz", "replace": "Z"}]}}}}]}]}}}}}
"""


def case_substring(build, up):
    """replace with a substring search (JSON only: the Caddyfile always
    writes search_regexp): strings.ReplaceAll, on one field or on all ("*")"""
    z = Zsrt(build, SUBSTRING_JSON.replace("UPSTREAM", str(up.port)))
    try:
        up.last = None
        r = request(z.port, b"GET / HTTP/1.1\r\nHost: site.test\r\nX-Sub: xa.ya-b\r\nX-Other: zzzzz\r\n\r\n")
        seen = (up.last or {}).get("headers", {})
    finally:
        z.stop()
    check("replace search: a literal substring, placeholders in the replacement",
          r.status == 200 and seen.get("x-sub") == "x[GET]ya-b", (r.status, seen))
    check("replace on every field (\"*\")", seen.get("x-other") == "ZZz", seen)


def case_local_fields(build, up):
    """An upstream with no host (":PORT") is the local system, as Go dials it;
    request fields by name reach header_up"""
    z = Zsrt(build, (":{PORT} {\n\treverse_proxy :UPSTREAM {\n\t\theader_up X-From-Header {header.X-In}\n"
                     "\t\theader_up X-From-Cookie \"{cookie.sid}/{query.q}/{labels.1}\"\n\t}\n}\n").replace(
                         "UPSTREAM", str(up.port)))
    try:
        up.last = None
        r = request(z.port, b"GET /?q=a%20b&q=c HTTP/1.1\r\nHost: www.Site.test\r\nX-In: one\r\nX-In: two\r\n"
                            b"Cookie: x=1; SID=s1\r\n\r\n")
        seen = (up.last or {}).get("headers", {})
    finally:
        z.stop()
    check("upstream ':PORT' dials the local system", r.status == 200, (r.status, r.body[:200]))
    check("header_up {header.X-In}: every value joined by ','", seen.get("x-from-header") == "one,two", seen)
    check("header_up {cookie.sid}/{query.q}/{labels.1}", seen.get("x-from-cookie") == "s1/a b,c/site", seen)


def case_refused(build):
    """What header ops zsc cannot honour is refused at compile time."""
    for sub, why in (("header_down X-A {http.reverse_proxy.upstream.requests}", "placeholder"),
                     ("header_up X-A \"a(\" b", "search_regexp"),
                     ("trusted_proxies 10.0.0.0/33", "CIDR")):
        try:
            Zsrt(build, ":{PORT} {\n\treverse_proxy 127.0.0.1:9 {\n\t\t%s\n\t}\n}\n" % sub).stop()
            check("refused: " + sub, False, "compiled")
        except RuntimeError as e:
            check("refused: " + sub, why in str(e) and "error:" in str(e), str(e)[-300:])


def main():
    build = sys.argv[1]
    up = Upstream()
    up.extra_headers = [("X-Swap", "left-right")]
    try:
        f, c = case_zsrt(build, up)
        case_caddy(up, f, c)
        case_trusted(build, up)
        case_substring(build, up)
        case_local_fields(build, up)
        case_refused(build)
    finally:
        up.stop()
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
