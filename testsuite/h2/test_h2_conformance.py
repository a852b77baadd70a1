#!/usr/bin/env python3
"""The areas h2spec covers (RFC 9113 and RFC 7541), with raw frames: the
connection preface, frame sizes, SETTINGS validation, PING, WINDOW_UPDATE
and flow-control limits, stream states and identifiers, header-block rules
(CONTINUATION, pseudo-fields, forbidden fields, case) and HPACK errors.
Each check names the error the RFC asks for. Usage: test_h2_conformance.py BUILD_DIR"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h2lib import (ERR, hpack, ContinuationFrame, DataFrame, GoAwayFrame, HeadersFrame, PingFrame, Raw,  # noqa: E402
                   RstStreamFrame, SettingsFrame, WindowUpdateFrame, H2cZsrt as Zsrt, check, run_cases, served_after)

BUILD = sys.argv[1]


def raw_frame(ftype, flags, sid, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", sid) + payload


def conn_error(z, what, code, *frames, settings=None):
    c = Raw(z.port, settings=settings)
    # the server's SETTINGS first, acked: its limits then apply
    c.until(lambda f: isinstance(f, SettingsFrame) and "ACK" in f.flags, timeout=3)
    try:
        c.send(*frames)
    except OSError:
        pass
    g = c.goaway(timeout=5)
    check(what + ": GOAWAY " + code, g is not None and g.error_code == ERR[code], g and g.error_code)
    c.close()


def stream_error(z, what, sid, codes, *frames):
    c = Raw(z.port)
    c.until(lambda f: isinstance(f, SettingsFrame) and "ACK" in f.flags, timeout=3)
    c.send(*frames)
    f = c.until(lambda f: (isinstance(f, RstStreamFrame) and f.stream_id == sid) or isinstance(f, GoAwayFrame) or
                (isinstance(f, HeadersFrame) and f.stream_id == sid), timeout=5)
    # as h2spec: a connection error of the same type is taken for a stream error
    ok = isinstance(f, (RstStreamFrame, GoAwayFrame)) and f.error_code in [ERR[x] for x in codes]
    check(what + ": RST_STREAM (or GOAWAY) " + "/".join(codes), ok, f)
    c.close()


def headers(c, sid, fields, end_stream=True, end_headers=True):
    """a block that needs no earlier one: every header block here goes to a connection of its own"""
    f = HeadersFrame(sid, hpack.Encoder().encode(fields) if c is None else c.block(fields))
    if end_headers:
        f.flags.add("END_HEADERS")
    if end_stream:
        f.flags.add("END_STREAM")
    return f


BASE = [(":method", "GET"), (":scheme", "http"), (":authority", "localhost"), (":path", "/hi")]


def case_preface(z):
    c = Raw(z.port)
    f = c.until(lambda f: isinstance(f, SettingsFrame) and "ACK" not in f.flags, timeout=3)
    check("3.4 server preface: SETTINGS first", f is not None)
    c.close()
    import socket
    s = socket.create_connection(("127.0.0.1", z.port), timeout=3)
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + raw_frame(0x6, 0, 0, b"12345678"))   # PING, no SETTINGS
    data = s.recv(100)
    check("3.4 a preface not followed by SETTINGS: PROTOCOL_ERROR", b"\x07" in data[:200], data[:40])
    s.close()


def case_frames(z):
    c = Raw(z.port)
    conn_error(z, "4.2 DATA larger than SETTINGS_MAX_FRAME_SIZE", "FRAME_SIZE_ERROR",
               headers(None, 1, BASE, end_stream=False), raw_frame(0x0, 0, 1, b"x" * ((1 << 20) + 1)))
    conn_error(z, "6.5 SETTINGS with a length not a multiple of 6", "FRAME_SIZE_ERROR", raw_frame(0x4, 0, 0, b"\x00\x03\x00"))
    conn_error(z, "6.5 SETTINGS ACK with a payload", "FRAME_SIZE_ERROR", raw_frame(0x4, 1, 0, b"\x00\x03\x00\x00\x00\x01"))
    conn_error(z, "6.5 SETTINGS on a stream", "PROTOCOL_ERROR", raw_frame(0x4, 0, 1, b""))
    conn_error(z, "6.7 PING of 7 bytes", "FRAME_SIZE_ERROR", raw_frame(0x6, 0, 0, b"1234567"))
    conn_error(z, "6.7 PING on a stream", "PROTOCOL_ERROR", raw_frame(0x6, 0, 1, b"12345678"))
    conn_error(z, "6.9 WINDOW_UPDATE of 3 bytes", "FRAME_SIZE_ERROR", raw_frame(0x8, 0, 0, b"\x00\x00\x01"))
    conn_error(z, "6.4 RST_STREAM of 3 bytes", "FRAME_SIZE_ERROR",
               headers(None, 1, BASE, end_stream=False), raw_frame(0x3, 0, 1, b"\x00\x00\x08"))
    conn_error(z, "6.3 PRIORITY of 4 bytes", "FRAME_SIZE_ERROR", raw_frame(0x2, 0, 1, b"\x00\x00\x00\x00"))
    conn_error(z, "6.1 DATA on stream 0", "PROTOCOL_ERROR", raw_frame(0x0, 0, 0, b"abc"))
    conn_error(z, "6.2 HEADERS on stream 0", "PROTOCOL_ERROR", raw_frame(0x1, 0x4, 0, c.block(BASE)))
    conn_error(z, "6.8 GOAWAY on a stream", "PROTOCOL_ERROR", raw_frame(0x7, 0, 1, b"\x00" * 8))
    # unknown frame types and flags are ignored: a PING after one is answered
    c = Raw(z.port)
    c.send(raw_frame(0x42, 0xff, 0, b"whatever"), PingFrame(0, b"abcdefgh"))
    f = c.until(lambda f: isinstance(f, PingFrame) and "ACK" in f.flags, timeout=3)
    check("4.1 unknown frame type ignored; 6.7 PING answered with its data", f is not None and f.opaque_data == b"abcdefgh", f)
    c.close()


def case_settings(z):
    conn_error(z, "6.5.2 SETTINGS_ENABLE_PUSH 2", "PROTOCOL_ERROR", raw_frame(0x4, 0, 0, struct.pack(">HI", 2, 2)))
    conn_error(z, "6.5.2 SETTINGS_INITIAL_WINDOW_SIZE past 2^31-1", "FLOW_CONTROL_ERROR",
               raw_frame(0x4, 0, 0, struct.pack(">HI", 4, 1 << 31)))
    conn_error(z, "6.5.2 SETTINGS_MAX_FRAME_SIZE below 16384", "PROTOCOL_ERROR",
               raw_frame(0x4, 0, 0, struct.pack(">HI", 5, 16383)))
    conn_error(z, "6.5.2 SETTINGS_MAX_FRAME_SIZE past 2^24-1", "PROTOCOL_ERROR",
               raw_frame(0x4, 0, 0, struct.pack(">HI", 5, 1 << 24)))
    c = Raw(z.port)
    c.send(raw_frame(0x4, 0, 0, struct.pack(">HI", 0x99, 7)))
    f = c.until(lambda f: isinstance(f, SettingsFrame) and "ACK" in f.flags, timeout=3)
    check("6.5.2 unknown setting ignored, SETTINGS acked", f is not None)
    c.close()


def case_flow(z):
    conn_error(z, "6.9 WINDOW_UPDATE of 0 on the connection", "PROTOCOL_ERROR", WindowUpdateFrame(0, 0))
    conn_error(z, "6.9.1 connection window past 2^31-1", "FLOW_CONTROL_ERROR",
               WindowUpdateFrame(0, (1 << 31) - 1), WindowUpdateFrame(0, (1 << 31) - 1))
    c = Raw(z.port)
    stream_error(z, "6.9 WINDOW_UPDATE of 0 on a stream", 1, ["PROTOCOL_ERROR"],
                 headers(None, 1, BASE, end_stream=False), WindowUpdateFrame(1, 0))
    c = Raw(z.port)
    stream_error(z, "6.9.1 stream window past 2^31-1", 1, ["FLOW_CONTROL_ERROR"],
                 headers(None, 1, BASE, end_stream=False), WindowUpdateFrame(1, (1 << 31) - 1),
                 WindowUpdateFrame(1, (1 << 31) - 1))


def case_streams(z):
    c = Raw(z.port)
    conn_error(z, "5.1.1 even stream id from the client", "PROTOCOL_ERROR", headers(None, 2, BASE))
    c = Raw(z.port)
    conn_error(z, "5.1.1 stream ids must grow", "PROTOCOL_ERROR", headers(None, 5, BASE), headers(None, 3, BASE))
    conn_error(z, "5.1 DATA on an idle stream", "PROTOCOL_ERROR", DataFrame(1, b"abc"))
    conn_error(z, "5.1 RST_STREAM on an idle stream", "PROTOCOL_ERROR", RstStreamFrame(1, 8))
    conn_error(z, "5.1 WINDOW_UPDATE on an idle stream", "PROTOCOL_ERROR", WindowUpdateFrame(1, 10))
    c = Raw(z.port)
    c.until(lambda f: isinstance(f, SettingsFrame) and "ACK" in f.flags, timeout=3)
    c.send(headers(None, 1, BASE, end_stream=True), DataFrame(1, b"late"))
    f = c.until(lambda f: (isinstance(f, RstStreamFrame) and f.stream_id == 1) or isinstance(f, GoAwayFrame), timeout=5)
    check("5.1 DATA on a half-closed (remote) stream: STREAM_CLOSED",
          f is not None and f.error_code == ERR["STREAM_CLOSED"], f)
    c.close()
    # past SETTINGS_MAX_CONCURRENT_STREAMS: streams left open (no END_STREAM)
    c = Raw(z.port)
    c.until(lambda f: isinstance(f, SettingsFrame) and "ACK" in f.flags, timeout=3)
    c.send(*[headers(None, 2 * i + 1, BASE, end_stream=False) for i in range(251)])
    f = c.until(lambda f: isinstance(f, (RstStreamFrame, GoAwayFrame)), timeout=5)
    # RFC 9113 5.1.2: PROTOCOL_ERROR or REFUSED_STREAM; nghttp2 ends the connection
    check("5.1.2 stream 251 past the limit of 250: refused",
          (isinstance(f, RstStreamFrame) and f.stream_id == 501 and
           f.error_code in (ERR["REFUSED_STREAM"], ERR["PROTOCOL_ERROR"])) or
          (isinstance(f, GoAwayFrame) and f.error_code == ERR["PROTOCOL_ERROR"] and f.last_stream_id == 499), f)
    c.close()


def case_header_blocks(z):
    c = Raw(z.port)
    conn_error(z, "6.10 CONTINUATION without HEADERS", "PROTOCOL_ERROR",
               ContinuationFrame(1, c.block(BASE)))
    c = Raw(z.port)
    h = headers(None, 1, BASE[:2], end_headers=False)
    conn_error(z, "6.10 a frame between HEADERS and CONTINUATION", "PROTOCOL_ERROR", h, PingFrame(0, b"12345678"))
    c = Raw(z.port)
    c.until(lambda f: isinstance(f, SettingsFrame) and "ACK" in f.flags, timeout=3)
    blk = c.block(BASE)
    h = HeadersFrame(1, blk[:3])
    h.flags.add("END_STREAM")
    k = ContinuationFrame(1, blk[3:])
    k.flags.add("END_HEADERS")
    c.send(h, k)
    f = c.until(lambda f: isinstance(f, HeadersFrame) and f.stream_id == 1, timeout=5)
    check("6.10 a header block split over CONTINUATION", f is not None and dict(c.dec.decode(f.data)).get(":status") == "201")
    c.close()
    for what, fields in [
        ("8.2 upper-case field name", BASE + [("X-Upper", "1")]),
        ("8.2.2 connection-specific field", BASE + [("connection", "keep-alive")]),
        ("8.2.2 TE other than trailers", BASE + [("te", "gzip")]),
        ("8.3 missing :path", BASE[:3]),
        ("8.3 missing :method", BASE[1:]),
        ("8.3 pseudo-field after a regular one", BASE[:3] + [("x-a", "1"), (":path", "/")]),
        ("8.3 unknown pseudo-field", BASE + [(":foo", "1")]),
        ("8.3 :status in a request", BASE + [(":status", "200")]),
        ("8.3 duplicated :path", BASE + [(":path", "/again")]),
        ("8.3 empty :path", BASE[:3] + [(":path", "")]),
    ]:
        c = Raw(z.port)
        stream_error(z, what, 1, ["PROTOCOL_ERROR"], headers(None, 1, fields))
    c = Raw(z.port)
    stream_error(z, "8.1.1 content-length not matching the DATA", 1, ["PROTOCOL_ERROR"],
                 headers(None, 1, [(":method", "POST")] + BASE[1:] + [("content-length", "10")], end_stream=False),
                 DataFrame(1, b"abc", flags=["END_STREAM"]))
    c = Raw(z.port)
    c.until(lambda f: isinstance(f, SettingsFrame) and "ACK" in f.flags, timeout=3)
    c.send(headers(None, 1, [(":method", "POST")] + BASE[1:], end_stream=False), DataFrame(1, b"body"),
           headers(None, 1, [("x-trailer", "1")], end_stream=True))
    f = c.until(lambda f: isinstance(f, HeadersFrame) and f.stream_id == 1, timeout=5)
    check("8.1 trailers after a body", f is not None and dict(c.dec.decode(f.data)).get(":status") == "201")
    c.close()


def case_hpack(z):
    conn_error(z, "RFC 7541 2.3.3 index past the tables: COMPRESSION_ERROR", "COMPRESSION_ERROR",
               raw_frame(0x1, 0x5, 1, bytes([0xff, 0x80, 0x08])))   # indexed 127 + 1024
    conn_error(z, "RFC 7541 6.3 table size update past SETTINGS_HEADER_TABLE_SIZE", "COMPRESSION_ERROR",
               raw_frame(0x1, 0x5, 1, bytes([0x3f, 0xe1, 0x7f])))   # size 16384 > 4096
    conn_error(z, "RFC 7541 5.2 Huffman string with EOS padding", "COMPRESSION_ERROR",
               raw_frame(0x1, 0x5, 1, bytes([0x82, 0x86, 0x84, 0x41, 0x81, 0xff])))
    c = Raw(z.port)
    blk = c.block(BASE)
    conn_error(z, "RFC 7541 4.2 a table size update not at the start of a block", "COMPRESSION_ERROR",
               raw_frame(0x1, 0x5, 1, blk + bytes([0x20])))


def main():
    z = Zsrt(BUILD, ":{PORT} {\n\trespond /hi \"hi\" 201\n\trespond \"default\" 201\n}\n")
    run_cases(z, [case_preface, case_frames, case_settings, case_flow, case_streams, case_header_blocks,
                  case_hpack])


if __name__ == "__main__":
    main()
