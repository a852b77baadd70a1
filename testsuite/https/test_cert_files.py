#!/usr/bin/env python3
"""HTTPS sites with certificate files (`tls cert.pem key.pem`): respond, files
and proxy over HTTP/1.1 and HTTP/2, the TLS placeholders, SNI selection (exact
name, `*.example.test`, `default_sni` for a client without SNI), `protocols
tls1.3`, `ciphers`, `curves`, `alpn`, `load`, ALPN, the `protocol https` matcher and
session resumption shared by two workers.
Usage: test_cert_files.py BUILD_DIR"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sites  # noqa: E402
import tlstools as t  # noqa: E402
from tlstools import check  # noqa: E402


def bundle(pki, name):
    """A leaf for name as one PEM file, certificate then key, in the folder `load` reads."""
    cert, key = pki.leaf(name, "ca", [name])
    os.makedirs(pki.path("load"), exist_ok=True)
    with open(os.path.join(pki.path("load"), name + ".pem"), "w") as f:
        f.write(open(cert).read() + open(key).read())


def caddyfile(pki, www, up_port):
    leaf = {n: pki.path(n) for n in ("localhost", "a.example.test", "wild", "tls13.test", "options")}
    return f"""{{
\tadmin off
\tdefault_sni a.example.test
\thttp_port {t.free_port()}
}}
https://localhost:{{PORT}} {{
\tbind 127.0.0.1
\ttls {leaf['localhost']}.pem {leaf['localhost']}.key
\t@secure {{
\t\tprotocol https
\t\tpath /proto
\t}}
\trespond @secure "protocol https matched"
{sites.handler_routes(www, up_port)}}}
https://a.example.test:{{PORT}} {{
\tbind 127.0.0.1
\ttls {leaf['a.example.test']}.pem {leaf['a.example.test']}.key
\trespond "site a {{http.request.tls.server_name}}"
}}
https://*.example.test:{{PORT}} {{
\tbind 127.0.0.1
\ttls {leaf['wild']}.pem {leaf['wild']}.key
\trespond "site wildcard {{host}}"
}}
https://tls13.test:{{PORT}} {{
\tbind 127.0.0.1
\ttls {leaf['tls13.test']}.pem {leaf['tls13.test']}.key {{
\t\tprotocols tls1.3
\t}}
\trespond "tls 1.3 only"
}}
https://suites.test:{{PORT}} {{
\tbind 127.0.0.1
\ttls {leaf['options']}.pem {leaf['options']}.key {{
\t\tciphers TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
\t\tcurves secp384r1
\t}}
\trespond "suites"
}}
https://loaded.test:{{PORT}} {{
\tbind 127.0.0.1
\ttls {{
\t\tload {pki.path('load')}
\t}}
\trespond "loaded"
}}
https://h1only.test:{{PORT}} {{
\tbind 127.0.0.1
\ttls {leaf['options']}.pem {leaf['options']}.key {{
\t\talpn http/1.1
\t}}
\trespond "h1 only"
}}
"""


def check_placeholders(port, ca):
    """{http.request.tls.version}, {tls_cipher}, .proto and .server_name name what
    the client negotiated, as Caddy prints them (tls1.3, the IANA suite name, the
    ALPN protocol, the SNI); scheme https."""
    for flags, version in ((["--http1.1", "--tlsv1.3"], "tls1.3"),
                           (["--http1.1", "--tlsv1.2", "--tls-max", "1.2"], "tls1.2"),
                           (["--http2"], "tls1.3")):
        st, ver, body, err = t.fetch(port, "/tls", cacert=ca, args=flags)
        m = re.search(r"SSL connection using TLSv1\.[23] / (\S+)", err)
        cipher = t.iana_cipher(m.group(1)) if m else None
        proto, alpn = ("HTTP/2.0", "h2") if ver == "2" else ("HTTP/1.1", "http/1.1")
        want = f"version={version} cipher={cipher} scheme=https proto={proto} alpn={alpn} sni=localhost"
        check(f"placeholders over {version} {ver}", st == 200 and cipher and body == want, (st, body, want, err[-600:]))


def check_protocol_matcher(port, ca):
    for flag in ("--http1.1", "--http2"):
        st, ver, body, err = t.fetch(port, "/proto", cacert=ca, args=[flag])
        check(f"`protocol https` matches over {flag}", (st, body) == (200, "protocol https matched"),
              (st, body, err[-500:]))


def check_sni(port, pki):
    ca = pki.path("ca.pem")
    for sni, cn in (("a.example.test", "a.example.test"), ("b.example.test", "wild"),
                    ("localhost", "localhost"), (None, "a.example.test")):
        r = t.s_client(port, ["-CAfile", ca], servername=sni)
        got = t.cert_subject(r.out)
        check(f"SNI {sni or '(none: default_sni)'} gets the certificate of {cn}",
              got == cn and "Verify return code: 0 (ok)" in r.out, (got, r.out[-1500:]))
    st, _, body, err = t.fetch(port, "/", "a.example.test", ca)
    check("exact-name site answers", (st, body) == (200, "site a a.example.test"), (st, body, err[-500:]))
    st, _, body, err = t.fetch(port, "/", "b.example.test", ca)
    check("wildcard site answers", (st, body) == (200, "site wildcard b.example.test"), (st, body, err[-500:]))
    st, _, body, err = t.fetch(port, "/", "x.y.example.test", ca)
    check("a wildcard covers one label only", st == 0, (st, body, err[-500:]))


def check_protocols(port, ca):
    r = t.s_client(port, ["-tls1_2", "-CAfile", ca], servername="tls13.test")
    check("protocols tls1.3 refuses a TLS 1.2-only client", r.rc != 0 and "tls 1.3 only" not in r.out, r)
    st, _, body, err = t.fetch(port, "/", "tls13.test", ca, ["--tlsv1.2", "--tls-max", "1.2"])
    check("protocols tls1.3 refuses curl --tls-max 1.2", st == 0, (st, body, err[-500:]))
    st, _, body, err = t.fetch(port, "/", "tls13.test", ca, ["--tlsv1.3"])
    check("protocols tls1.3 serves TLS 1.3", (st, body) == (200, "tls 1.3 only"), (st, body, err[-500:]))
    r = t.s_client(port, ["-tls1_2", "-CAfile", ca], servername="localhost")
    check("the other sites still take TLS 1.2", r.rc == 0 and "Protocol  : TLSv1.2" in r.out, r)


def check_tls_options(port, ca):
    """ciphers (TLS 1.2 suites), curves and alpn of the tls directive, per site."""
    def hs(args, name="suites.test"):
        return t.s_client(port, ["-CAfile", ca] + args, servername=name,
                          request=b"GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % name.encode())
    r = hs(["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"])
    check("ciphers: a suite not listed is refused", r.rc != 0 and "HTTP/1.1 200" not in r.out, r.out[-800:])
    r = hs(["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256"])
    check("ciphers: the listed suite is chosen", "Cipher is ECDHE-ECDSA-CHACHA20-POLY1305" in r.out and
          "HTTP/1.1 200" in r.out, r.out[-1200:])
    r = hs(["-groups", "X25519"])
    check("curves secp384r1: a client offering only X25519 is refused", r.rc != 0 and "HTTP/1.1 200" not in r.out,
          r.out[-800:])
    r = hs(["-groups", "X25519:P-384"])
    check("curves secp384r1: P-384 is used", "Server Temp Key: ECDH, secp384r1" in r.out and "HTTP/1.1 200" in r.out,
          r.out[-1200:])
    st, _, body, err = t.fetch(port, "/", "loaded.test", ca)
    check("load: a certificate and key bundle from a folder", (st, body) == (200, "loaded"), (st, body, err[-600:]))
    r = hs(["-alpn", "h2,http/1.1"], "h1only.test")
    check("alpn http/1.1: h2 is not offered back", "ALPN protocol: http/1.1" in r.out and "HTTP/1.1 200" in r.out,
          r.out[-1200:])


def check_alpn(port, ca):
    for offer, want in (("h2,http/1.1", "h2"), ("http/1.1", "http/1.1"), ("http/1.1,h2", "h2")):
        r = t.s_client(port, ["-alpn", offer, "-CAfile", ca], request=b"")
        check(f"ALPN offer {offer} gets {want}", f"ALPN protocol: {want}" in r.out, r.out[-1200:])
    r = t.s_client(port, ["-CAfile", ca])
    check("no ALPN: HTTP/1.1", "No ALPN negotiated" in r.out and "HTTP/1.1 200" in r.out, r.out[-1200:])


def check_resumption(port, pki, flag):
    """A ticket from one connection resumes the next ones, whichever of the two
    workers accepts them (the ticket keys are shared)."""
    sess = pki.path("sess" + flag)
    ca = pki.path("ca.pem")
    r = t.s_client(port, [flag, "-CAfile", ca, "-sess_out", sess])
    check(f"{flag}: a new session", r.rc == 0 and "New, TLSv1." in r.out and os.path.exists(sess), r.out[-1500:])
    if flag == "-tls1_3":
        check("0-RTT off: the tickets allow no early data", "Max Early Data: 0" in r.out and
              not re.search(r"Max Early Data: [1-9]", r.out), r.out[-1500:])
    reused = 0
    for _ in range(6):
        r = t.s_client(port, [flag, "-CAfile", ca, "-sess_in", sess])
        reused += "Reused, TLSv1." in r.out and "HTTP/1.1 200" in r.out
    check(f"{flag}: 6 of 6 later connections resumed", reused == 6, f"{reused} reused; last: {r.out[-1500:]}")


def main():
    t.skip_unless("openssl", "curl", "nghttp")
    build = os.path.abspath(sys.argv[1])
    fx = sites.Fixtures()
    pki, www = fx.pki, fx.www
    ca = pki.ca("ca")
    pki.leaf("localhost", "ca", ["localhost", "127.0.0.1"])
    pki.leaf("a.example.test", "ca", ["a.example.test"])
    pki.leaf("wild", "ca", ["*.example.test"])
    pki.leaf("tls13.test", "ca", ["tls13.test"])
    pki.leaf("options", "ca", ["suites.test", "h1only.test"])
    bundle(pki, "loaded.test")
    def checks(z):
        sites.check_handlers("cert files", z.port, www, ca)
        check_placeholders(z.port, ca)
        check_protocol_matcher(z.port, ca)
        check_sni(z.port, pki)
        check_protocols(z.port, ca)
        check_alpn(z.port, ca)
        check_tls_options(z.port, ca)
        check_resumption(z.port, pki, "-tls1_3")
        check_resumption(z.port, pki, "-tls1_2")
    try:
        sites.with_server(build, caddyfile(pki, www, fx.up_port), checks, workers=2)
    finally:
        fx.close()
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
