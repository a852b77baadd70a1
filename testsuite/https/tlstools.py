"""Shared pieces of the HTTPS end-to-end tests: a throw-away ECDSA P-256 PKI made
with the openssl CLI, and the TLS clients (curl, openssl s_client, nghttp) run
against 127.0.0.1 only. zsc and zsrt are started by ../e2e/harness.py."""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from harness import Zsrt, check, failures  # noqa: E402,F401  (re-exported for the tests)
from served import Served, free_port, upstream  # noqa: E402,F401

SKIP = 77


def tools_missing(*tools):
    """The first tool of tools that is not installed, or None."""
    for tool in tools:
        if not shutil.which(tool):
            return tool
    return None


def skip_unless(*tools):
    """Exits 77 when a tool is missing: the only reason these tests skip."""
    missing = tools_missing(*tools)
    if missing:
        print(f"skip: {missing} is not installed (tools/setup installs it)")
        sys.exit(SKIP)


def finish():
    """The exit status of a test: 1 when a check failed."""
    print("FAILED: " + "; ".join(failures) if failures else "all checks passed")
    return 1 if failures else 0


def _openssl(args, cwd):
    r = subprocess.run(["openssl"] + args, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (" ".join(args[:2]), r.stderr))


class Pki:
    """Certificates in a temp folder: CAs and leaves, ECDSA P-256, 2 days valid."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="zs-https-pki-")

    def path(self, name):
        return os.path.join(self.dir, name)

    def ca(self, name):
        """A self-signed CA; returns its certificate's path (key: NAME.key)."""
        _openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                  "-keyout", name + ".key", "-out", name + ".pem", "-days", "2", "-subj", "/CN=zs test " + name,
                  "-addext", "basicConstraints=critical,CA:TRUE",
                  "-addext", "keyUsage=critical,keyCertSign,cRLSign"], self.dir)
        return self.path(name + ".pem")

    def leaf(self, name, ca, names=(), client=False):
        """A leaf signed by CA for DNS names / IP addresses; (cert path, key path)."""
        sans = ",".join(("IP:" if n[0].isdigit() else "DNS:") + n for n in names)
        ext = ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature",
               "extendedKeyUsage=" + ("clientAuth" if client else "serverAuth")]
        if sans:
            ext.append("subjectAltName=" + sans)
        with open(self.path(name + ".ext"), "w") as f:
            f.write("\n".join(ext) + "\n")
        _openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                  "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name], self.dir)
        _openssl(["x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
                  "-CAcreateserial", "-days", "2", "-out", name + ".pem", "-extfile", name + ".ext"], self.dir)
        return self.path(name + ".pem"), self.path(name + ".key")

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class Out:
    """What a client run gave: exit code, stdout, stderr (text)."""

    def __init__(self, rc, raw, err):
        self.rc, self.raw, self.err = rc, raw, err
        self.out = raw.decode(errors="replace")

    def __repr__(self):
        return "rc=%s out=%r err=%r" % (self.rc, self.out[-600:], self.err[-900:])


def run(argv, stdin=b"", timeout=30):
    try:
        r = subprocess.run(argv, input=stdin, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return Out(-1, e.stdout or b"", "timed out")
    return Out(r.returncode, r.stdout, r.stderr.decode(errors="replace"))


def curl(port, path="/", host="localhost", cacert=None, args=(), timeout=20):
    """curl https://HOST:PORT/PATH with HOST resolved to 127.0.0.1 (so SNI is HOST)."""
    url = "https://%s:%d%s" % (host, port, path)
    argv = ["curl", "-sS", "--max-time", str(timeout), "--noproxy", "*"]
    if not host[0].isdigit():
        argv += ["--resolve", "%s:%d:127.0.0.1" % (host, port)]
    if cacert:
        argv += ["--cacert", cacert]
    return run(argv + list(args) + [url], timeout=timeout + 10)


def s_client(port, args=(), request=None, servername="localhost", timeout=20):
    """openssl s_client to 127.0.0.1:PORT; sends request (default: GET / with
    Connection: close) and reads until the server closes; with request b"" it
    ends after the handshake."""
    if request is None:
        request = b"GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (servername or "localhost").encode()
    sni = ["-servername", servername] if servername else ["-noservername"]
    wait = ["-ign_eof"] if request else []
    return run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port] + wait + sni + list(args),
               stdin=request, timeout=timeout)


def nghttp(port, path="/", args=(), timeout=20):
    """nghttp (HTTP/2 over TLS, ALPN h2) to https://localhost:PORT/PATH: nghttp has
    no --resolve, so the name is localhost (SNI localhost; it does not verify)."""
    return run(["nghttp", "-t", str(timeout)] + list(args) + ["https://localhost:%d%s" % (port, path)],
               timeout=timeout + 10)


def cert_subject(s_client_out):
    """The CN of the certificate the server sent, from s_client's output."""
    for line in s_client_out.splitlines():
        line = line.strip()
        if line.startswith("subject=") or line.startswith("0 s:"):
            cn = line.split("CN", 1)[-1].lstrip(" =")
            return cn.split(",")[0].split("/")[0].strip()
    return None


def iana_cipher(openssl_name):
    """The IANA (and Go / Caddy) name of an OpenSSL cipher name: Caddy's
    {http.request.tls.cipher_suite} prints tls.CipherSuiteName."""
    if openssl_name.startswith("TLS_"):
        return openssl_name
    r = subprocess.run(["openssl", "ciphers", "-stdname", "ALL"], capture_output=True, text=True)
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[2] == openssl_name:
            return parts[0]
    return None


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
        skip_unless("caddy")
        return CaddyPeer(caddyfile_text)
    return Zsrt(build, caddyfile_text, workers=workers)


def fetch(port, path="/", host="localhost", cacert=None, args=(), timeout=20):
    """curl (verbose) for one URL: (status, HTTP version, body, curl's stderr);
    status 0 when curl failed (its error is in stderr). The body is latin-1
    text, so body.encode("latin-1") gives back the bytes."""
    marker = "\n@@zs@@"
    r = curl(port, path, host, cacert, ["-v", "-w", marker + "%{http_code} %{http_version}"] + list(args), timeout)
    body, _, tail = r.raw.decode("latin-1").rpartition(marker)
    parts = tail.split()
    status = int(parts[0]) if parts and parts[0].isdigit() else 0
    if r.rc != 0:
        status = 0
    return status, parts[1] if len(parts) > 1 else "", body, r.err


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


def handler_routes(www, upstream_port):
    """The site body every HTTPS test serves: a fixed response, the TLS
    placeholders, files (with ranges) and a reverse proxy."""
    return f"""\thandle /respond {{
\t\trespond "hello https"
\t}}
\thandle /tls {{
\t\trespond "version={{http.request.tls.version}} cipher={{tls_cipher}} scheme={{http.request.scheme}} proto={{http.request.proto}} alpn={{http.request.tls.proto}} sni={{http.request.tls.server_name}}"
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
    it by PID, prints the end of its log and removes its folder; a server that does not start is a
    failed check, as is one that died during the checks."""
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
