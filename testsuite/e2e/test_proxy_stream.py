"""End-to-end reverse_proxy streaming against an upstream process
(stream_upstream.py): request bodies of any size streamed up (Content-Length
and chunked) with zsrt's memory staying small, responses relayed as they
come (pieces, SSE, a slow client), WebSocket tunnels with stream_timeout,
and upstream faults (reset mid-body, malformed status, huge head, a body
that never ends, a stall) answered as Caddy answers them, with other
clients served meanwhile. Usage: test_proxy_stream.py BUILD_DIR"""
import base64
import hashlib
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Prefixed, Zsrt, check, failures, read_response, request  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CADDYFILE = """:{PORT} {
	handle_path /timed/* {
		reverse_proxy 127.0.0.1:UP {
			stream_timeout 1s
		}
	}
	handle_path /lingering/* {
		reverse_proxy 127.0.0.1:UP {
			stream_close_delay 1s
		}
	}
	handle_path /buffered/* {
		reverse_proxy 127.0.0.1:UP {
			request_buffers 64KiB
			flush_interval -1
		}
	}
	reverse_proxy 127.0.0.1:UP
}
"""


def start_upstream():
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "stream_upstream.py")], stdout=subprocess.PIPE,
                            text=True)
    return proc, int(proc.stdout.readline())


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class RssWatch:
    """the largest RSS of pid while the block runs"""

    def __init__(self, pid):
        self.pid, self.peak, self.done = pid, 0, False

    def __enter__(self):
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self):
        while not self.done:
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.02)

    def __exit__(self, *exc):
        self.done = True
        self.thread.join()


def upload(port, path, total, chunked=False, block=1 << 20):
    """sends total bytes of a deterministic body; (response, its sha256)"""
    digest = hashlib.sha256()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        head = "POST %s HTTP/1.1\r\nHost: up.test\r\n" % path
        head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else "Content-Length: %d\r\n\r\n" % total
        s.sendall(head.encode())
        sent, i = 0, 0
        while sent < total:
            n = min(block if not chunked else 1000 + (i * 7919) % block, total - sent)
            data = bytes([(sent + k) & 0xff for k in range(256)]) * (n // 256) + b"x" * (n % 256)
            digest.update(data)
            s.sendall(b"%x\r\n%s\r\n" % (n, data) if chunked else data)
            sent, i = sent + n, i + 1
        if chunked:
            s.sendall(b"0\r\n\r\n")
        resp, _ = read_response(s)
        return resp, digest.hexdigest()


def case_uploads(z, base_kib):
    total = 100 << 20
    with RssWatch(z.proc.pid) as w:
        r, sha = upload(z.port, "/upload", total)
    seen = json.loads(r.body or b"{}")
    check("100 MB upload: 200", r.status == 200, r.status)
    check("100 MB upload: every byte, in order", seen.get("bytes") == total and seen.get("sha256") == sha, seen)
    check("100 MB upload: Content-Length passed on", seen.get("cl") == str(total) and not seen.get("te"), seen)
    check("100 MB upload: zsrt RSS stays small (< 48 MiB over idle)", w.peak - base_kib < 48 * 1024,
          (base_kib, w.peak))
    print("     rss idle %d KiB, peak %d KiB during the 100 MB upload" % (base_kib, w.peak))
    with RssWatch(z.proc.pid) as w:
        r, sha = upload(z.port, "/upload?slow", 12 << 20)
    seen = json.loads(r.body or b"{}")
    check("slow upstream: body whole", seen.get("bytes") == 12 << 20 and seen.get("sha256") == sha, seen)
    check("slow upstream: the client is held back (RSS < 16 MiB over idle)", w.peak - base_kib < 16 * 1024,
          (base_kib, w.peak))
    r, sha = upload(z.port, "/upload", 10 << 20, chunked=True, block=70000)
    seen = json.loads(r.body or b"{}")
    check("chunked upload: body whole", seen.get("bytes") == 10 << 20 and seen.get("sha256") == sha, seen)
    check("chunked upload: chunked upstream, no length", seen.get("te") == "chunked" and seen.get("cl") is None, seen)
    r, sha = upload(z.port, "/buffered/upload", 300000, chunked=True, block=5000)
    seen = json.loads(r.body or b"{}")
    check("request_buffers: body whole, still chunked", seen.get("bytes") == 300000 and
          seen.get("sha256") == sha and seen.get("te") == "chunked", seen)
    # a streamed body, then a pipelined request on the same connection
    with socket.create_connection(("127.0.0.1", z.port), timeout=10) as s:
        s.sendall(b"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
                  b"GET /fast HTTP/1.1\r\nHost: a\r\n\r\n")
        r1, rest = read_response(s)
        r2, _ = read_response(Prefixed(s, rest))
        check("pipelined after a streamed body", json.loads(r1.body).get("bytes") == 5 and r2.body == b"ok",
              (r1.body, r2.body))


def read_until(s, marker, limit=10.0):
    data, end = b"", time.time() + limit
    while marker not in data and time.time() < end:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def case_streamed_responses(z):
    with socket.create_connection(("127.0.0.1", z.port), timeout=10) as s:
        s.sendall(b"GET /pieces HTTP/1.1\r\nHost: a\r\n\r\n")
        first = read_until(s, b"first\n")
        t_first = time.time()
        rest = read_until(s, b"0\r\n\r\n")
    check("pieces: chunked kept chunked", b"Transfer-Encoding: chunked" in first, first[:300])
    sent_last = float(rest.split(b"last ")[1].split(b"\n")[0]) if b"last " in rest else 0
    check("pieces: the first piece arrives before the last is sent", b"first\n" in first and t_first < sent_last,
          (t_first, sent_last))
    with socket.create_connection(("127.0.0.1", z.port), timeout=10) as s:
        s.sendall(b"GET /sse HTTP/1.1\r\nHost: a\r\n\r\n")
        one = read_until(s, b"data: one")
        t_one = time.time()
        two = read_until(s, b"data: two")
    sent_two = float(two.split(b"two ")[1].split(b"\n")[0]) if b"two " in two else 0
    check("SSE: text/event-stream relayed", b"text/event-stream" in one, one[:300])
    check("SSE: each event as it is sent", b"data: one" in one and t_one < sent_two, (t_one, sent_two))
    # a client that reads nothing for a while: the upstream is paused, memory bounded
    base = rss_kib(z.proc.pid)
    size = 60 << 20
    with socket.create_connection(("127.0.0.1", z.port), timeout=20) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        s.sendall(b"GET /big?%d HTTP/1.1\r\nHost: a\r\n\r\n" % size)
        time.sleep(1.0)
        held = rss_kib(z.proc.pid)
        got = 0
        r, rest = read_response(s, head_only=True)
        got = len(rest)
        while got < size:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            got += len(chunk)
    check("slow client: the whole body in the end", got == size, got)
    check("slow client: zsrt holds little while it waits (< 8 MiB more)", held - base < 8 * 1024, (base, held))


def ws_connect(port, path):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET %s HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: WebSocket\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n\r\n" % (path, key)).encode())
    head = read_until(s, b"\r\n\r\n")
    head, _, rest = head.partition(b"\r\n\r\n")
    return s, key, head.decode("latin-1"), rest


def ws_send(s, op, data):
    mask = os.urandom(4)
    n = len(data)
    head = bytes([0x80 | op]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n)
                                 if n < 65536 else bytes([0x80 | 127]) + struct.pack(">Q", n))
    s.sendall(head + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(data)))


def ws_recv(s, buf):
    while True:
        if len(buf) >= 2:
            n, at = buf[1] & 127, 2
            if n == 126 and len(buf) >= 4:
                n, at = struct.unpack(">H", buf[2:4])[0], 4
            elif n == 127 and len(buf) >= 10:
                n, at = struct.unpack(">Q", buf[2:10])[0], 10
            if n < 126 or at > 2:
                if len(buf) >= at + n:
                    return buf[0] & 15, buf[at:at + n], buf[at + n:]
        chunk = s.recv(65536)
        if not chunk:
            return None, b"", buf
        buf += chunk


def case_websocket(z):
    s, key, head, buf = ws_connect(z.port, "/ws")
    want = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC11B85").encode()).digest()).decode()
    check("WebSocket: 101 through the proxy", head.startswith("HTTP/1.1 101 Switching Protocols"), head)
    check("WebSocket: the upstream's accept key", "Sec-WebSocket-Accept: " + want in head, head)
    check("WebSocket: upstream asked with Connection: Upgrade, Upgrade lowercased",
          "X-Seen-Upgrade: websocket" in head and "X-Seen-Connection: Upgrade" in head, head)
    ws_send(s, 1, b"hello")
    op, data, buf = ws_recv(s, buf)
    check("WebSocket: text echoed", (op, data) == (1, b"hello"), (op, data))
    big = os.urandom(200000)
    ws_send(s, 2, big)
    op, data, buf = ws_recv(s, buf)
    check("WebSocket: 200 KB binary frame echoed", op == 2 and data == big, (op, len(data)))
    ws_send(s, 8, struct.pack(">H", 1000))
    op, data, buf = ws_recv(s, buf)
    check("WebSocket: close answered", op == 8, op)
    s.settimeout(3)
    try:
        end = s.recv(10)
    except OSError:
        end = b"?"
    check("WebSocket: the tunnel closes when the upstream does", end == b"", end)
    s.close()
    # the client hangs up first: the tunnel ends (both sides, as Caddy ends it)
    s, key, head, buf = ws_connect(z.port, "/ws")
    ws_send(s, 1, b"bye")
    s.shutdown(socket.SHUT_WR)
    s.settimeout(3)
    try:
        while s.recv(65536):
            pass
        closed = True
    except OSError:
        closed = False
    check("WebSocket: the client's EOF ends the tunnel", closed)
    s.close()
    # stream_timeout 1s closes the tunnel
    s, key, head, buf = ws_connect(z.port, "/timed/ws")
    check("stream_timeout: tunnel up", head.startswith("HTTP/1.1 101"), head)
    end, took = recv_to_end(s, 5)
    check("stream_timeout: closed after about 1s", end == b"" and 0.7 < took < 2.5, (end, took))
    s.close()
    # the upstream does not switch: the answer is an ordinary one
    r = request(z.port, b"GET /fast HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
    check("Upgrade not taken: the upstream's answer", r.status == 200 and r.body == b"ok", (r.status, r.body))


def recv_to_end(s, limit):
    data, t0 = b"", time.time()
    s.settimeout(limit)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    return data, time.time() - t0


def case_reload(z):
    """a reload closes tunnels as Caddy's cleanup does: at once, or after
    stream_close_delay, each side told with a WebSocket Close 1001"""
    now, _, _, _ = ws_connect(z.port, "/ws")
    later, _, head, buf = ws_connect(z.port, "/lingering/ws")
    z.proc.send_signal(signal.SIGHUP)
    data, took = recv_to_end(now, 3)
    check("reload: a tunnel closes at once, with Close 1001", data == b"\x88\x02\x03\xe9" and took < 1.0,
          (data, took))
    ws_send(later, 1, b"still")
    op, echoed, buf = ws_recv(later, buf)
    check("reload: stream_close_delay keeps a tunnel a while", (op, echoed) == (1, b"still"), (op, echoed))
    data, took = recv_to_end(later, 3)
    check("reload: then it closes too, with Close 1001", buf + data == b"\x88\x02\x03\xe9" and took < 1.5,
          (data, took))
    now.close()
    later.close()
    ok, _ = timed_fast(z.port)
    check("reload: serving goes on", ok)


def timed_fast(port):
    t0 = time.time()
    r = request(port, b"GET /fast HTTP/1.1\r\nHost: a\r\n\r\n")
    return r.status == 200 and r.body == b"ok", time.time() - t0


def case_faults(z):
    with socket.create_connection(("127.0.0.1", z.port), timeout=5) as s:
        s.sendall(b"GET /reset HTTP/1.1\r\nHost: a\r\n\r\n")
        data, _ = recv_to_end(s, 5)
    body = data.partition(b"\r\n\r\n")[2]
    check("reset mid-body: head sent, connection cut short", data.startswith(b"HTTP/1.1 200") and
          b"Content-Length: 100000" in data and 0 < len(body) < 100000, (data[:100], len(body)))
    r = request(z.port, b"GET /badstatus HTTP/1.1\r\nHost: a\r\n\r\n")
    check("malformed status line: 502", r.status == 502, r.status)
    r = request(z.port, b"GET /hugehead HTTP/1.1\r\nHost: a\r\n\r\n")
    check("huge response head: 502", r.status == 502, r.status)
    never = socket.create_connection(("127.0.0.1", z.port), timeout=5)
    never.sendall(b"GET /neverend HTTP/1.1\r\nHost: a\r\n\r\n")
    begun = read_until(never, b"begun")
    check("a body that never ends: what came is relayed", b"5\r\nbegun\r\n" in begun, begun[:200])
    stall = socket.create_connection(("127.0.0.1", z.port), timeout=5)
    stall.sendall(b"GET /stall HTTP/1.1\r\nHost: a\r\n\r\n")
    time.sleep(0.2)
    ok, took = timed_fast(z.port)
    check("other clients are not slowed by a stalled and an unfinished upstream", ok and took < 0.5, (ok, took))
    never.close()
    stall.close()
    time.sleep(0.3)
    out = z.output()
    for what in ("malformed response head", "response head too large", "aborting with incomplete response"):
        check("logged: " + what, what in out, out[-1500:])


def case_refusals(build):
    """what zsrt does not do is refused at the token, not approximated"""
    for option, words in (("response_buffers 4KiB", "response_buffers"), ("request_buffers unlimited", "request_buffers over"),
                          ("request_buffers 2MiB", "request_buffers over"), ("stream_buffer_size 8KiB", "stream_buffer_size")):
        text = ":{PORT} {\n\treverse_proxy 127.0.0.1:9 {\n\t\t%s\n\t}\n}\n" % option
        try:
            Zsrt(build, text).stop()
            err = ""
        except RuntimeError as e:
            err = str(e)
        check("refused: " + option, ":3:" in err and words in err, err[-300:])


def main():
    build = sys.argv[1]
    case_refusals(build)
    proc, up = start_upstream()
    z = None
    try:
        z = Zsrt(build, CADDYFILE.replace("UP", str(up)))
        time.sleep(0.2)
        base = rss_kib(z.proc.pid)
        case_uploads(z, base)
        case_streamed_responses(z)
        case_websocket(z)
        case_faults(z)
        case_reload(z)
        check("zsrt still running", z.proc.poll() is None)
    finally:
        if z:
            z.stop()
        proc.kill()
        proc.wait()
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
