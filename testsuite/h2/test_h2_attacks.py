#!/usr/bin/env python3
"""HTTP/2 attacks, each refused as specified while other clients are still
served: rapid reset (CVE-2023-44487), CONTINUATION floods (CVE-2024-27316
class), SETTINGS and PING floods from a client that reads nothing, HPACK
bombs and header lists past SETTINGS_MAX_HEADER_LIST_SIZE.
Usage: test_h2_attacks.py BUILD_DIR"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h2lib import (ERR, ContinuationFrame, HeadersFrame, PingFrame, Raw, RstStreamFrame,  # noqa: E402
                   SettingsFrame, H2cZsrt as Zsrt, check, get, run_cases, served_after)

BUILD = sys.argv[1]


def calm(what, c, timeout=10.0):
    g = c.goaway(timeout)
    check(what + ": GOAWAY ENHANCE_YOUR_CALM", g is not None and g.error_code == ERR["ENHANCE_YOUR_CALM"],
          g and g.error_code)
    check(what + ": connection closed", c.drain(timeout))


def case_rapid_reset(z):
    c = Raw(z.port)
    frames = []
    for i in range(1200):   # past the 1000-reset burst
        sid = 2 * i + 1
        frames.append(c.request(sid, "/hi", end_stream=False))
        frames.append(RstStreamFrame(sid, error_code=ERR["CANCEL"]))
    c.send_batches(frames, 200)
    calm("rapid reset", c)
    c.close()
    check("rapid reset: others served", served_after(z.port))
    # resets at a human rate are fine
    c = Raw(z.port)
    for i in range(50):
        c.send(c.request(2 * i + 1, "/hi", end_stream=False), RstStreamFrame(2 * i + 1, error_code=ERR["CANCEL"]))
    c.send(c.request(101, "/hi"))
    f = c.until(lambda f: isinstance(f, HeadersFrame) and f.stream_id == 101, timeout=5)
    check("50 resets: the connection still serves", f is not None)
    c.close()


def case_continuation_flood(z):
    c = Raw(z.port)
    block = c.block([(":method", "GET"), (":scheme", "http"), (":authority", "localhost"), (":path", "/hi")])
    h = HeadersFrame(1, block)   # no END_HEADERS: CONTINUATION must follow
    frames = [h] + [ContinuationFrame(1, c.block([("x-pad", "a" * 100)])) for _ in range(2000)]
    c.send_batches(frames, 100)
    calm("CONTINUATION flood", c)
    c.close()
    # empty CONTINUATION frames never grow the header list: they are counted too
    c = Raw(z.port)
    try:
        c.send(HeadersFrame(1, block), *[ContinuationFrame(1, b"") for _ in range(5000)])
    except OSError:
        pass
    calm("empty CONTINUATION flood", c)
    c.close()
    check("CONTINUATION flood: others served", served_after(z.port))


def flood(z, what, frame, count):
    # a client that reads nothing: the acks pile up in the server
    c = Raw(z.port, ack=False, rcvbuf=4096)
    blob = frame.serialize() * 20000
    sent = 0
    t0 = time.time()
    try:
        c.sock.settimeout(2)
        while sent < count and time.time() - t0 < 20:
            c.sock.sendall(blob)
            sent += 20000
    except OSError:
        pass
    calm(what, c)
    c.close()
    check(what + ": others served", served_after(z.port))


def case_hpack_bomb(z):
    # one 4 kB field in the dynamic table, then referenced a thousand times:
    # a few kB on the wire, megabytes decoded
    c = Raw(z.port)
    first = c.block([(":method", "GET"), (":scheme", "http"), (":authority", "localhost"), (":path", "/hi"),
                     ("x-bomb", "b" * 4000)])
    refs = bytes([0x80 | 62]) * 1100   # indexed: the newest dynamic entry
    h = HeadersFrame(1, first + refs)
    h.flags.add("END_HEADERS")
    h.flags.add("END_STREAM")
    c.send(h)
    calm("HPACK bomb", c)
    c.close()
    check("HPACK bomb: others served", served_after(z.port))


def case_header_list(z):
    # just past the 1 MiB list: Go answers 431 and the connection goes on
    c = Raw(z.port)
    first = c.block([(":method", "GET"), (":scheme", "http"), (":authority", "localhost"), (":path", "/hi"),
                     ("x-big", "c" * 4000)])
    h = HeadersFrame(1, first + bytes([0x80 | 62]) * 270)
    h.flags.add("END_HEADERS")
    h.flags.add("END_STREAM")
    c.send(h)
    f = c.until(lambda f: isinstance(f, HeadersFrame) and f.stream_id == 1, timeout=5)
    status = dict(c.dec.decode(f.data)).get(":status") if f else None
    check("header list past 1 MiB: 431", status == "431", status)
    c.send(c.request(3, "/hi"))
    f = c.until(lambda f: isinstance(f, HeadersFrame) and f.stream_id == 3, timeout=5)
    check("431: the connection goes on", f is not None and dict(c.dec.decode(f.data)).get(":status") == "201")
    c.close()
    r = get(z.port, "/hi", headers=[("x-many-%d" % i, "v") for i in range(90)])
    check("90 fields are fine", r.status == 201, r.status)


def case_settings_entries(z):
    c = Raw(z.port)
    s = SettingsFrame(0)
    for i in range(40):   # more entries than one SETTINGS frame may carry
        s.settings[0x4000 + i] = i
    c.send(s)
    calm("SETTINGS with 40 entries", c)
    c.close()


def case_stream_slots(z):
    # streams held open (no END_STREAM) on five connections: the worker's
    # 1024 stream slots run out and later streams are refused, not queued
    conns = [Raw(z.port) for _ in range(5)]
    for c in conns:
        c.until(lambda f: isinstance(f, SettingsFrame) and "ACK" in f.flags, timeout=3)
    for c in conns:
        c.send(*[c.request(2 * i + 1, "/hi", end_stream=False) for i in range(240)])
    refused = 0
    for c in conns:
        for f in c.frames(timeout=1):
            if isinstance(f, RstStreamFrame) and f.error_code == ERR["REFUSED_STREAM"]:
                refused += 1
    check("1200 open streams: those past the worker's 1024 refused", refused == 1200 - 1024, refused)
    for c in conns:
        c.close()
    time.sleep(0.3)
    c = Raw(z.port)
    c.send(*[c.request(2 * i + 1, "/hi") for i in range(200)])
    n = sum(1 for f in c.frames(timeout=3) if isinstance(f, HeadersFrame))
    check("their slots come back when the connections close", n == 200, n)
    c.close()


def main():
    z = Zsrt(BUILD, ":{PORT} {\n\trespond /hi \"hi\" 201\n\trespond \"default\"\n}\n")
    run_cases(z, [case_rapid_reset, case_continuation_flood,
                  lambda z: flood(z, "SETTINGS flood", SettingsFrame(0), 600000),
                  lambda z: flood(z, "PING flood", PingFrame(0, b"12345678"), 400000),
                  case_hpack_bomb, case_header_list, case_settings_entries, case_stream_slots])


if __name__ == "__main__":
    main()
