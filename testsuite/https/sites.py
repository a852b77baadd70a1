"""The servers of the HTTPS end-to-end tests: zsrt (zsc compiles the Caddyfile,
../e2e/harness.py runs it) or Caddy 2.6.2 on the same Caddyfile, started, checked
and stopped by PID; and the site every handler test serves (respond, TLS
placeholders, files, proxy) with its checks over HTTP/1.1 and HTTP/2."""
import os
import shutil
import tempfile

import tlstools
from tlstools import Pki, check, fetch, nghttp
from harness import Zsrt
from served import Served, free_port, upstream


class CaddyPeer(Served):
    """Debian's Caddy 2.6.2 on the same Caddyfile ({PORT} replaced as for zsrt), to
    check what Caddy answers (ZS_HTTPS_PEER=caddy runs a whole test against it)."""

    def __init__(self, caddyfile_text, port=None):
        self.dir = tempfile.mkdtemp(prefix="zs-https-caddy-")
        port = port or free_port()
        cf = os.path.join(self.dir, "Caddyfile")
        with open(cf, "w") as f:
            f.write(caddyfile_text.replace("{PORT}", str(port)))
        env = dict(os.environ, HOME=self.dir, XDG_DATA_HOME=self.dir + "/data",
                   XDG_CONFIG_HOME=self.dir + "/config")
        super().__init__(["caddy", "run", "--config", cf, "--adapter", "caddyfile"], port, self.dir, "caddy",
                         env=env)


def serve(build, caddyfile_text, workers=1):
    """The server under test on the Caddyfile: zsrt (zsc compiles it), or Caddy
    when ZS_HTTPS_PEER=caddy (to check a test against Caddy itself)."""
    if os.environ.get("ZS_HTTPS_PEER") == "caddy":
        tlstools.skip_unless("caddy")
        return CaddyPeer(caddyfile_text)
    return Zsrt(build, caddyfile_text, workers=workers)


BIG_SIZE = 300 * 1024       # above HTTP/2's initial 64 KiB window: flow control runs


def make_www():
    """A document root: index.html and a 300 KiB file of known bytes."""
    www = tempfile.mkdtemp(prefix="zs-https-www-")
    with open(os.path.join(www, "index.html"), "w") as f:
        f.write("<p>zs https index</p>\n")
    with open(os.path.join(www, "big.bin"), "wb") as f:
        f.write(bytes(i * 7 % 251 for i in range(BIG_SIZE)))
    return www


def echo_upstream():
    """An HTTP/1.1 upstream answering "PATH xfp=X-Forwarded-Proto"."""
    return upstream(lambda req: ("%s xfp=%s" % (req.path, req.headers.get("X-Forwarded-Proto"))).encode())


# what /tls answers (test_cert_files.py checks each value)
TLS_PLACEHOLDERS = ("version={http.request.tls.version} cipher={tls_cipher} scheme={http.request.scheme} "
                    "proto={http.request.proto} alpn={http.request.tls.proto} sni={http.request.tls.server_name}")


def handler_routes(www, upstream_port):
    """The site body every HTTPS test serves: a fixed response, the TLS
    placeholders, files (with ranges) and a reverse proxy."""
    return f"""\thandle /respond {{
\t\trespond "hello https"
\t}}
\thandle /tls {{
\t\trespond "{TLS_PLACEHOLDERS}"
\t}}
\thandle_path /files/* {{
\t\troot * {www}
\t\tfile_server
\t}}
\thandle /proxy/* {{
\t\treverse_proxy 127.0.0.1:{upstream_port}
\t}}
"""


def check_handlers(label, port, www, cacert, args=(), host="localhost", nghttp_args=()):
    """respond, files (whole and a range) and proxy over HTTP/1.1 (curl --http1.1)
    and HTTP/2 (curl --http2; nghttp too when host is localhost) on an HTTPS
    site of handler_routes; args go to curl, nghttp_args to nghttp."""
    big = open(os.path.join(www, "big.bin"), "rb").read()
    modes = [("http/1.1", ["--http1.1"], "1.1"), ("h2", ["--http2"], "2")]
    for name, flag, version in modes:
        what = f"{label} over {name}"
        st, ver, body, err = fetch(port, "/respond", host, cacert, flag + list(args))
        check(f"{what}: respond", (st, ver, body) == (200, version, "hello https"), (st, ver, body, err[-800:]))
        if name == "h2":
            check(f"{what}: ALPN h2", "ALPN: server accepted h2" in err, err[-800:])
        else:
            check(f"{what}: ALPN http/1.1", "ALPN: server accepted http/1.1" in err, err[-800:])
        st, ver, body, err = fetch(port, "/files/big.bin", host, cacert, flag + list(args))
        check(f"{what}: a 300 KiB file", st == 200 and body.encode("latin-1") == big, (st, ver, len(body), err[-500:]))
        st, ver, body, err = fetch(port, "/files/big.bin", host, cacert, flag + ["-r", "100-109"] + list(args))
        check(f"{what}: a range of the file", st == 206 and body.encode("latin-1") == big[100:110],
              (st, body, err[-500:]))
        st, ver, body, err = fetch(port, "/proxy/up?q=1", host, cacert, flag + list(args))
        check(f"{what}: proxy with X-Forwarded-Proto https", (st, body) == (200, "/proxy/up?q=1 xfp=https"),
              (st, body, err[-500:]))
    if host == "localhost":
        r = nghttp(port, "/respond", ["-v"] + list(nghttp_args))
        check(f"{label}: nghttp respond over h2", r.rc == 0 and "hello https" in r.out and ":status: 200" in r.out,
              r)
        r = nghttp(port, "/proxy/n", list(nghttp_args))
        check(f"{label}: nghttp proxy over h2", r.rc == 0 and r.out.strip() == "/proxy/n xfp=https", r)
        r = nghttp(port, "/files/big.bin", list(nghttp_args))
        check(f"{label}: nghttp 300 KiB file over h2", r.rc == 0 and r.raw == big, (r.rc, len(r.raw), r.err[-500:]))


def with_server(build, caddyfile_text, checks, workers=1, label="server"):
    """Starts the server under test on the Caddyfile, runs checks(server), stops
    it by PID, prints the end of its log and removes its folder; a server that
    does not start is a failed check, as is one that died during the checks."""
    try:
        server = serve(build, caddyfile_text, workers)
    except RuntimeError as e:
        check(f"{label} starts", False, str(e)[-3000:])
        return
    try:
        checks(server)
        check(f"{label} still running", server.alive())
    finally:
        server.stop()
        print(server.output()[-1500:])
        shutil.rmtree(server.dir, ignore_errors=True)


class Fixtures:
    """What the handler tests serve from: a PKI, a document root (make_www) and an
    echo upstream; close() removes them all."""

    def __init__(self):
        self.pki, self.www, self.up = Pki(), make_www(), echo_upstream()
        self.up_port = self.up.server_address[1]

    def close(self):
        self.up.shutdown()
        self.pki.remove()
        shutil.rmtree(self.www, ignore_errors=True)
