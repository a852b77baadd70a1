#!/usr/bin/env python3
"""HTTP->HTTPS redirects of automatic HTTPS on the `http_port`: zsrt's status and
Location against what Debian's Caddy 2.6.2 answers on the same Caddyfile (run
here first), for a site on the `https_port` and one on a port of its own.
Usage: test_redirect.py BUILD_DIR"""
import os
import shutil
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tlstools as t  # noqa: E402
from tlstools import check  # noqa: E402
from harness import get  # noqa: E402

REQUESTS = [("GET", "/a/b?c=d", "localhost:{HP}"), ("GET", "/", "localhost"),
            ("HEAD", "/x", "localhost:{HP}"), ("POST", "/form", "localhost"),
            ("GET", "/p?q", "own.localhost:{HP}"), ("GET", "/", "unknown.test")]


def caddyfile(pki, http_port, own_port):
    cert, key = pki.path("localhost.pem"), pki.path("localhost.key")
    return f"""{{
\tadmin off
\thttp_port {http_port}
\thttps_port {{PORT}}
}}
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


def wait_port(port):
    deadline = time.time() + 10
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


def run_server(make, pki):
    http_port, own_port = t.free_port(), t.free_port()
    server = make(caddyfile(pki, http_port, own_port))
    try:
        if not wait_port(http_port):
            return None, f"nothing listens on the http_port {http_port}"
        got = answers(server, http_port, own_port)
        st, _, body, err = t.fetch(server.port, "/", "localhost", pki.path("ca.pem"))
        return got, (st, body)
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)


def main():
    t.skip_unless("openssl", "curl", "caddy")
    build = os.path.abspath(sys.argv[1])
    pki = t.Pki()
    pki.ca("ca")
    pki.leaf("localhost", "ca", ["localhost", "own.localhost"])
    try:
        want, _ = run_server(t.CaddyPeer, pki)
        print("Caddy answers:", want)
        try:
            got, site = run_server(lambda text: t.serve(build, text), pki)
        except RuntimeError as e:
            check("zsrt starts", False, str(e)[-3000:])
            return t.finish()
        if got is None:
            check("zsrt listens on the http_port", False, site)
            return t.finish()
        check("the HTTPS site answers", site == (200, "secure https"), site)
        for (method, path, host), w, g in zip(REQUESTS, want, got):
            check(f"{method} {path} Host {host}: 308 as Caddy", g[0] == 308 and w[0] == 308, (g, w))
            check(f"{method} {path} Host {host}: Location as Caddy's ({w[1]})", g[1] == w[1], (g, w))
    finally:
        pki.remove()
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
