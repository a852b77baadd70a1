#!/usr/bin/env python3
"""`zsc adapt` against Caddy 2.6.2 on shared/realworld, after the output
changes between Caddy 2.6.2 and current Caddy that can be applied to 2.6.2's
JSON as a value rewrite. Each rewrite is one function below, named in
docs/adapt-versions.md with the Caddy change behind it; a file counts as equal
"after version changes" only when zsc's JSON equals 2.6.2's after them. The
changes that move or regroup routes (sorting, consolidation) are not rewritten:
files that differ by those stay counted as different, and --why names the
first differing JSON path of each.

usage: realworld-compare.py [--why] ZSC [REALWORLD_DIR]
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def walk(v, fn):
    """fn on every dict and list, children first; fn returns the replacement"""
    if isinstance(v, dict):
        v = {k: walk(x, fn) for k, x in v.items()}
    elif isinstance(v, list):
        v = [walk(x, fn) for x in v]
    return fn(v)


def logger_names_lists(cfg):
    """logger_names: hosts without their port (Caddy 2.8, #5881), each to a
    list of loggers (Caddy 2.8, #6088)"""
    def host(h):
        return h.rsplit(":", 1)[0] if ":" in h and "]" not in h else h
    def fn(v):
        if isinstance(v, dict) and isinstance(v.get("logger_names"), dict):
            names = {}
            for h, n in v["logger_names"].items():
                names.setdefault(host(h), []).extend(n if isinstance(n, list) else [n])
            v["logger_names"] = names
        return v
    return walk(cfg, fn)


def metrics_hoisted(cfg):
    """`servers { metrics }` moves to apps.http.metrics (Caddy 2.9, #6606)"""
    http = cfg.get("apps", {}).get("http", {})
    found = None
    for srv in http.get("servers", {}).values():
        m = srv.pop("metrics", None)
        if m is not None:
            found = found or {}
            if m.get("per_host"):
                found["per_host"] = True
    if found is not None and "metrics" not in http:
        http["metrics"] = found
    return cfg


def zerossl_as_acme(cfg):
    """the default ZeroSSL issuer is the ACME issuer with ZeroSSL's directory (Caddy 2.8, #6229)"""
    def fn(v):
        if isinstance(v, dict) and v.get("module") == "zerossl" and set(v) <= {"module", "email"}:
            out = {"ca": "https://acme.zerossl.com/v2/DV90", "module": "acme"}
            if "email" in v:
                out["email"] = v["email"]
            return out
        return v
    return walk(cfg, fn)


def php_redirect_query(cfg):
    """php_fastcgi's index redirect keeps the query (Caddy 2.9, #6714) and its file
    matcher uses try_policy first_exist_fallback (Caddy 2.9, #6699)"""
    def fn(v):
        if isinstance(v, list) and v == ["{http.request.orig_uri.path}/"]:
            return ["{http.request.orig_uri.path}/{http.request.orig_uri.prefixed_query}"]
        if isinstance(v, dict) and "split_path" in v and "try_files" in v and "try_policy" not in v:
            v["try_policy"] = "first_exist_fallback"
        return v
    return walk(cfg, fn)


def encode_defaults(cfg):
    """`encode` without arguments enables zstd and gzip, zstd preferred (Caddy 2.9, #6737)"""
    def fn(v):
        if v == {"handler": "encode"}:
            return {"encodings": {"gzip": {}, "zstd": {}}, "handler": "encode", "prefer": ["zstd", "gzip"]}
        return v
    return walk(cfg, fn)


def regexp_shorthand(cfg):
    """{re.N} without a matcher name expands to {http.regexp.N} (Caddy 2.8)"""
    pat = re.compile(r"\{re\.([0-9A-Za-z_.-]+)\}")
    def fn(v):
        if isinstance(v, dict):
            return {k: pat.sub(r"{http.regexp.\1}", x) if isinstance(x, str) else x for k, x in v.items()}
        if isinstance(v, list):
            return [pat.sub(r"{http.regexp.\1}", x) if isinstance(x, str) else x for x in v]
        return v
    return walk(cfg, fn)


def errors_subroute(cfg):
    """each handle_errors block is a route of its own, a subroute (Caddy 2.8, #5965)"""
    for srv in cfg.get("apps", {}).get("http", {}).get("servers", {}).values():
        routes = srv.get("errors", {}).get("routes")
        if not routes:
            continue
        if any("match" in r and "host" in r["match"][0] for r in routes):
            for r in routes:
                sub = r["handle"][0]
                if sub.get("handler") == "subroute":
                    sub["routes"] = [{"handle": [{"handler": "subroute", "routes": sub["routes"]}]}]
        else:
            srv["errors"]["routes"] = [{"handle": [{"handler": "subroute", "routes": routes}]}]
    return cfg


def header_defer(cfg):
    """a `>` before a response header field sets or replaces it deferred (Caddy 2.7, #5535)"""
    def fn(v):
        if isinstance(v, dict) and v.get("handler") == "headers" and isinstance(v.get("response"), dict):
            resp = v["response"]
            for op in ("set", "replace"):
                fields = resp.get(op, {})
                if any(k.startswith(">") for k in fields):
                    resp[op] = {k.lstrip(">"): x for k, x in fields.items()}
                    resp["deferred"] = True
        return v
    return walk(cfg, fn)


def forward_auth_copy(cfg):
    """forward_auth copies a header only when the auth response has it (Caddy 2.9, #6608)
    and first deletes what the client sent under that name (Caddy 2.11.2)"""
    ph = re.compile(r"^\{http\.reverse_proxy\.header\.(.+)\}$")
    def fn(v):
        if not (isinstance(v, dict) and v.get("match") == {"status_code": [2]} and len(v.get("routes", [])) == 1):
            return v
        route = v["routes"][0]
        handle = route.get("handle", [])
        if set(route) != {"handle"} or len(handle) != 1 or handle[0].get("handler") != "headers":
            return v
        sets = handle[0].get("request", {}).get("set", {})
        if set(handle[0]) != {"handler", "request"} or set(handle[0]["request"]) != {"set"}:
            return v
        froms = {to: ph.match(val[0]).group(1) for to, val in sets.items() if len(val) == 1 and ph.match(val[0])}
        if len(froms) != len(sets):
            return v
        routes = [{"handle": [{"handler": "vars"}]}]
        for to in sorted(sets, key=lambda t: froms[t]):
            routes.append({"handle": [{"handler": "headers", "request": {"delete": [to]}}]})
            routes.append({"handle": [{"handler": "headers", "request": {"set": {to: sets[to]}}}],
                           "match": [{"not": [{"vars": {sets[to][0]: [""]}}]}]})
        v["routes"] = routes
        return v
    return walk(cfg, fn)


def exclude_sorted(cfg):
    """the default logger's excludes are sorted (Caddy 2.7, #5643)"""
    default = cfg.get("logging", {}).get("logs", {}).get("default", {})
    if isinstance(default.get("exclude"), list):
        default["exclude"] = sorted(set(default["exclude"]))
    return cfg


REWRITES = [logger_names_lists, metrics_hoisted, zerossl_as_acme, php_redirect_query, encode_defaults,
            regexp_shorthand, errors_subroute, header_defer, forward_auth_copy, exclude_sorted]


def unordered(cfg):
    """for --why only: routes in any order, group names dropped (what sorting
    and grouping changes leave alone)"""
    def fn(v):
        if isinstance(v, dict):
            v.pop("group", None)
            if isinstance(v.get("routes"), list):
                v["routes"] = sorted(v["routes"], key=lambda r: json.dumps(r, sort_keys=True))
        return v
    return walk(json.loads(json.dumps(cfg)), fn)


def first_difference(a, b, path="$"):
    if type(a) is not type(b):
        return path
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}.{k}"
            d = first_difference(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path} (length {len(a)} vs {len(b)})"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if a == b else path


def adapt(zsc, rw, name, work):
    d = os.path.join(work, name)
    os.makedirs(d)
    shutil.copy(os.path.join(rw, "files", name + ".Caddyfile"), os.path.join(d, "Caddyfile"))
    extra = os.path.join(rw, "files", name + ".d")
    if os.path.isdir(extra):
        shutil.copytree(extra, d, dirs_exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    r = subprocess.run([zsc, "adapt", "Caddyfile"], cwd=d, capture_output=True, text=True, timeout=20, env=env)
    return json.loads(r.stdout) if r.returncode == 0 else None


def main():
    args = sys.argv[1:]
    why = "--why" in args
    args = [a for a in args if a != "--why"]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    zsc = os.path.abspath(args[0])
    rw = args[1] if len(args) > 1 else os.path.join(HERE, "..", "..", "..", "shared", "realworld")
    expected_dir = os.path.join(rw, "expected-2.6.2")
    raw = after = total = 0
    notes = []
    with tempfile.TemporaryDirectory() as work:
        for f in sorted(os.listdir(expected_dir)):
            name = f[:-len(".json")]
            total += 1
            want = json.load(open(os.path.join(expected_dir, f)))
            got = adapt(zsc, rw, name, work)
            if got == want:
                raw += 1
            for fn in REWRITES:
                want = fn(want)
            if got == want:
                after += 1
            else:
                kind = "" if got is None or unordered(got) != unordered(want) else " (route order or group names only)"
                notes.append(f"{name}: " + ("zsc adapt failed" if got is None else first_difference(want, got)) + kind)
    if why:
        print("\n".join(notes))
    print(f"adapt equal to Caddy 2.6.2: raw {raw}/{total}, after version changes {after}/{total}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
