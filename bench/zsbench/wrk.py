# Runs wrk (pinned to the load core) with report.lua and turns its one-line
# summary into a measurement: req/s, latency percentiles in ms, error counts.
import json
import os
import subprocess

from . import scenarios as sc

LUA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "report.lua")


def wrk_argv(s, port, seconds, core):
    argv = ["taskset", "-c", str(core), "wrk", "-t1", f"-c{s.connections}", f"-d{seconds}s",
            "--timeout", "5s", "-s", LUA]
    for name, value in sc.scenario_headers(s).items():
        argv += ["-H", f"{name}: {value}"]
    return argv + [sc.scenario_url(s, port)]


def wrk_parse(text):
    for line in text.splitlines():
        if line.startswith("ZSBENCH "):
            r = json.loads(line[len("ZSBENCH "):])
            secs = max(r["duration_us"], 1) / 1e6
            return {
                "rps": r["requests"] / secs,
                "requests": r["requests"],
                "p50_ms": r["p50_us"] / 1000,
                "p99_ms": r["p99_us"] / 1000,
                "p999_ms": r["p999_us"] / 1000,
                "non2xx": r["status"],
                "socket_errors": r["connect"] + r["read"] + r["write"] + r["timeout"],
            }
    return None


def wrk_run(s, port, seconds, core):
    """One wrk run; the measurement, or None with wrk's output on failure."""
    out = subprocess.run(wrk_argv(s, port, seconds, core), capture_output=True, text=True,
                         timeout=seconds + 60)
    m = wrk_parse(out.stdout)
    if m is None:
        raise RuntimeError(f"wrk gave no summary: {out.stdout[-500:]} {out.stderr[-500:]}")
    return m
