# The load generators beside wrk, for the TLS scenarios: h2load for HTTP/2
# (-c connections, -m streams each) and openssl s_time -reuse for resumed
# handshakes (one connection at a time). Each run gives the measurement wrk.py
# gives; the figures a tool does not measure (h2load's and s_time's latency
# percentiles) are None and print as "-".
import re
import subprocess
import time

from . import scenarios as sc
from . import wrk


def h2load_argv(s, port, seconds, core):
    return ["taskset", "-c", str(core), "h2load", "-t1", f"-c{s.connections}", f"-m{sc.H2_STREAMS}",
            f"-D{seconds}", sc.scenario_url(s, port)]


def h2load_parse(text):
    done = re.search(r"finished in ([\d.]+)s, ([\d.]+) req/s", text)
    req = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                    r"(\d+) errored, (\d+) timeout", text)
    codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
    if not (done and req and codes):
        return None
    n_done, failed, errored, timeout = (int(req.group(i)) for i in (3, 5, 6, 7))
    return {"rps": float(done.group(2)), "requests": n_done, "p50_ms": None, "p99_ms": None, "p999_ms": None,
            "non2xx": int(codes.group(3)) + int(codes.group(4)),     # >= 400, as wrk counts them
            "socket_errors": failed + errored + timeout}


def s_time_request(s):
    """s_time sends "GET <page> HTTP/1.0" and no header: the page carries an HTTP/1.1
    request line's end, Host (sites match it) and the scenario's headers, and the
    trailing " HTTP/1.0" becomes a header's value."""
    headers = {"Host": "localhost", **sc.scenario_headers(s)}
    return s.path + " HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "X-Version:"


def s_time_argv(s, port, seconds, core):
    return ["taskset", "-c", str(core), "openssl", "s_time", "-connect", f"localhost:{port}", "-reuse",
            "-time", str(seconds), "-www", s_time_request(s)]


def s_time_parse(text, wall_s, s):
    """s_time prints a letter per connection: 'r' when it resumed, else the version
    ('*' for TLS 1.3); a connection that did not resume (after the first) is an
    error, and so is an answer shorter than the body."""
    m = re.search(r"(\d+) connections in \d+ real seconds, (\d+) bytes read per connection", text)
    if not m:
        return None
    n = int(m.group(1))
    letters = "".join(re.findall(r"^[r*t123]+$", text, re.M))
    fresh = max(0, len(letters) - letters.count("r") - 1)
    return {"rps": n / max(wall_s, 1e-6), "requests": n, "p50_ms": None, "p99_ms": None, "p999_ms": None,
            "non2xx": 0 if int(m.group(2)) > len(s.body) else n, "socket_errors": fresh}


def load_run(s, port, seconds, core):
    """One run of the scenario's load generator: the measurement, or RuntimeError."""
    if s.load == "wrk":
        return wrk.wrk_run(s, port, seconds, core)
    argv = h2load_argv(s, port, seconds, core) if s.load == "h2load" else s_time_argv(s, port, seconds, core)
    start = time.monotonic()
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    wall = time.monotonic() - start
    m = h2load_parse(out.stdout) if s.load == "h2load" else s_time_parse(out.stdout, wall, s)
    if m is None:
        raise RuntimeError(f"{s.load} gave no summary: {out.stdout[-500:]} {out.stderr[-500:]}")
    return m
