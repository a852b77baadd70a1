#!/usr/bin/env python3
"""Bad input on an HTTPS port, each refused or timed out while normal clients
are served: garbage and plain HTTP instead of a ClientHello, a client stalling
mid-handshake (closed after the handshake timeout, which Caddy takes from the
`read_header` timeout), an idle keep-alive connection (closed after `idle`),
1,000 half-open handshakes, a TLS 1.2 renegotiation attempt, an oversized record.
Usage: test_bad_input.py BUILD_DIR"""
import os
import resource
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sites  # noqa: E402
import tlstools as t  # noqa: E402
from tlstools import check  # noqa: E402

HANDSHAKE_TIMEOUT = 2       # the read_header (and idle) timeout of the config, in seconds
HALF_OPEN = 1000


def caddyfile(pki, timeout):
    return f"""{{
\tadmin off
\thttp_port {t.free_port()}
\tservers {{
\t\ttimeouts {{
\t\t\tread_header {timeout}s
\t\t\tidle {timeout}s
\t\t}}
\t}}
}}
https://localhost:{{PORT}} {{
\tbind 127.0.0.1
\ttls {pki.path('localhost.pem')} {pki.path('localhost.key')}
\trespond "alive"
}}
"""


def client_hello():
    """The first flight of a real TLS client (Python's OpenSSL), from memory BIOs."""
    ctx = ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def https_get(port, ca):
    """Seconds a whole HTTPS request takes on a new connection, or None if it failed."""
    ctx = ssl.create_default_context(cafile=ca)
    start = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                data = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
    except (OSError, ssl.SSLError):
        return None
    return time.monotonic() - start if data.startswith(b"HTTP/1.1 200") and data.endswith(b"alive") else None


def answer_to(port, payload, wait=5.0):
    """Sends payload, then (seconds until the server closed or None, bytes it sent)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=wait)
    start, got = time.monotonic(), b""
    try:
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - start, got
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return time.monotonic() - start, got
            got += chunk
    except ConnectionResetError:
        return time.monotonic() - start, got
    except socket.timeout:
        return None, got
    finally:
        s.close()


def refused(label, port, payload, ca):
    closed, got = answer_to(port, payload)
    alert_or_400 = got == b"" or got[:1] == b"\x15" or got.startswith(b"HTTP/1.") and b" 400 " in got[:20]
    check(f"{label}: closed within 5 s", closed is not None, got[:80])
    check(f"{label}: nothing but an alert or a 400 sent back", alert_or_400, got[:80])
    check(f"{label}: a normal client is served after it", https_get(port, ca) is not None)


def check_stall(port, ca, hello):
    s = socket.create_connection(("127.0.0.1", port), timeout=HANDSHAKE_TIMEOUT + 8)
    s.sendall(hello[:len(hello) // 2])
    start = time.monotonic()
    served = https_get(port, ca)
    check("a normal client is served while another stalls mid-handshake", served is not None and served < 1.0,
          served)
    try:
        data = s.recv(65536)
        while data and data[:1] == b"\x15":        # an alert before the close is fine
            data = s.recv(65536)
    except ConnectionResetError:
        data = b""
    except socket.timeout:
        data = None
    took = time.monotonic() - start
    s.close()
    check(f"the stalled client is closed after the {HANDSHAKE_TIMEOUT} s handshake timeout",
          data == b"" and HANDSHAKE_TIMEOUT - 0.5 <= took <= HANDSHAKE_TIMEOUT + 3, (data, round(took, 2)))


def check_idle(port, ca):
    """A TLS keep-alive connection left idle after a response is closed after the
    idle timeout (with a close_notify alert or without)."""
    ctx = ssl.create_default_context(cafile=ca)
    with socket.create_connection(("127.0.0.1", port), timeout=HANDSHAKE_TIMEOUT + 8) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            first = s.recv(65536)
            start = time.monotonic()
            try:
                while s.recv(65536):
                    pass
                closed = True
            except (ssl.SSLError, ConnectionResetError):
                closed = True
            except socket.timeout:
                closed = False
            took = time.monotonic() - start
    check("keep-alive over TLS answers", first.startswith(b"HTTP/1.1 200"), first[:60])
    check(f"an idle TLS connection is closed after the {HANDSHAKE_TIMEOUT} s idle timeout",
          closed and HANDSHAKE_TIMEOUT - 0.5 <= took <= HANDSHAKE_TIMEOUT + 3, (closed, round(took, 2)))


def raise_fd_limit():
    """Room for the half-open connections on both ends: the server started after
    this inherits it, as a production server is given one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * HALF_OPEN)), hard))


def check_half_open(port, ca, hello):
    socks = []
    try:
        for i in range(HALF_OPEN):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(hello[:len(hello) // 2] if i % 2 else hello[:5])
            socks.append(s)
        times = [https_get(port, ca) for _ in range(5)]
        ok = [x for x in times if x is not None]
        check(f"with {HALF_OPEN} half-open handshakes a normal client is served (5 of 5, each < 1 s)",
              len(ok) == 5 and max(ok) < 1.0, times)
    except OSError as e:
        check(f"{HALF_OPEN} half-open handshakes accepted by the kernel", False, f"{len(socks)}: {e}")
    finally:
        for s in socks:
            s.close()


def check_renegotiation(port, ca):
    """s_client's R command asks for a TLS 1.2 renegotiation; the request sent after
    it must not be answered on a renegotiated session."""
    p = subprocess.Popen(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-tls1_2",
                          "-servername", "localhost", "-CAfile", ca], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    time.sleep(1)
    try:
        p.stdin.write(b"R\n")
        p.stdin.flush()
        time.sleep(1)
        p.stdin.write(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        p.stdin.flush()
        time.sleep(1)
    except BrokenPipeError:
        pass
    try:
        out = p.communicate(timeout=15)[0].decode(errors="replace")
    except subprocess.TimeoutExpired:
        p.kill()
        out = p.communicate()[0].decode(errors="replace")
    check("s_client asked to renegotiate", "RENEGOTIATING" in out, out[-1500:])
    after = out.split("RENEGOTIATING", 1)[-1]
    check("the renegotiation is refused (no answer after it)", "HTTP/1.1 200" not in after, out[-1500:])


def oversized_record():
    """A handshake record header announcing 65,535 bytes (the most a record may
    carry is 2^14 plus expansion), then its body."""
    return b"\x16\x03\x01\xff\xff" + b"\x01" + b"\x00" * 65534


def main():
    t.skip_unless("openssl")
    build = os.path.abspath(sys.argv[1])
    pki = t.Pki()
    ca = pki.ca("ca")
    pki.leaf("localhost", "ca", ["localhost", "127.0.0.1"])
    hello = client_hello()
    def checks(z):
        check("a normal client is served", https_get(z.port, ca) is not None)
        refused("garbage instead of a ClientHello", z.port, bytes(range(256)) * 4, ca)
        refused("plain HTTP on the HTTPS port", z.port, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", ca)
        refused("an oversized record", z.port, oversized_record(), ca)
        check_stall(z.port, ca, hello)
        check_idle(z.port, ca)
        check_renegotiation(z.port, ca)
    try:
        sites.with_server(build, caddyfile(pki, HANDSHAKE_TIMEOUT), checks)
        raise_fd_limit()
        sites.with_server(build, caddyfile(pki, 60), lambda z: check_half_open(z.port, ca, hello),
                      label="server with 1,000 half-open handshakes")
    finally:
        pki.remove()
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
