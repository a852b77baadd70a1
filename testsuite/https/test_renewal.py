#!/usr/bin/env python3
"""The local CA's leaves are renewed while zsrt serves: with `issuer internal
{ lifetime 60s }` a leaf is due with a third of its life left (40 s), is
reissued, stored where certmagic keeps it, and served to the next handshake,
with nothing dropped on the way. Caddy renews on its own maintenance ticks, so
this one is zsrt's alone (no Caddy peer run).
Usage: test_renewal.py BUILD_DIR"""
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sites  # noqa: E402
import tlstools as t  # noqa: E402
from tlstools import check  # noqa: E402


def caddyfile(storage):
    return f"""{{
\tadmin off
\tstorage file_system {storage}
\tskip_install_trust
\thttp_port {t.free_port()}
}}
https://localhost:{{PORT}} {{
\tbind 127.0.0.1
\ttls {{
\t\tissuer internal {{
\t\t\tlifetime 60s
\t\t}}
\t}}
\trespond "renewed? {{tls_version}}"
}}
"""


def serial(port):
    r = t.s_client(port, args=["-showcerts"], request=b"")
    m = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", r.out, re.S)
    if not m:
        return None
    x = t.run(["openssl", "x509", "-noout", "-serial"], stdin=m.group(0).encode())
    return x.out.strip()


def main():
    t.skip_unless("openssl", "curl")
    if os.environ.get("ZS_HTTPS_PEER") == "caddy":
        print("skip: renewal timing is zsrt's own")
        sys.exit(t.SKIP)
    build = sys.argv[1]
    storage = tempfile.mkdtemp(prefix="zs-renew-")

    def checks(server):
        root = os.path.join(storage, "pki", "authorities", "local", "root.crt")
        first = serial(server.port)
        check("a leaf is served", bool(first), first)
        stored = os.path.join(storage, "certificates", "local", "localhost", "localhost.crt")
        check("the leaf is stored where certmagic keeps it", os.path.exists(stored))
        before = open(stored).read() if os.path.exists(stored) else ""
        deadline = time.time() + 55
        answered = 0
        while time.time() < deadline:
            r = t.curl(server.port, "/", cacert=root)
            answered += r.rc == 0 and r.out.startswith("renewed?")
            now = serial(server.port)
            if now and first and now != first:
                break
            time.sleep(2)
        check("a new leaf is served before the old one expires", now and now != first, (first, now))
        check("every request in between was answered", answered > 0 and r.rc == 0, (answered, r.rc, r.err[-300:]))
        after = open(stored).read() if os.path.exists(stored) else ""
        check("the renewed leaf replaced the stored one", after and after != before)
        r = t.curl(server.port, "/", cacert=root)
        check("the renewed chain verifies against the root", r.rc == 0 and r.out.startswith("renewed? tls1.3"),
              (r.rc, r.out, r.err[-300:]))
        check("the renewal is logged", "certificates renewed" in server.output())

    try:
        sites.with_server(build, caddyfile(storage), checks, workers=2, label="renewal")
    finally:
        shutil.rmtree(storage, ignore_errors=True)
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
