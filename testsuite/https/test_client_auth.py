#!/usr/bin/env python3
"""Client authentication (`client_auth { mode require_and_verify ... }`), in the
current `trust_pool file ca.pem` syntax and the older `trusted_ca_cert_file`: no
client certificate and one from another CA are refused at the handshake, a good
one is served (respond, files, proxy over HTTP/1.1 and HTTP/2, the client's
subject as a placeholder), and strict SNI host matching, on with client auth,
answers 421 when Host differs from SNI.
Usage: test_client_auth.py BUILD_DIR"""
import base64
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sites  # noqa: E402
import tlstools as t  # noqa: E402
from tlstools import check  # noqa: E402

# The trust pool from a file and inline (base64 DER), in each syntax.
TRUST = {
    "trust_pool": ("\t\t\ttrust_pool file {ca}\n", "\t\t\ttrust_pool inline {{\n\t\t\t\ttrust_der {der}\n\t\t\t}}\n"),
    "trusted_ca_cert_file": ("\t\t\ttrusted_ca_cert_file {ca}\n", "\t\t\ttrusted_ca_cert {der}\n"),
}

# mode -> (trusts the client CA, answers for: no certificate, another CA's, the client CA's)
MODES = {
    "request": (False, (200, 200, 200)),
    "require": (False, (0, 200, 200)),
    "verify_if_given": (True, (200, 0, 200)),
    "require_and_verify": (True, (0, 0, 200)),
}


def der_base64(pem_path):
    out = subprocess.run(["openssl", "x509", "-in", pem_path, "-outform", "DER"], capture_output=True, check=True)
    return base64.b64encode(out.stdout).decode()


def mode_sites(pki, syntax):
    """One site per client_auth mode, mode.localhost; the verifying ones trust the
    client CA inline."""
    inline = TRUST[syntax][1].format(der=der_base64(pki.path("clientca.pem")))
    out = ""
    for mode, (verifies, _) in MODES.items():
        out += f"""https://{mode.replace('_', '-')}.localhost:{{PORT}} {{
\tbind 127.0.0.1
\ttls {pki.path('localhost.pem')} {pki.path('localhost.key')} {{
\t\tclient_auth {{
\t\t\tmode {mode}
{inline if verifies else ""}\t\t}}
\t}}
\trespond "{mode} subject={{http.request.tls.client.subject}}"
}}
"""
    return out


def caddyfile(pki, syntax, www, up_port):
    trust = TRUST[syntax][0].format(ca=pki.path("clientca.pem"))
    return f"""{{
\tadmin off
\thttp_port {t.free_port()}
}}
https://localhost:{{PORT}} {{
\tbind 127.0.0.1
\ttls {pki.path('localhost.pem')} {pki.path('localhost.key')} {{
\t\tclient_auth {{
\t\t\tmode require_and_verify
{trust}\t\t}}
\t}}
\thandle /who {{
\t\trespond "subject={{http.request.tls.client.subject}}"
\t}}
{sites.handler_routes(www, up_port)}}}
{mode_sites(pki, syntax)}"""


def client_args(pki, name):
    return ["--cert", pki.path(name + ".pem"), "--key", pki.path(name + ".key")]


def check_modes(syntax, port, pki):
    """Each mode asks for, requires and verifies a client certificate as Caddy's do."""
    ca = pki.path("ca.pem")
    for mode, (_, want) in MODES.items():
        host = mode.replace("_", "-") + ".localhost"
        for client, expect in zip((None, "stranger", "client"), want):
            args = client_args(pki, client) if client else []
            st, _, body, err = t.fetch(port, "/", host, ca, args)
            # without a certificate Caddy leaves the placeholder as it is: no CN= either way
            served = st == 200 and body.startswith(f"{mode} subject=") and (
                body == f"{mode} subject=CN={client}" if client else "CN=" not in body)
            ok = served if expect == 200 else st == 0
            check(f"{syntax}: mode {mode}, {client or 'no'} certificate: {'served' if expect else 'refused'}", ok,
                  (st, body, err[-500:]))


def check_site(syntax, port, pki, www):
    ca = pki.path("ca.pem")
    good = client_args(pki, "client")
    st, _, body, err = t.fetch(port, "/respond", cacert=ca)
    check(f"{syntax}: no client certificate: refused", st == 0 and "hello https" not in body, (st, body, err[-600:]))
    st, _, body, err = t.fetch(port, "/respond", cacert=ca, args=client_args(pki, "stranger"))
    check(f"{syntax}: a certificate from another CA: refused", st == 0 and "hello https" not in body,
          (st, body, err[-600:]))
    r = t.s_client(port, ["-CAfile", ca])
    check(f"{syntax}: s_client without a certificate gets no response", "HTTP/1.1" not in r.out, r.out[-1200:])
    st, _, body, err = t.fetch(port, "/who", cacert=ca, args=good)
    check(f"{syntax}: a good certificate: 200 with its subject", (st, body) == (200, "subject=CN=client"),
          (st, body, err[-600:]))
    sites.check_handlers(f"{syntax} client auth", port, www, ca, good,
                     nghttp_args=["--cert=" + pki.path("client.pem"), "--key=" + pki.path("client.key")])
    for flag, version in (("--http1.1", "1.1"), ("--http2", "2")):
        st, ver, body, err = t.fetch(port, "/respond", cacert=ca, args=good + [flag, "-H", "Host: other.test"])
        check(f"{syntax}: strict SNI: Host other.test with SNI localhost is 421 over {version}",
              (st, ver) == (421, version), (st, ver, body, err[-600:]))
        st, ver, body, err = t.fetch(port, "/respond", cacert=ca, args=good + [flag, "-H", "Host: LOCALHOST"])
        check(f"{syntax}: strict SNI compares names without case over {version}", st == 200, (st, body, err[-600:]))


def main():
    t.skip_unless("openssl", "curl", "nghttp")
    build = os.path.abspath(sys.argv[1])
    fx = sites.Fixtures()
    pki, www = fx.pki, fx.www
    pki.ca("ca")
    pki.ca("clientca")
    pki.ca("otherca")
    pki.leaf("localhost", "ca", ["localhost", "127.0.0.1"] + [m.replace("_", "-") + ".localhost" for m in MODES])
    pki.leaf("client", "clientca", client=True)
    pki.leaf("stranger", "otherca", client=True)
    # Caddy 2.6.2 (the peer) has only the older syntax.
    syntaxes = ["trusted_ca_cert_file"] if os.environ.get("ZS_HTTPS_PEER") == "caddy" else list(TRUST)
    try:
        for syntax in syntaxes:
            sites.with_server(build, caddyfile(pki, syntax, www, fx.up_port),
                          lambda z: (check_site(syntax, z.port, pki, www), check_modes(syntax, z.port, pki)),
                          label=f"{syntax}: server")
    finally:
        fx.close()
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
