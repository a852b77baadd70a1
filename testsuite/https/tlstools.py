"""Shared pieces of the HTTPS end-to-end tests: a throw-away ECDSA P-256 PKI made
with the openssl CLI, and the TLS clients (curl, openssl s_client, nghttp), run
against 127.0.0.1 only. The servers under test are in sites.py."""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from harness import check, failures  # noqa: E402,F401  (re-exported for the tests)
from served import free_port  # noqa: E402,F401

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
