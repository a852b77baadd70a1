#!/usr/bin/env python3
"""`tls internal` with `storage file_system DIR`: the local CA in Caddy's layout
(DIR/pki/authorities/local/root.crt, intermediate.crt), a served chain that
verifies against that root for a name and an IP address, a 12-hour leaf, the
handlers over HTTP/1.1 and HTTP/2; a storage folder Caddy made first is
reused (same root) when Caddy is installed; the global `local_certs` with
`key_type p384` issues a P-384 leaf from the local CA.
Usage: test_tls_internal.py BUILD_DIR"""
import datetime
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sites  # noqa: E402
import tlstools as t  # noqa: E402
from tlstools import check  # noqa: E402


def caddyfile(storage, www, up_port):
    return f"""{{
\tadmin off
\tstorage file_system {storage}
\tskip_install_trust
\thttp_port {t.free_port()}
}}
https://localhost:{{PORT}}, https://127.0.0.1:{{PORT}} {{
\tbind 127.0.0.1
\ttls internal
{sites.handler_routes(www, up_port)}}}
"""


def caddyfile_local_certs(storage):
    """No tls directive: the global local_certs makes every site's issuer the local
    CA, and key_type picks the leaf's key."""
    return f"""{{
\tadmin off
\tstorage file_system {storage}
\tskip_install_trust
\tlocal_certs
\tkey_type p384
\thttp_port {t.free_port()}
}}
https://localhost:{{PORT}} {{
\tbind 127.0.0.1
\trespond "local certs"
}}
"""


def first_answer(port, path):
    """The first answer of the site: (status, body, curl's stderr). Caddy issues
    the leaves of `tls internal` in the background once it listens, so a
    handshake may fail (alert) for a moment after start; so may zsrt's."""
    deadline = time.monotonic() + 10
    while True:
        st, _, body, err = t.fetch(port, path, "localhost", None, ["-k"])
        if st == 200 or time.monotonic() > deadline:
            return st, body, err
        time.sleep(0.2)


def check_local_certs(port, storage, work):
    root = os.path.join(storage, "pki", "authorities", "local", "root.crt")
    first_answer(port, "/")
    st, _, body, err = t.fetch(port, "/", "localhost", root if os.path.exists(root) else None)
    check("local_certs: curl --cacert root.crt", (st, body) == (200, "local certs"), (st, body, err[-600:]))
    chain = served_chain(port, "localhost")
    key = openssl_text(["x509", "-noout", "-text"], chain[0]).stdout if chain else ""
    check("key_type p384: the leaf's key is P-384", "NIST CURVE: P-384" in key or "secp384r1" in key, key[:1500])


def served_chain(port, servername):
    """The PEM certificates the server sends, leaf first."""
    r = t.s_client(port, ["-showcerts"], servername=servername, request=b"")
    return re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\n?", r.out, re.S)


def openssl_text(args, pem):
    return subprocess.run(["openssl"] + args, input=pem, capture_output=True, text=True)


def lifetime_hours(pem):
    out = openssl_text(["x509", "-noout", "-startdate", "-enddate"], pem).stdout
    dates = dict(line.split("=", 1) for line in out.strip().splitlines())
    parse = lambda s: datetime.datetime.strptime(s.strip(), "%b %d %H:%M:%S %Y %Z")  # noqa: E731
    return (parse(dates["notAfter"]) - parse(dates["notBefore"])).total_seconds() / 3600


def check_chain(label, port, storage, work):
    st, body, err = first_answer(port, "/respond")
    check(f"{label}: the site answers (not verified)", (st, body) == (200, "hello https"), (st, body, err[-600:]))
    local = os.path.join(storage, "pki", "authorities", "local")
    root = os.path.join(local, "root.crt")
    for f in ("root.crt", "root.key", "intermediate.crt", "intermediate.key"):
        check(f"{label}: pki/authorities/local/{f} in storage", os.path.isfile(os.path.join(local, f)))
    if not os.path.isfile(root):
        return
    for name in ("localhost", None):
        chain = served_chain(port, name)
        what = f"{label}: chain served to {name or '127.0.0.1 (no SNI)'}"
        check(f"{what}: leaf and intermediate", len(chain) >= 2, chain)
        if len(chain) < 2:
            continue
        leaf, inter = os.path.join(work, "leaf.pem"), os.path.join(work, "inter.pem")
        open(leaf, "w").write(chain[0])
        open(inter, "w").write("".join(chain[1:]))
        r = subprocess.run(["openssl", "verify", "-CAfile", root, "-untrusted", inter, leaf],
                           capture_output=True, text=True)
        check(f"{what}: verifies against storage's root.crt", r.returncode == 0, r.stdout + r.stderr)
        same = open(os.path.join(local, "intermediate.crt")).read().strip() == chain[1].strip()
        check(f"{what}: the intermediate is storage's intermediate.crt", same)
        hours = lifetime_hours(chain[0])
        check(f"{what}: leaf lifetime 12 h", 11.9 <= hours <= 12.1, hours)
        sans = openssl_text(["x509", "-noout", "-ext", "subjectAltName"], chain[0]).stdout
        want = "DNS:localhost" if name else "IP Address:127.0.0.1"
        check(f"{what}: leaf names {want}", want in sans, sans)
    for host in ("localhost", "127.0.0.1"):
        st, _, body, err = t.fetch(port, "/respond", host, root)
        check(f"{label}: curl --cacert root.crt https://{host}", (st, body) == (200, "hello https"), err[-600:])


def digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def check_caddy_folder(build, www, up_port, work):
    """A storage folder Caddy created serves with the same root, and back."""
    if t.tools_missing("caddy") or os.environ.get("ZS_HTTPS_PEER") == "caddy":
        print("note: caddy is not installed or is the peer: the shared-folder check is left out")
        return
    storage = os.path.join(work, "caddy-storage")
    text = caddyfile(storage, www, up_port)
    caddy = sites.CaddyPeer(text)
    try:
        st, body, err = first_answer(caddy.port, "/respond")
        check("Caddy serves the site first", st == 200, err[-600:])
    finally:
        caddy.stop()
        shutil.rmtree(caddy.dir, ignore_errors=True)
    root = os.path.join(storage, "pki", "authorities", "local", "root.crt")
    if not os.path.isfile(root):
        check("Caddy made a local CA", False, caddy.output()[-1500:])
        return
    before = digest(root)

    def checks(z):
        check_chain("Caddy's storage folder", z.port, storage, work)
        check("Caddy's root.crt kept", digest(root) == before)
    sites.with_server(build, text, checks, label="zsrt on Caddy's storage folder")


def main():
    t.skip_unless("openssl", "curl", "nghttp")
    build = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="zs-https-internal-")
    storage = os.path.join(work, "storage")
    www, up = sites.make_www(), sites.echo_upstream()
    root = os.path.join(storage, "pki", "authorities", "local", "root.crt")

    def checks(z):
        check_chain("tls internal", z.port, storage, work)
        sites.check_handlers("tls internal", z.port, www, root if os.path.exists(root) else None)
    try:
        sites.with_server(build, caddyfile(storage, www, up.server_address[1]), checks, workers=2)
        check_caddy_folder(build, www, up.server_address[1], work)
        local = os.path.join(work, "local-certs")
        sites.with_server(build, caddyfile_local_certs(local), lambda z: check_local_certs(z.port, local, work),
                      label="local_certs server")
    finally:
        up.shutdown()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(www, ignore_errors=True)
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
