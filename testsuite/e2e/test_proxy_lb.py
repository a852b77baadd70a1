"""End-to-end load balancing: zsrt in front of several upstream processes
(lb_upstream.py) on loopback ports, which the test kills and restarts:
distribution per lb_policy, retries after dial errors and with streamed
bodies, passive and active
health marking upstreams down and up, transport timeouts, the sticky
cookie, a unix socket upstream, and the hash policies' choices compared
with Caddy's when caddy is installed. Usage: test_proxy_lb.py BUILD_DIR"""
import hashlib
import hmac
import os
import shutil
import socket
import sys
import tempfile
import subprocess
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "diff"))
from harness import Served, Zsrt, check, failures, free_port, get, read_response  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = tempfile.mkdtemp(prefix="zs-e2e-lb-")


class Up(Served):
    """One upstream process, answering with its name."""

    def __init__(self, name, port=None):
        self.name, self.addr = name, port or free_port()
        super().__init__([sys.executable, os.path.join(HERE, "lb_upstream.py"), str(self.addr), name, WORK],
                         self.addr, WORK, "up-" + name)

    def restart(self):
        self.__init__(self.name, self.addr)

    def health(self, status):
        path = os.path.join(WORK, self.name + ".health")
        if status is None:
            os.path.exists(path) and os.unlink(path)
        else:
            with open(path, "w") as f:
                f.write(str(status))


def names(port, n, path="/", headers=()):
    out = []
    for _ in range(n):
        r = get(port, path, headers=headers)
        out.append(r.header("X-Upstream") if r.status == 200 else r.status)
    return out


def proxy(ups, body, workers=2):
    dials = " ".join("127.0.0.1:%d" % u.addr for u in ups)
    return Zsrt(BUILD, ":{PORT} {\n\treverse_proxy %s {\n%s\n\t}\n}\n" % (dials, body), workers=workers)


def case_round_robin(ups):
    z = proxy(ups, "\t\tlb_policy round_robin")
    try:
        got = names(z.port, 9)
        check("round_robin: each upstream in turn, across workers", got[:3] * 3 == got and sorted(got[:3]) == ["a", "b", "c"], got)
        ups[1].stop()
        got = names(z.port, 6)
        check("round_robin: a dead upstream without retries answers 502", got.count(502) == 2 and got.count("a") == 2, got)
        ups[1].restart()
        got = names(z.port, 6)
        check("round_robin: the restarted upstream serves again", sorted(got) == ["a", "a", "b", "b", "c", "c"], got)
    finally:
        z.stop()


def case_retries(ups):
    z = proxy(ups, "\t\tlb_policy round_robin\n\t\tlb_retries 2")
    try:
        ups[0].stop()
        got = names(z.port, 6)
        check("lb_retries: dial errors go to the next upstream", got.count(502) == 0 and "a" not in got, got)
        r = get(z.port, "/", method="POST")
        check("lb_retries: a POST is retried after a dial error", r.status == 200, r.status)
        ups[0].restart()
    finally:
        z.stop()


def case_first_passive(ups):
    z = proxy(ups, "\t\tlb_policy first\n\t\tfail_duration 1s\n\t\tmax_fails 1\n\t\tunhealthy_status 5xx")
    try:
        check("first: the first upstream", names(z.port, 3) == ["a"] * 3, "")
        r = get(z.port, "/status/503")
        check("passive: a 5xx is relayed", r.status == 503 and r.header("X-Upstream") == "a", r.status)
        check("passive: a 5xx marks the upstream down for fail_duration", names(z.port, 2) == ["b", "b"], "")
        time.sleep(1.4)
        check("passive: the failure is forgotten after fail_duration", names(z.port, 1) == ["a"], "")
        ups[0].stop()
        first = names(z.port, 1)
        check("passive: a dial error (no retries) is a 502 and counts", first == [502] and names(z.port, 1) == ["b"], first)
        ups[0].restart()
    finally:
        z.stop()


def case_active(ups):
    z = proxy(ups, "\t\tlb_policy round_robin\n\t\thealth_uri /health\n\t\thealth_interval 200ms\n"
                   "\t\thealth_timeout 500ms\n\t\thealth_status 200")
    try:
        time.sleep(0.5)
        ups[2].health(503)
        time.sleep(0.7)
        got = names(z.port, 6)
        check("active: a failing check takes the upstream out", sorted(got) == ["a", "a", "a", "b", "b", "b"], got)
        ups[2].health(None)
        ups[1].stop()
        time.sleep(0.8)
        got = names(z.port, 6)
        check("active: a killed upstream is out, a passing one back", sorted(got) == ["a", "a", "a", "c", "c", "c"], got)
        ups[1].restart()
        time.sleep(0.8)
        got = names(z.port, 6)
        check("active: a restarted upstream is back", sorted(got) == ["a", "a", "b", "b", "c", "c"], got)
        check("active: checks are logged", "host is up" in z.output(), z.output()[-500:])
    finally:
        z.stop()


def post_split(port, path, body, pause):
    """A POST whose body comes in two pieces, pause seconds apart (0: with its head)."""
    head = ("POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n" % (path, len(body))).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        if not pause:
            s.sendall(head + body)
        else:
            s.sendall(head + body[:len(body) // 2])
            time.sleep(pause)
            s.sendall(body[len(body) // 2:])
        return read_response(s)[0]


def case_stream_retries(ups):
    """Retries meet streamed bodies: a body that went up whole is sent again
    to the next upstream; one that streamed in part is not (502), and the
    failure still counts against its upstream"""
    z = proxy(ups[:2], "\t\tlb_policy first\n\t\tlb_retries 2\n\t\tlb_retry_match {\n\t\t\tmethod POST\n\t\t}\n"
                       "\t\tfail_duration 1s\n\t\tmax_fails 1", workers=1)
    try:
        body = b"x" * 3000
        r = post_split(z.port, "/drop/a", body, 0)
        check("stream retry: a whole body goes again to the next upstream",
              r.status == 200 and r.header("X-Upstream") == "b" and r.header("X-Body-Length") == "3000",
              (r.status, r.headers))
        time.sleep(1.3)
        r = post_split(z.port, "/drop/a", body, 0.3)
        check("stream retry: a body that streamed in part is not sent again", r.status == 502, (r.status, r.headers))
        check("stream retry: the streamed request's failure counts (passive health)", names(z.port, 1) == ["b"], "")
        time.sleep(1.3)
        r = get(z.port, "/drop/ab")
        check("stream retry: a bodiless GET is tried on every upstream, then 502", r.status == 502, r.status)
        time.sleep(1.3)
        r = post_split(z.port, "/", body, 0.3)
        check("stream retry: a streamed body arrives whole", r.status == 200 and r.header("X-Body-Length") == "3000",
              (r.status, r.headers))
    finally:
        z.stop()


def case_timeouts(ups):
    z = proxy(ups[:1], "\t\ttransport http {\n\t\t\tresponse_header_timeout 600ms\n\t\t}")
    try:
        t = time.time()
        r = get(z.port, "/stall")
        took = time.time() - t
        check("response_header_timeout: a stalled upstream gives 504", r.status == 504, r.status)
        check("response_header_timeout: in the time configured", 0.55 < took < 1.3, took)
        check("response_header_timeout: others are not slowed", get(z.port, "/").status == 200, "")
    finally:
        z.stop()


def case_policies(ups):
    z = proxy(ups, "\t\tlb_policy weighted_round_robin 2 1 0")
    try:
        got = names(z.port, 6)
        check("weighted_round_robin: 2 to 1, none to weight 0", sorted(got) == ["a", "a", "a", "a", "b", "b"], got)
    finally:
        z.stop()
    z = proxy(ups, "\t\tlb_policy header X-User {\n\t\t\tfallback first\n\t\t}")
    try:
        picks = {u: names(z.port, 3, headers=(("X-User", u),)) for u in ("ann", "bob", "cy", "dee", "eve")}
        check("header: one upstream per key", all(len(set(v)) == 1 for v in picks.values()), picks)
        check("header: keys spread", len({v[0] for v in picks.values()}) > 1, picks)
        check("header: fallback first without the field", names(z.port, 2) == ["a", "a"], "")
    finally:
        z.stop()
    z = proxy(ups, "\t\tlb_policy query k")
    try:
        picks = {k: names(z.port, 2, "/?a=1&k=%s" % k) for k in ("x", "y%20z", "w", "v", "u", "t")}
        check("query: one upstream per value", all(len(set(v)) == 1 for v in picks.values()), picks)
        check("query: values spread", len({v[0] for v in picks.values()}) > 1, picks)
    finally:
        z.stop()
    z = proxy(ups, "\t\tlb_policy least_conn")
    try:
        res = []
        threads = [threading.Thread(target=lambda: res.append(names(z.port, 1, "/slow")[0])) for _ in range(3)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        check("least_conn: concurrent requests go to idle upstreams", sorted(res) == ["a", "b", "c"], res)
    finally:
        z.stop()


def cookie_of(dial):
    return hmac.new(b"s3", dial.encode(), hashlib.sha256).hexdigest()


def case_cookie(ups):
    z = proxy(ups, "\t\tlb_policy cookie lb s3 {\n\t\t\tfallback round_robin\n\t\t}")
    try:
        r = get(z.port, "/")
        name = r.header("X-Upstream")
        dial = "127.0.0.1:%d" % {u.name: u.addr for u in ups}[name]
        want = "lb=%s; Path=/; HttpOnly; SameSite=Lax" % cookie_of(dial)
        check("cookie: Set-Cookie is the HMAC of the dial address", r.header("Set-Cookie") == want, (r.header("Set-Cookie"), want))
        b = "127.0.0.1:%d" % ups[1].addr
        got = names(z.port, 4, headers=(("Cookie", "x=1; lb=" + cookie_of(b)),))
        check("cookie: a request with the cookie sticks", got == ["b"] * 4, got)
        r = get(z.port, "/", headers=(("Cookie", "lb=" + cookie_of(b)),))
        check("cookie: no new cookie when it matched", r.header("Set-Cookie") is None, r.header("Set-Cookie"))
    finally:
        z.stop()


def case_unix():
    sock = os.path.join(WORK, "up.sock")
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "lb_upstream.py"), "unix:" + sock, "u", WORK])
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.03)
        z = Zsrt(BUILD, ":{PORT} {\n\treverse_proxy unix/%s\n}\n" % sock)
        try:
            r = get(z.port, "/")
            check("unix socket upstream", r.status == 200 and r.header("X-Upstream") == "u", r.status)
        finally:
            z.stop()
    finally:
        proc.terminate()
        proc.wait()


def case_refused():
    for sub, why in (("lb_retry_match {\n\t\t\tpath /x\n\t\t}", "path"),
                     ("health_upstream 127.0.0.1:1", "health_upstream"),
                     ("transport http {\n\t\t\tversions h2c\n\t\t}", "versions"),
                     ("transport http {\n\t\t\ttls\n\t\t}", "tls"),
                     ("lb_policy weighted_round_robin 1", "1 weights for 2 upstreams"),
                     ("header_up X-U {http.reverse_proxy.upstream.host}", "placeholder")):
        try:
            Zsrt(BUILD, ":{PORT} {\n\treverse_proxy 127.0.0.1:9 127.0.0.1:10 {\n\t\t%s\n\t}\n}\n" % sub).stop()
            check("refused: " + sub.split("\n")[0], False, "compiled")
        except RuntimeError as e:
            check("refused: " + sub.split("\n")[0], why in str(e) and "error:" in str(e), str(e)[-300:])


def hash_choices(port, ups):
    return [names(port, 1, "/item/%d?k=%d" % (i, i))[0] for i in range(16)]


def case_hash_stable(ups):
    """uri_hash is rendezvous hashing (Caddy since 2.7; 2.6 took the hash
    modulo the pool): an upstream going down moves only its own keys."""
    z = proxy(ups, "\t\tlb_policy uri_hash\n\t\thealth_uri /health\n\t\thealth_interval 200ms")
    try:
        before = hash_choices(z.port, ups)
        check("uri_hash: the same URI, the same upstream", before == hash_choices(z.port, ups), before)
        check("uri_hash: URIs spread", len(set(before)) == 3, before)
        ups[1].health(503)
        time.sleep(0.7)
        after = hash_choices(z.port, ups)
        moved = [i for i in range(len(before)) if before[i] != after[i]]
        check("uri_hash: only the down upstream's keys move", all(before[i] == "b" for i in moved) and "b" not in after,
              (before, after))
        ups[1].health(None)
        time.sleep(0.7)
        check("uri_hash: they come back with it", hash_choices(z.port, ups) == before, "")
    finally:
        z.stop()


DIFF_BODY = "\t\tlb_policy round_robin\n\t\ttransport http {\n\t\t\tresponse_header_timeout 500ms\n\t\t}"


def diff_run(serve, ups):
    """One server in front of ups: the order, then with c down, then all down
    under passive health, then a stall. serve(body) -> (port, stop)."""
    port, stop = serve(DIFF_BODY + "\n\t\tfail_duration 30s\n\t\tmax_fails 1")
    try:
        got = {"rr": names(port, 6)}
        ups[2].stop()
        got["c down"] = names(port, 6)
        ups[0].stop()
        ups[1].stop()
        got["all down"] = names(port, 3)
        for u in ups:
            u.restart()
    finally:
        stop()
    port, stop = serve(DIFF_BODY)
    try:
        got["stall"] = [get(port, "/stall").status]
    finally:
        stop()
    return got


def case_caddy(ups):
    """As Caddy 2.6.2 answers (round robin, a dead upstream's 502, 503 once
    passive health has every upstream down, 504 past response_header_timeout:
    unchanged since 2.6)."""
    if not shutil.which("caddy"):
        print("skip caddy comparison: caddy is not installed")
        return
    from servers import CaddyServer  # noqa: E402
    dials = " ".join("127.0.0.1:%d" % u.addr for u in ups)

    def serve_zsrt(body):
        z = Zsrt(BUILD, ":{PORT} {\n\treverse_proxy %s {\n%s\n\t}\n}\n" % (dials, body), workers=2)
        return z.port, z.stop

    def serve_caddy(body):
        port = free_port()
        cf = os.path.join(WORK, "Caddyfile.caddy")
        with open(cf, "w") as fh:
            fh.write("{\n\tadmin off\n}\n:%d {\n\treverse_proxy %s {\n%s\n\t}\n}\n" % (port, dials, body))
        c = CaddyServer(cf, port, WORK)
        return port, c.stop

    ours = diff_run(serve_zsrt, ups)
    theirs = diff_run(serve_caddy, ups)
    for k in ours:
        check("as Caddy 2.6.2: %s" % k, ours[k] == theirs[k], (ours[k], theirs[k]))


def main():
    global BUILD
    BUILD = sys.argv[1]
    ups = [Up("a"), Up("b"), Up("c")]
    try:
        case_round_robin(ups)
        case_retries(ups)
        case_first_passive(ups)
        case_active(ups)
        case_timeouts(ups)
        case_stream_retries(ups)
        case_policies(ups)
        case_cookie(ups)
        case_hash_stable(ups)
        case_caddy(ups)
        case_unix()
        case_refused()
    finally:
        for u in ups:
            u.stop()
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
