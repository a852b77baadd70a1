#!/usr/bin/python3
# Runs bench/run --quick on two scenarios and checks its JSON: zsrt, nginx, h2o,
# Caddy and the ceiling responder each ran both and answered every request with the
# right status and no socket error. Exits 77 when wrk, a peer or a second core is
# missing.
import json
import os
import shutil
import subprocess
import sys
import tempfile

SCENARIOS = ["respond", "static-small"]
REQUIRED = ["zsrt", "nginx", "h2o", "caddy", "ceiling"]


def skip_reason():
    for tool in ("wrk", "nginx", "h2o", "caddy", "taskset", "gnuplot"):
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            return f"{tool} is not installed (tools/setup installs it)"
    if len(os.sched_getaffinity(0)) < 2 or not {0, 1} <= os.sched_getaffinity(0):
        return "the benchmark pins servers to core 0 and wrk to core 1; cores 0 and 1 are not both available"
    return None


def problems(results):
    seen = {(r["scenario"], r["server"]): r for r in results}
    bad = []
    for scenario in SCENARIOS:
        for server in REQUIRED:
            if (scenario, server) not in seen:
                bad.append(f"{scenario}/{server}: missing from the results")
    for r in results:
        where = f"{r['scenario']}/{r['server']}"
        if r["status"] != "ok":
            bad.append(f"{where}: {r['status']}: {r['note']}")
        elif r["errors"] != 0 or not r["requests"]:
            bad.append(f"{where}: {r['errors']} errors ({r['non2xx']} non-2xx) in {r['requests']} requests")
    return bad


def main():
    run, zsc, zsrt, ceiling = sys.argv[1:5]
    why = skip_reason()
    if why:
        print(f"skip: {why}", file=sys.stderr)
        return 77
    with tempfile.TemporaryDirectory(prefix="zs-bench-smoke-") as tmp:
        out = f"{tmp}/results.json"
        argv = [run, "--quick", "--json", out, "--png", f"{tmp}/chart.png", "--base-port", "18600",
                "--zsc", zsc, "--zsrt", zsrt, "--ceiling", ceiling] + SCENARIOS
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=280)
        sys.stderr.write(proc.stderr)
        print(proc.stdout)
        if proc.returncode != 0 or not os.path.exists(out):
            print(f"FAIL: bench/run exited {proc.returncode}", file=sys.stderr)
            return 1
        with open(out) as f:
            bad = problems(json.load(f))
        if not os.path.getsize(f"{tmp}/chart.png"):
            bad.append("no PNG chart")
    for line in bad:
        print(f"FAIL: {line}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
