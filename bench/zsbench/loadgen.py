# The load generators and one entry, load_run: wrk (wrk.py), h2load for HTTP/2
# (-c connections, -m streams each) and openssl s_time -new for full handshakes
# (wrk resumes the session when it reconnects, so it measures resumption). Each
# gives the same measurement; the figures a tool does not measure (h2load's and
# s_time's latency percentiles) are None and print as "-".
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
    """-new: a full handshake per connection; -reuse: each resumes the first session."""
    return ["taskset", "-c", str(core), "openssl", "s_time", "-connect", f"localhost:{port}", "-tls1_3",
            "-reuse" if s.resume else "-new", "-time", str(seconds), "-www", s_time_request(s)]


def s_time_parse(text, s):
    """(connections, errors) of one s_time. It prints a letter per connection: 'r'
    when it resumed, else '*' (TLS 1.2 or 1.3); with -new a resumed connection is
    an error, with -reuse one that did not resume (after the first); and so is
    every connection when the answers were shorter than the body."""
    m = re.search(r"(\d+) connections in \d+ real seconds, (\d+) bytes read per connection", text)
    if not m:
        return None
    n = int(m.group(1))
    letters = "".join(re.findall(r"^[r*t3]+$", text, re.M))
    resumed = letters.count("r")
    wrong = max(0, len(letters) - resumed - 1) if s.resume else resumed
    return n, wrong + (0 if int(m.group(2)) > len(s.body) else n)


def s_time_run(s, port, seconds, core):
    """s.connections s_time processes at once (each runs one connection at a time)."""
    start = time.monotonic()
    procs = [subprocess.Popen(s_time_argv(s, port, seconds, core), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for _ in range(s.connections)]
    outs = [p.communicate(timeout=seconds + 60)[0] for p in procs]
    wall = time.monotonic() - start
    parsed = [s_time_parse(out, s) for out in outs]
    if None in parsed:
        raise RuntimeError(f"s_time gave no summary: {outs[parsed.index(None)][-500:]}")
    n = sum(x[0] for x in parsed)
    return {"rps": n / max(wall, 1e-6), "requests": n, "p50_ms": None, "p99_ms": None, "p999_ms": None,
            "non2xx": 0, "socket_errors": sum(x[1] for x in parsed)}


# load -> (argv, parse) of the tools that run once per measurement
ONE_PROCESS = {"wrk": (wrk.wrk_argv, wrk.wrk_parse), "h2load": (h2load_argv, h2load_parse)}


def load_run(s, port, seconds, core):
    """One run of the scenario's load generator: the measurement, or RuntimeError."""
    if s.load == "s_time":
        return s_time_run(s, port, seconds, core)
    argv, parse = ONE_PROCESS[s.load]
    out = subprocess.run(argv(s, port, seconds, core), capture_output=True, text=True, timeout=seconds + 60)
    m = parse(out.stdout)
    if m is None:
        raise RuntimeError(f"{s.load} gave no summary: {out.stdout[-500:]} {out.stderr[-500:]}")
    return m
