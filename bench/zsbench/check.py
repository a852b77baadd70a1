# Before a server is measured it must answer the scenario's request right: the
# status, the exact body and, for new-conn, a closed connection. A server that
# does not is reported and left out of that scenario.
import http.client

from . import scenarios as sc


def _fetch(port, s):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", s.path, headers=sc.scenario_headers(s))
        resp = conn.getresponse()
        return resp.status, resp.read(), resp.will_close
    finally:
        conn.close()


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
    return None
