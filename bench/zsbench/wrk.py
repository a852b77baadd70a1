# wrk's command line (pinned to the load core, with report.lua) and the parse of
# its one-line summary into a measurement: req/s, latency percentiles in ms,
# error counts. loadgen.py runs it.
import json
import os

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
