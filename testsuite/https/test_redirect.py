#!/usr/bin/env python3
"""HTTP->HTTPS redirects of automatic HTTPS on the `http_port`: zsrt's status and
Location against what Debian's Caddy 2.6.2 answers on the same Caddyfile (run
here first), for a site on the `https_port` and one on a port of its own; and
none, as with Caddy, with `auto_https disable_redirects`.
Usage: test_redirect.py BUILD_DIR"""
import os
import shutil
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sites  # noqa: E402
import tlstools as t  # noqa: E402
from tlstools import check  # noqa: E402
from harness import get  # noqa: E402

REQUESTS = [("GET", "/a/b?c=d", "localhost:{HP}"), ("GET", "/", "localhost"),
            ("HEAD", "/x", "localhost:{HP}"), ("POST", "/form", "localhost"),
            ("GET", "/p?q", "own.localhost:{HP}"), ("GET", "/", "unknown.test")]


def caddyfile(pki, http_port, own_port, auto_https=None):
    cert, key = pki.path("localhost.pem"), pki.path("localhost.key")
    option = f"\tauto_https {auto_https}\n" if auto_https else ""
    return f"""{{
\tadmin off
\thttp_port {http_port}
\thttps_port {{PORT}}
{option}}}
localhost {{
\tbind 127.0.0.1
\ttls {cert} {key}
\trespond "secure {{http.request.scheme}}"
}}
https://own.localhost:{own_port} {{
\tbind 127.0.0.1
\ttls {cert} {key}
\trespond "own port"
}}
"""


def wait_port(port, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.3).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def answers(server, http_port, own_port):
    """(status, Location with the ports as {SP}/{HP}/{OWN}) for each request."""
    out = []
    for method, path, host in REQUESTS:
        host = host.replace("{HP}", str(http_port))
        try:
            r = get(http_port, path, host=host, method=method,
                    headers=[("Content-Length", "0")] if method == "POST" else [])
            loc = r.header("Location") or ""
            for port, name in ((server.port, "{SP}"), (http_port, "{HP}"), (own_port, "{OWN}")):
                loc = loc.replace(":%d" % port, ":" + name)
            out.append((r.status, loc))
        except (OSError, ValueError) as e:
            out.append(("error", repr(e)))
    return out


def run_server(make, pki, auto_https=None):
    """(what the HTTPS site answers, the redirects' answers or None when nothing
    listens on the http_port)."""
    http_port, own_port = t.free_port(), t.free_port()
    server = make(caddyfile(pki, http_port, own_port, auto_https))
    try:
        st, _, body, err = t.fetch(server.port, "/", "localhost", pki.path("ca.pem"))
        got = answers(server, http_port, own_port) if wait_port(http_port, 3 if auto_https else 10) else None
        return (st, body), got
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)


def check_redirects(build, pki):
    _, want = run_server(sites.CaddyPeer, pki)
    print("Caddy answers:", want)
    site, got = run_server(lambda text: sites.serve(build, text), pki)
    check("the HTTPS site answers", site == (200, "secure https"), site)
    check("the server listens on the http_port", got is not None)
    for (method, path, host), w, g in zip(REQUESTS, want, got or []):
        check(f"{method} {path} Host {host}: 308 as Caddy", g[0] == 308 and w[0] == 308, (g, w))
        check(f"{method} {path} Host {host}: Location as Caddy's ({w[1]})", g[1] == w[1], (g, w))


def check_disable_redirects(build, pki):
    _, want = run_server(sites.CaddyPeer, pki, "disable_redirects")
    site, got = run_server(lambda text: sites.serve(build, text), pki, "disable_redirects")
    check("auto_https disable_redirects: the HTTPS site answers", site == (200, "secure https"), site)
    check("auto_https disable_redirects: the http_port answers as Caddy's "
          f"({'not at all' if want is None else want})", got == want, got)


def main():
    t.skip_unless("openssl", "curl", "caddy")
    build = os.path.abspath(sys.argv[1])
    pki = t.Pki()
    pki.ca("ca")
    pki.leaf("localhost", "ca", ["localhost", "own.localhost"])
    try:
        for case in (check_redirects, check_disable_redirects):
            try:
                case(build, pki)
            except RuntimeError as e:
                check(f"{case.__name__}: the server starts", False, str(e)[-3000:])
    finally:
        pki.remove()
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
