"""Shared pieces of the HTTP/2 tests: zsrt on a free loopback port (the e2e
harness), a python3-h2 client that honours flow control, and a raw frame
client (hyperframe, hpack) for the malformed and hostile input h2spec-like
checks need. Loopback only."""
import os
import socket
import ssl
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
try:
    import h2  # noqa: F401
except ImportError:   # Debian's python3-h2, under a python3 that is not Debian's
    sys.path.append("/usr/lib/python3/dist-packages")
import h2.config  # noqa: E402
import h2.connection  # noqa: E402
import h2.events  # noqa: E402
import h2.settings  # noqa: E402
import hpack  # noqa: E402
from hyperframe.frame import (ContinuationFrame, DataFrame, Frame, GoAwayFrame,  # noqa: E402,F401
                              HeadersFrame, PingFrame, RstStreamFrame, SettingsFrame,
                              WindowUpdateFrame)

from harness import Zsrt, check, failures, free_port  # noqa: E402,F401

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
ERR = {"NO_ERROR": 0, "PROTOCOL_ERROR": 1, "INTERNAL_ERROR": 2, "FLOW_CONTROL_ERROR": 3,
       "STREAM_CLOSED": 5, "FRAME_SIZE_ERROR": 6, "REFUSED_STREAM": 7, "CANCEL": 8,
       "COMPRESSION_ERROR": 9, "ENHANCE_YOUR_CALM": 11}


class Response:
    def __init__(self):
        self.status = None
        self.headers = []
        self.body = b""
        self.reset = None          # RST_STREAM error code, if the stream was reset
        self.data_frames = []      # the length of each DATA frame

    def header(self, name):
        vals = [v for n, v in self.headers if n == name]
        return vals[0] if vals else None


class Client:
    """python3-h2 over one connection: requests as streams, events read until
    every stream ended; window updates sent as the body is taken (or not,
    with auto_window=False, to starve the server)"""

    def __init__(self, port, window=None, timeout=10.0, tls_ca=None, server_name="localhost"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.alpn = None
        if tls_ca:   # HTTPS: HTTP/2 only when the server picks it by ALPN
            ctx = ssl.create_default_context(cafile=tls_ca)
            ctx.set_alpn_protocols(["h2", "http/1.1"])
            self.sock = ctx.wrap_socket(self.sock, server_hostname=server_name)
            self.alpn = self.sock.selected_alpn_protocol()
        cfg = h2.config.H2Configuration(client_side=True, header_encoding=None)
        self.conn = h2.connection.H2Connection(config=cfg)
        self.conn.initiate_connection()
        if window is not None:   # a second SETTINGS frame, before any request
            self.conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window})
        self.flush()
        self.responses = {}
        self.ended = set()
        self.goaway = None
        self.remote_settings = {}
        self.closed = False
        self.informational = {}    # stream: the status of an interim (1xx) answer

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def request(self, path, method="GET", authority="localhost", headers=(), body=None, hold=False):
        """hold: the stream stays open for a body sent later (send_body)"""
        sid = self.conn.get_next_available_stream_id()
        hdrs = [(b":method", method.encode()), (b":scheme", b"http"), (b":authority", authority.encode()),
                (b":path", path.encode())] + [(k.encode(), v.encode()) for k, v in headers]
        if body is not None:
            hdrs.append((b"content-length", str(len(body)).encode()))
        self.conn.send_headers(sid, hdrs, end_stream=body is None and not hold)
        if body is not None:
            self.send_body(sid, body)
        self.responses[sid] = Response()
        self.flush()
        return sid

    def send_body(self, sid, body):
        """as much as the server's windows let through now; the rest on WINDOW_UPDATE"""
        self.pending = getattr(self, "pending", {})
        self.pending[sid] = body
        self._push_bodies()

    def _push_bodies(self):
        for sid, body in list(getattr(self, "pending", {}).items()):
            n = min(len(body), self.conn.local_flow_control_window(sid), self.conn.max_outbound_frame_size)
            while n > 0:
                self.conn.send_data(sid, body[:n])
                body = body[n:]
                n = min(len(body), self.conn.local_flow_control_window(sid), self.conn.max_outbound_frame_size)
            if body:
                self.pending[sid] = body
            else:
                self.conn.end_stream(sid)
                del self.pending[sid]
        self.flush()

    def pump(self, until, timeout=10.0, auto_window=True):
        deadline = time.time() + timeout
        while not until() and time.time() < deadline and not self.closed:
            self.sock.settimeout(max(0.01, deadline - time.time()))
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                break
            except (ConnectionResetError, ssl.SSLError):
                data = b""
            if not data:
                self.closed = True
                break
            for ev in self.conn.receive_data(data):
                self._event(ev, auto_window)
            self._push_bodies()
            self.flush()

    def _event(self, ev, auto_window):
        r = self.responses.get(getattr(ev, "stream_id", None))
        if isinstance(ev, h2.events.ResponseReceived):
            r.headers = [(k.decode(), v.decode()) for k, v in ev.headers]
            r.status = int(r.header(":status"))
        elif isinstance(ev, h2.events.InformationalResponseReceived):
            self.informational[ev.stream_id] = dict(ev.headers).get(b":status", b"").decode()
        elif isinstance(ev, h2.events.DataReceived):
            r.body += ev.data
            r.data_frames.append(len(ev.data))
            if auto_window and ev.flow_controlled_length:
                self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        elif isinstance(ev, h2.events.StreamEnded):
            self.ended.add(ev.stream_id)
        elif isinstance(ev, h2.events.StreamReset):
            if r:
                r.reset = ev.error_code
            self.ended.add(ev.stream_id)
        elif isinstance(ev, h2.events.ConnectionTerminated):
            self.goaway = ev
        elif isinstance(ev, h2.events.RemoteSettingsChanged):
            for k, v in ev.changed_settings.items():
                self.remote_settings[int(k)] = v.new_value

    def wait(self, sids, timeout=10.0):
        self.pump(lambda: all(s in self.ended for s in sids), timeout)
        return [self.responses[s] for s in sids]

    def get(self, path, timeout=10.0, **kw):
        return self.wait([self.request(path, **kw)], timeout)[0]

    def close(self):
        self.sock.close()


def get(port, path, **kw):
    c = Client(port)
    try:
        return c.get(path, **kw)
    finally:
        c.close()


class Raw:
    """frames written by hand: the server's answers read back as frames"""

    def __init__(self, port, settings=None, ack=True, rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(5)
        self.sock.connect(("127.0.0.1", port))
        self.enc = hpack.Encoder()
        self.dec = hpack.Decoder()
        self.buf = b""
        self.closed = False
        self.ack = ack
        s = SettingsFrame(0)
        for k, v in (settings or {}).items():
            s.settings[k] = v
        self.sock.sendall(PREFACE + s.serialize())

    def send(self, *frames):
        self.sock.sendall(b"".join(f.serialize() if isinstance(f, Frame) else f for f in frames))

    def send_batches(self, frames, n):
        """frames n at a time; a server that already closed ends it"""
        try:
            for k in range(0, len(frames), n):
                self.send(*frames[k:k + n])
        except OSError:
            pass

    def block(self, headers):
        return self.enc.encode(headers)

    def request(self, sid, path="/", end_stream=True, extra=()):
        hdrs = [(":method", "GET"), (":scheme", "http"), (":authority", "localhost"), (":path", path)] + list(extra)
        f = HeadersFrame(sid, self.block(hdrs))
        f.flags.add("END_HEADERS")
        if end_stream:
            f.flags.add("END_STREAM")
        return f

    def _read(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1 << 20)
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        if not data:
            self.closed = True
            return False
        self.buf += data
        return True

    def _parse(self):
        if len(self.buf) < 9:
            return None
        f, length = Frame.parse_frame_header(memoryview(self.buf[:9]))
        if len(self.buf) < 9 + length:
            return None
        body, self.buf = self.buf[9:9 + length], self.buf[9 + length:]
        f.parse_body(memoryview(body))
        if self.ack and isinstance(f, SettingsFrame) and "ACK" not in f.flags:
            a = SettingsFrame(0)
            a.flags.add("ACK")
            try:
                self.send(a)
            except OSError:
                pass
        return f

    def frames(self, timeout=5.0):
        """every frame until the server closes or is silent for timeout seconds"""
        deadline = time.time() + timeout
        while True:
            f = self._parse()
            while f is not None:
                yield f
                f = self._parse()
            if self.closed or time.time() >= deadline or not self._read(max(0.01, deadline - time.time())):
                return

    def until(self, pred, timeout=5.0):
        for f in self.frames(timeout):
            if pred(f):
                return f
        return None

    def goaway(self, timeout=5.0):
        return self.until(lambda f: isinstance(f, GoAwayFrame), timeout)

    def reset(self, sid, timeout=5.0):
        return self.until(lambda f: isinstance(f, RstStreamFrame) and f.stream_id == sid, timeout)

    def drain(self, timeout=5.0):
        """reads to the end: True when the server closed the connection"""
        for _ in self.frames(timeout):
            pass
        return self.closed

    def close(self):
        self.sock.close()


def served_after(port):
    """a new client is still answered"""
    try:
        r = get(port, "/hi")
        return r.status == 201
    except OSError:
        return False


def run_cases(z, cases):
    """each case against one zsrt, then a check that it still serves and
    stops gracefully; exits with the test's status"""
    try:
        for case in cases:
            case(z)
        check("zsrt still serving", served_after(z.port))
    finally:
        rc = z.stop()
        check("graceful stop", rc == 0, rc)
    print("%d failure(s)" % len(failures))
    sys.exit(1 if failures else 0)


# Caddy serves HTTP/2 with prior knowledge (h2c) only where the server's
# protocols list it; these tests speak h2c, so their sites do
H2C_GLOBAL = "{\n\tservers {\n\t\tprotocols h1 h2 h2c\n\t}\n}\n"


class H2cZsrt(Zsrt):
    """zsrt serving a site whose server speaks h2c as well (protocols h1 h2 h2c)."""

    def __init__(self, build, site, *args, **kwargs):
        super().__init__(build, H2C_GLOBAL + site, *args, **kwargs)
