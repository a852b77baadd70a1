#!/usr/bin/env python3
"""End-to-end: basic_auth served by zsrt with hashes from `zsc hash-password`:
the 401 and its realm, the user in {http.auth.user.id} and the access log,
and that bcrypt (verified off the workers) stalls no other client: several
slow verifications at once while a plain request is answered at once.
Usage: test_auth.py BUILD_DIR"""
import base64
import json
import os
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Zsrt, check, get, request, run_cases  # noqa: E402


def hash_password(build, password, cost):
    r = subprocess.run([os.path.join(build, "compiler", "zsc"), "hash-password", "--bcrypt-cost", str(cost)],
                       input=password + "\n", capture_output=True, text=True)
    check("hash-password from stdin", r.returncode == 0 and r.stdout.startswith("$2a$%02d$" % cost), r)
    return r.stdout.strip()


def creds(user, password):
    return ("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())


def case_answers(build):
    h = hash_password(build, "s3cret", 4)
    z = Zsrt(build, """:{PORT} {
\tlog {
\t\toutput file access.log
\t}
\tbasic_auth /priv/* bcrypt "Members" {
\t\talice %s
\t}
\trespond "user={http.auth.user.id}"
}""" % h)
    try:
        r = get(z.port, "/priv/a")
        check("no credentials: 401", r.status == 401 and r.body == b"", (r.status, r.body))
        check("the realm", r.header("Www-Authenticate") == 'Basic realm="Members"', r.headers)
        r = get(z.port, "/priv/a", headers=[creds("alice", "s3cret")])
        check("the right password", r.status == 200 and r.body == b"user=alice", (r.status, r.body))
        r = get(z.port, "/priv/a", headers=[creds("alice", "s3cret")])
        check("again (cached)", r.status == 200 and r.body == b"user=alice", (r.status, r.body))
        r = get(z.port, "/priv/a", headers=[creds("alice", "wrong")])
        check("a wrong password: 401", r.status == 401, r.status)
        raw = ("GET /priv/a HTTP/1.1\r\nHost: x\r\n%s: %s\r\n\r\n" % creds("mallory", "s3cret")).encode()
        r = request(z.port, raw, timeout=60)   # hashed against Caddy's cost-14 fake hash
        check("an unknown user: 401", r.status == 401, r.status)
        r = get(z.port, "/pub")
        check("unset outside basic_auth, as Caddy's ReplaceKnown leaves it",
              r.body == b"user={http.auth.user.id}", r.body)
        time.sleep(0.3)
        with open(os.path.join(z.dir, "access.log")) as f:
            lines = [json.loads(line) for line in f if line.strip()]
        users = [(e["request"]["uri"], e["status"], e["user_id"]) for e in lines]
        check("the access log's user_id", ("/priv/a", 200, "alice") in users and ("/priv/a", 401, "") in users, users)
    finally:
        z.stop()


def case_no_stall(build):
    """four verifications of cost 11 (a good part of a second each here) on
    one worker, and a plain request sent while they run"""
    h = hash_password(build, "slow", 11)
    z = Zsrt(build, ":{PORT} {\n\tbasic_auth /priv/* {\n\t\tbob %s\n\t}\n\trespond /plain \"plain\"\n"
             "\trespond \"in\"\n}" % h, workers=1)
    try:
        results = []

        def slow(i):
            t = time.monotonic()
            raw = ("GET /priv/%d HTTP/1.1\r\nHost: x\r\n%s: %s\r\n\r\n" % ((i,) + creds("bob", "slow-%d" % i))).encode()
            r = request(z.port, raw, timeout=60)   # all different: no cache
            results.append((r.status, time.monotonic() - t))

        threads = [threading.Thread(target=slow, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.05)
        t0 = time.monotonic()
        r = get(z.port, "/plain")
        plain = time.monotonic() - t0
        for t in threads:
            t.join()
        slowest = max(d for _, d in results)
        check("the plain request is answered", r.status == 200 and r.body == b"plain", (r.status, r.body))
        check("every wrong password gets its 401", sorted(s for s, _ in results) == [401] * 4, results)
        check("the plain request waits for no bcrypt (%.3fs, slowest verification %.3fs)" % (plain, slowest),
              plain < 0.2 and plain < slowest / 2, (plain, slowest))
        r = request(z.port, ("GET /priv/x HTTP/1.1\r\nHost: x\r\n%s: %s\r\n\r\n" % creds("bob", "slow")).encode(),
                    timeout=60)
        check("then the right one", r.status == 200 and r.body == b"in", (r.status, r.body))
    finally:
        z.stop()


def case_h2(build):
    """HTTP/2 (h2c): a stream waiting for its verification holds up no other
    stream of the connection, and two waiting for the same one share it"""
    if not shutil.which("nghttp"):
        print("skip: no nghttp")
        return
    h = hash_password(build, "pw", 11)
    z = Zsrt(build, "{\n\tservers {\n\t\tprotocols h1 h2c\n\t}\n}\n:{PORT} {\n\tbasic_auth /priv/* {\n"
             "\t\tbob %s\n\t}\n\trespond \"{http.auth.user.id}\"\n}" % h, workers=1)
    try:
        base = "http://127.0.0.1:%d" % z.port
        r = subprocess.run(["nghttp", "-s", "-H", "authorization: " + creds("bob", "pw")[1],
                            base + "/priv/a", base + "/priv/b", base + "/pub"],
                           capture_output=True, text=True, timeout=60)
        rows = [line.split() for line in r.stdout.splitlines() if line.strip().split()[:1] and
                line.split()[0].isdigit() and "/" in line]
        done = [(row[-1], row[-3]) for row in rows]   # (path, code) in the order they completed
        check("every stream answered", sorted(done) == [("/priv/a", "200"), ("/priv/b", "200"), ("/pub", "200")],
              r.stdout + r.stderr)
        check("the plain stream first", done[:1] == [("/pub", "200")], done)
    finally:
        z.stop()


def case_error_routes(build):
    """a failure is Caddy's 401 error: handle_errors answers it, with the
    Www-Authenticate basic_auth set first; basic_auth comes before error and
    ebpf in Caddy's order, so it guards them"""
    h = hash_password(build, "pw", 4)
    z = Zsrt(build, """:{PORT} {
\terror /gone/* "it is gone" 410
\tbasic_auth {
\t\tbob %s
\t}
\trespond "in {http.auth.user.id}"
\thandle_errors {
\t\trespond "{http.error.status_code} {http.error.message}" {http.error.status_code}
\t}
}""" % h)
    try:
        r = get(z.port, "/x")
        check("error routes answer the 401", r.status == 401 and r.body == b"401 not authenticated", (r.status, r.body))
        check("  with its Www-Authenticate", r.header("Www-Authenticate") == 'Basic realm="restricted"', r.headers)
        r = get(z.port, "/gone/a")
        check("basic_auth before error (directive order)", r.status == 401, (r.status, r.body))
        r = get(z.port, "/gone/a", headers=[creds("bob", "pw")])
        check("  then the error", r.status == 410 and r.body == b"410 it is gone", (r.status, r.body))
        r = get(z.port, "/x", headers=[creds("bob", "pw")])
        check("  and the site", r.status == 200 and r.body == b"in bob", (r.status, r.body))
    finally:
        z.stop()


def case_guards_ebpf(build):
    """basic_auth before ebpf (Caddy's order): a request without the password
    never reaches the program, and one that waited for its verification runs
    the program once (it takes one token of the rate limit, not two)"""
    h = hash_password(build, "pw", 4)
    prog = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "plugins", "rate_limit.c")
    z = Zsrt(build, ":{PORT} {\n\tebpf * %s 1 2\n\tbasic_auth {\n\t\tbob %s\n\t}\n\trespond \"in\"\n}"
             % (os.path.abspath(prog), h))
    try:
        codes = [get(z.port, "/").status for _ in range(3)]
        check("no password: 401, the program not run", codes == [401] * 3, codes)
        codes = [get(z.port, "/", headers=[creds("bob", "pw")]).status for _ in range(3)]
        check("then two tokens of the burst for two requests, the third 429", codes == [200, 200, 429], codes)
    finally:
        z.stop()


def case_refused(build):
    r = subprocess.run([os.path.join(build, "compiler", "zsc"), "hash-password", "-p", "x", "-a", "argon2id"],
                       capture_output=True, text=True)
    check("hash-password refuses argon2id", r.returncode == 1 and "argon2id" in r.stderr, r)
    try:
        Zsrt(build, ":{PORT} {\n\tbasic_auth argon2id {\n\t\tbob $argon2id$v=19$m=1,t=1,p=1$c2FsdA$a2V5\n\t}\n}")
        check("argon2id is refused at its token", False, "compiled")
    except RuntimeError as e:
        check("argon2id is refused at its token", ":2:13: error: zsc cannot compile basic_auth hash algorithm "
              "'argon2id' yet" in str(e), str(e))
    h = "$2a$04$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBpu"
    for what, text, where in (
            ("in handle_errors", ":{PORT} {\n\thandle_errors {\n\t\tbasic_auth {\n\t\t\tbob %s\n\t\t}\n"
             "\t\trespond x\n\t}\n\tfile_server\n}" % h, ":3:3: error: zsc cannot compile basic_auth in handle_errors yet"),
            ("after an ebpf program", ":{PORT} {\n\troute {\n\t\tebpf p.c\n\t\tbasic_auth {\n\t\t\tbob %s\n\t\t}\n"
             "\t}\n}" % h, ":4:3: error: zsc cannot compile basic_auth after an ebpf program yet")):
        try:
            Zsrt(build, text)
            check("basic_auth %s is refused at its token" % what, False, "compiled")
        except RuntimeError as e:
            check("basic_auth %s is refused at its token" % what, where in str(e), str(e))


def main():
    run_cases((case_answers, case_no_stall, case_h2, case_error_routes, case_guards_ebpf, case_refused), sys.argv[1])


if __name__ == "__main__":
    main()
