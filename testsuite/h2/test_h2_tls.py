#!/usr/bin/env python3
"""HTTP/2 over TLS: an https:// site with certificate files negotiates h2 by
ALPN (h2 offered first, as Caddy), serves respond, files with ranges and the
proxy on it, and a client that offers only http/1.1 still gets HTTP/1.1.
Usage: test_h2_tls.py BUILD_DIR"""
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h2lib import Client, Zsrt, check, failures  # noqa: E402
from served import upstream  # noqa: E402

BUILD = sys.argv[1]


def make_cert(d):
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost"], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    return cert, key


def http11_over_tls(port, ca):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.set_alpn_protocols(["http/1.1"])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(b"GET /hi HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            return s.selected_alpn_protocol(), data


def main():
    d = tempfile.mkdtemp(prefix="zs-h2tls-")
    cert, key = make_cert(d)
    with open(os.path.join(d, "a.txt"), "wb") as f:
        f.write(b"hello over tls\n")
    up = upstream(lambda req: b"upstream saw " + req.headers.get("X-Forwarded-Proto", "").encode())
    site = ("https://localhost:{PORT} {\n\ttls %s %s\n"
            "\trespond /hi \"{http.request.proto} {scheme}\" 201\n"
            "\thandle /files/* {\n\t\troot * %s\n\t\turi strip_prefix /files\n\t\tfile_server\n\t}\n"
            "\treverse_proxy 127.0.0.1:%d\n}\n") % (cert, key, d, up.server_address[1])
    z = Zsrt(BUILD, site)
    try:
        c = Client(z.port, tls_ca=cert)
        check("ALPN: h2 negotiated", c.alpn == "h2", c.alpn)
        r = c.get("/hi")
        check("respond over TLS: HTTP/2.0 https", r.status == 201 and r.body == b"HTTP/2.0 https", (r.status, r.body))
        r = c.get("/files/a.txt", headers=[("range", "bytes=6-9")])
        check("file range over TLS", r.status == 206 and r.body == b"over", (r.status, r.body))
        sids = [c.request("/up/%d" % i) for i in range(20)]
        rs = c.wait(sids)
        check("20 proxied streams over TLS, X-Forwarded-Proto https",
              all(x.status == 200 and x.body == b"upstream saw https" for x in rs), [(x.status, x.body) for x in rs[:2]])
        c.close()
        c = Client(z.port, tls_ca=cert, window=1000)
        big = os.urandom(300000)
        with open(os.path.join(d, "big.bin"), "wb") as f:
            f.write(big)
        r = c.get("/files/big.bin", timeout=30)
        check("small client window over TLS", r.body == big and max(r.data_frames) <= 1000, (len(r.body),))
        c.close()
        alpn, data = http11_over_tls(z.port, cert)
        check("ALPN http/1.1 only: HTTP/1.1", alpn == "http/1.1" and data.startswith(b"HTTP/1.1 201") and
              data.endswith(b"HTTP/1.1 https"), (alpn, data[:60], data[-30:]))
        out = subprocess.run(["curl", "-s", "--cacert", cert, "--http2", "--resolve", "localhost:%d:127.0.0.1" % z.port,
                              "-w", " %{http_version}", "https://localhost:%d/hi" % z.port],
                             capture_output=True, text=True, timeout=20).stdout
        check("curl --http2 over TLS", out == "HTTP/2.0 https 2", out)
        check("zsrt still running", z.alive())
    finally:
        rc = z.stop()
        check("graceful stop", rc == 0, rc)
        up.shutdown()
        shutil.rmtree(d)
    print("%d failure(s)" % len(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
