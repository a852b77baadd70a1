"""Rolled access log files end to end: zsrt with two workers writes to a file
with roll_size 1MiB while clients on several connections send requests with
large headers; the rolled files must have lumberjack's names, be gzipped
(unless roll_uncompressed), never pass the size, be kept as roll_keep and
roll_keep_for say, and hold every line exactly once and whole. Loopback
only; zsrt is stopped by PID."""
import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Served, check, failures, free_port  # noqa: E402

BUILD = os.path.abspath(sys.argv[1])
ZSC = os.path.join(BUILD, "compiler", "zsc")
ZSRT = os.path.join(BUILD, "runtime", "zsrt")
MIB = 1024 * 1024
NAME = re.compile(r"^access-(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3})\.log(\.gz)?$")


def serve(work, options, env=None):
    port = free_port()
    logdir = os.path.join(work, "logs")
    os.makedirs(logdir, exist_ok=True)
    cf = os.path.join(work, "Caddyfile")
    with open(cf, "w") as f:
        f.write(":%d {\n\tlog {\n\t\toutput file %s/access.log {\n%s\t\t}\n\t}\n\trespond ok\n}\n"
                % (port, logdir, "".join("\t\t\t%s\n" % o for o in options)))
    r = subprocess.run([ZSC, cf, "-o", os.path.join(work, "site.zsb")], capture_output=True, text=True, cwd=work)
    if r.returncode != 0:
        raise RuntimeError("zsc: " + r.stderr)
    check("no 'does not roll' warning", "roll" not in r.stderr, r.stderr)
    return Served([ZSRT, "--workers", "2", os.path.join(work, "site.zsb")], port, work, "zsrt", env), port, logdir


def send(port, ids):
    """one keep-alive connection, requests pipelined 50 at a time, each with a
    few 300-byte headers (lines of about 2 KB: log lines stop at 4 KB)"""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    pad = "".join("X-Pad%d: %s\r\n" % (k, "p" * 300) for k in range(4))
    ids = list(ids)
    for k in range(0, len(ids), 50):
        batch = ids[k:k + 50]
        s.sendall(b"".join(("GET /%d HTTP/1.1\r\nHost: t\r\nX-Id: %d\r\n%s\r\n" % (i, i, pad)).encode()
                           for i in batch))
        buf = b""
        while buf.count(b"\r\n\r\nok") < len(batch):
            buf += s.recv(65536)
    s.close()


def traffic(port, count, conns=4):
    threads = [threading.Thread(target=send, args=(port, range(k, count, conns))) for k in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def settle(logdir, want_plain):
    """until the roller has compressed what it rolled (or 5 s)"""
    deadline = time.time() + 5
    while time.time() < deadline:
        names = [n for n in os.listdir(logdir) if NAME.match(n)]
        if want_plain or all(n.endswith(".gz") for n in names):
            return
        time.sleep(0.05)


def read_lines(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    return data, data.decode().split("\n")


def test_default_roll(work):
    """roll_size 1MiB, the rest Caddy's defaults: gzip, keep 10, 90 days, UTC"""
    os.makedirs(os.path.join(work, "logs"))
    old = os.path.join(work, "logs", "access-2000-01-01T00-00-00.000.log.gz")
    with gzip.open(old, "wb") as f:
        f.write(b"{}\n")
    other = os.path.join(work, "logs", "other-2000-01-01T00-00-00.000.log")
    open(other, "w").close()
    srv, port, logdir = serve(work, ["roll_size 1MiB"])
    count = 2300   # about 3.6 MiB of lines: three rolls
    start = time.time()
    try:
        traffic(port, count)
        time.sleep(0.3)
        settle(logdir, False)
    finally:
        srv.stop()
    check("older than roll_keep_for (90 days): removed", not os.path.exists(old))
    check("a file that is not the log's: kept", os.path.exists(other))
    rolled = sorted(n for n in os.listdir(logdir) if NAME.match(n))
    check("three rolls", len(rolled) == 3, rolled)
    check("rolled files gzipped", all(n.endswith(".gz") for n in rolled), rolled)
    for n in rolled:
        t = time.strptime(NAME.match(n).group(1)[:19], "%Y-%m-%dT%H-%M-%S")
        check("%s: a UTC time of this run" % n, abs(__import__("calendar").timegm(t) - start) < 60, n)
        check("%s: the log file's mode 0600" % n, os.stat(os.path.join(logdir, n)).st_mode & 0o777 == 0o600,
              oct(os.stat(os.path.join(logdir, n)).st_mode))
    seen = {}
    for n in rolled + ["access.log"]:
        data, lines = read_lines(os.path.join(logdir, n))
        check("%s: at most roll_size" % n, len(data) <= MIB, len(data))
        if n != "access.log":   # lumberjack rolls before the first line that does not fit (lines stop at 4 KB)
            check("%s: filled up to the line that did not fit" % n, len(data) > MIB - 4096, len(data))
        check("%s: ends with a whole line" % n, data.endswith(b"\n"), data[-80:])
        for ln in lines[:-1]:
            try:
                i = int(json.loads(ln)["request"]["headers"]["X-Id"][0])
            except (ValueError, KeyError):
                check("%s: a whole JSON line" % n, False, ln[:200])
                continue
            seen[i] = seen.get(i, 0) + 1
    check("every line once", sorted(seen) == list(range(count)) and set(seen.values()) == {1},
          "%d distinct, %d missing" % (len(seen), count - len(seen)))


def test_keep_uncompressed_local(work):
    """roll_keep 1, roll_uncompressed, roll_local_time, mode 0640"""
    srv, port, logdir = serve(work, ["roll_size 1MiB", "roll_keep 1", "roll_uncompressed", "roll_local_time",
                                     "mode 0640"], dict(os.environ, TZ="<+0530>-05:30"))
    start = time.time()
    try:
        traffic(port, 1500)
        time.sleep(0.5)
    finally:
        srv.stop()
    rolled = sorted(n for n in os.listdir(logdir) if NAME.match(n))
    check("roll_keep 1: one rolled file", len(rolled) == 1, rolled)
    check("roll_uncompressed: not gzipped", rolled and not rolled[0].endswith(".gz"), rolled)
    if rolled:
        t = time.strptime(NAME.match(rolled[0]).group(1)[:19], "%Y-%m-%dT%H-%M-%S")
        ahead = __import__("calendar").timegm(t) - start   # the name's clock against UTC
        check("roll_local_time: local time (UTC+5:30) in the name", abs(ahead - 19800) < 60, (rolled, ahead))
        check("mode 0640 kept", os.stat(os.path.join(logdir, rolled[0])).st_mode & 0o777 == 0o640)
    check("the new file has the mode", os.stat(os.path.join(logdir, "access.log")).st_mode & 0o777 == 0o640)


def main():
    base = tempfile.mkdtemp(prefix="zs-roll-")
    for name, fn in (("default", test_default_roll), ("keep", test_keep_uncompressed_local)):
        work = os.path.join(base, name)
        os.makedirs(work)
        fn(work)
    if failures:
        print("%d failed (files in %s)" % (len(failures), base))
        sys.exit(1)
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
