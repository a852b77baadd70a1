# Turns the rounds into results (medians) and writes them out: the markdown table
# with zsrt's ratios to nginx and Caddy from the same run, the JSON list, and the
# gnuplot chart.
import json
import os
import platform
import statistics
import subprocess

FIELDS = ["rps", "p50_ms", "p99_ms", "p999_ms", "cpu_s"]
COLORS = {"nginx": "#2b8a3e", "h2o": "#7048e8", "caddy": "#1c7ed6", "zsrt": "#e8590c",
          "zsrt-ossl": "#f08c00", "ceiling": "#868e96"}
PEERS = ("nginx", "h2o", "caddy", "ceiling")
ZSRT_BUILDS = ("zsrt", "zsrt-ossl")     # each gets its ratio rows (zsrt-ossl: TLS scenarios)


def result_from_rounds(scenario, server, rounds, rss_kib):
    """Medians over the rounds; error counts are totals (one error anywhere counts)."""
    r = {"scenario": scenario, "server": server, "status": "ok", "note": ""}
    for f in FIELDS:        # None: the load generator does not measure it (h2load, s_time)
        vals = [x[f] for x in rounds if x[f] is not None]
        r[f] = round(statistics.median(vals), 3) if vals else None
    r["non2xx"] = sum(x["non2xx"] for x in rounds)
    r["socket_errors"] = sum(x["socket_errors"] for x in rounds)
    r["errors"] = r["non2xx"] + r["socket_errors"]
    r["requests"] = sum(x["requests"] for x in rounds)
    r["cpu_us_per_req"] = round(1e6 * sum(x["cpu_s"] for x in rounds) / max(r["requests"], 1), 2)
    r["rss_kib"] = rss_kib
    r["rounds"] = len(rounds)
    return r


def result_left_out(scenario, server, status, note):
    r = {"scenario": scenario, "server": server, "status": status, "note": note}
    for f in FIELDS + ["errors", "non2xx", "socket_errors", "requests", "cpu_us_per_req",
                       "rss_kib", "rounds"]:
        r[f] = None
    return r


def machine_info():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores, {model}, Linux {platform.release()}"


def _fmt(v, digits=2):
    return "-" if v is None else f"{v:,.{digits}f}"


def _ratio(a, b):
    return "-" if not a or not b else f"{a / b:.2f}x"


def _main_table(results):
    rows = ["| scenario | server | req/s | p50 ms | p99 ms | p99.9 ms | errors | peak RSS MiB"
            " | CPU s | CPU µs/req |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        if r["status"] != "ok":
            rows.append(f"| {r['scenario']} | {r['server']} | {r['status']}: {r['note']} "
                        "| | | | | | | |")
            continue
        rows.append(f"| {r['scenario']} | {r['server']} | {_fmt(r['rps'], 0)} | {_fmt(r['p50_ms'], 3)}"
                    f" | {_fmt(r['p99_ms'], 3)} | {_fmt(r['p999_ms'], 3)} | {r['errors']}"
                    f" | {_fmt(r['rss_kib'] / 1024, 1)} | {_fmt(r['cpu_s'])} | {_fmt(r['cpu_us_per_req'])} |")
    return rows


def _best_peer(g):
    """The faster of nginx and h2o in this scenario: the bar zsrt is held to."""
    cands = [p for p in ("nginx", "h2o") if g[p].get("rps")]
    return max(cands, key=lambda p: g[p]["rps"]) if cands else None


def _ratio_table(results, scenarios):
    """zsrt against each peer from the same run: req/s (above 1.00x is better), CPU
    per request and p99 (below 1.00x is better), and against the best of nginx/h2o."""
    ok = {(r["scenario"], r["server"]): r for r in results if r["status"] == "ok"}
    rows = ["| scenario | req/s vs nginx | vs h2o | vs caddy | vs ceiling | CPU/req vs nginx"
            " | vs h2o | p99 vs nginx | vs h2o | best of nginx/h2o: req/s, CPU/req |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    builds = [z for z in ZSRT_BUILDS if z == "zsrt" or any(r["server"] == z for r in results)]
    for name, zname in ((n, z) for n in scenarios for z in builds):
        if zname != "zsrt" and (name, zname) not in {(r["scenario"], r["server"]) for r in results}:
            continue
        g = {srv: ok.get((name, srv), {}) for srv in (zname,) + PEERS}
        z = g[zname]
        cells = [_ratio(z.get("rps"), g[p].get("rps")) for p in PEERS]
        cells += [_ratio(z.get("cpu_us_per_req"), g[p].get("cpu_us_per_req")) for p in ("nginx", "h2o")]
        cells += [_ratio(z.get("p99_ms"), g[p].get("p99_ms")) for p in ("nginx", "h2o")]
        best = _best_peer(g)
        cells.append("-" if not best else
                     f"{best}: {_ratio(z.get('rps'), g[best]['rps'])}, "
                     f"{_ratio(z.get('cpu_us_per_req'), g[best].get('cpu_us_per_req'))}")
        label = name if zname == "zsrt" else f"{name} ({zname})"
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return rows


def report_markdown(results, scenarios, setup_note):
    lines = [f"Machine: {machine_info()}", f"Setup: {setup_note}", ""]
    lines += _main_table(results) + ["", "zsrt's ratios (same run; req/s above 1.00x is better,"
                                     " CPU per request and p99 below 1.00x are better):", ""]
    lines += _ratio_table(results, scenarios)
    return "\n".join(lines) + "\n"


def report_json(results, path):
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")


def _gnuplot_data(results, scenarios, servers, field):
    ok = {(r["scenario"], r["server"]): r[field] for r in results if r["status"] == "ok"}
    lines = ["scenario " + " ".join(servers)]
    for name in scenarios:
        vals = [ok.get((name, srv)) for srv in servers]
        lines.append(name + " " + " ".join("NaN" if v is None else f"{v}" for v in vals))
    return "\n".join(lines) + "\n"


def report_png(results, scenarios, servers, path, tmp):
    """Two panels: req/s and p99 latency per scenario, one bar per server, log scale
    (the scenarios differ by orders of magnitude). Returns an error line or None."""
    data = {}
    for field in ("rps", "p99_ms"):
        data[field] = f"{tmp}/{field}.dat"
        with open(data[field], "w") as f:
            f.write(_gnuplot_data(results, scenarios, servers, field))
    plots = ", ".join(f"'{{dat}}' using {i + 2}:xtic(1) title columnheader({i + 2})"
                      f" linecolor rgb '{COLORS.get(name, '#444444')}'"
                      for i, name in enumerate(servers))
    script = f"""set terminal pngcairo size 1200,900 font ",10"
set output '{path}'
set multiplot layout 2,1 title "{machine_info()}"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set logscale y
set grid ytics
set key outside right top
set xtics rotate by -20
set xrange [-0.6:{len(scenarios) - 0.4}]
set title "requests per second (higher is better)"
plot {plots.replace('{dat}', data['rps'])}
set title "p99 latency, ms (lower is better)"
plot {plots.replace('{dat}', data['p99_ms'])}
unset multiplot
"""
    out = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True)
    return None if out.returncode == 0 else out.stderr.strip()
