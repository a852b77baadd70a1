# Before a server is measured it must answer the scenario's request right: the
# status, the exact body and, for new-conn, a closed connection; over TLS, TLS 1.3,
# ALPN h2 for h2-small and a resumed session for https-resume. A server that
# does not is reported and left out of that scenario.
import http.client
import socket
import ssl
import zlib

from . import scenarios as sc


def _tls_context(alpn=("http/1.1",)):
    """The load generators do not verify the certificate; neither does the check."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(list(alpn))
    return ctx


def _fetch(port, s):
    if s.tls:
        conn = http.client.HTTPSConnection("localhost", port, timeout=5, context=_tls_context())
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", s.path, headers=sc.scenario_headers(s))
        resp = conn.getresponse()
        body = resp.read()
        if s.gzip and resp.getheader("Content-Encoding") == "gzip":
            body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
        elif s.gzip and s.body_file:
            return resp.status, b"(not gzip-encoded)", resp.will_close
        return resp.status, body, resp.will_close
    finally:
        conn.close()


def _tls_connect(port, ctx, session=None):
    """One TLS connection to localhost:port that sends a request and reads the
    answer (so that TLS 1.3 tickets arrive); (version, ALPN, reused, session)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as t:
            t.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            while t.recv(65536):
                pass
            return t.version(), t.selected_alpn_protocol(), t.session_reused, t.session


def _check_tls(port, s):
    """TLS 1.3 by default; ALPN h2 for h2-small; a resumed session for https-resume."""
    ctx = _tls_context()
    version, _, _, session = _tls_connect(port, ctx)
    if version != "TLSv1.3":
        return f"negotiated {version}, expected TLSv1.3"
    if s.load == "h2load":
        alpn = _tls_connect(port, _tls_context(("h2", "http/1.1")))[1]
        if alpn != "h2":
            return f"ALPN gave {alpn} when h2 was offered"
    if s.resume and not _tls_connect(port, ctx, session=session)[2]:
        return "did not resume the TLS session"
    return None


def check_answer(port, s, expected_body):
    """None when right, else what was wrong (one line)."""
    try:
        status, body, closed = _fetch(port, s)
    except (OSError, http.client.HTTPException) as e:
        return f"request failed: {e}"
    if status != s.expect_status:
        return f"status {status}, expected {s.expect_status}"
    if body != expected_body:
        return f"body of {len(body)} bytes differs from the expected {len(expected_body)} bytes"
    if s.close and not closed:
        return "kept the connection open after Connection: close"
    if s.tls:
        try:
            return _check_tls(port, s)
        except (OSError, ssl.SSLError) as e:
            return f"TLS check failed: {e}"
    return None
