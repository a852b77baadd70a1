#!/usr/bin/env python3
"""End-to-end: encode (gzip, zstd) as Caddy's encode handler answers, on
respond bodies, files of every size (from the file cache and streamed),
proxied bodies, over HTTP/1.1 and HTTP/2; bodies decoded with zlib and the
zstd command. Usage: test_encode.py BUILD_DIR"""
import os
import random
import shutil
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "h2"))
from harness import Zsrt, get, request  # noqa: E402
from upstream import Upstream  # noqa: E402

failures = []
passed = []


def check(what, cond, detail=""):
    passed.append(what) if cond else None
    if not cond:
        failures.append(f"{what}: {detail}")
        print(f"FAIL {what}: {detail}")
    else:
        print(f"ok   {what}")


def gunzip(b):
    try:
        return zlib.decompress(b, 16 + zlib.MAX_WBITS)
    except zlib.error as e:
        return f"not gzip: {e}".encode()


def unzstd(b):
    zstd = shutil.which("zstd")
    if not zstd:
        return None
    r = subprocess.run([zstd, "-dc"], input=b, capture_output=True)
    return r.stdout if r.returncode == 0 else b"not zstd: " + r.stderr


def text(n, seed=1):
    rnd = random.Random(seed)
    words = [b"alpha", b"beta", b"gamma", b"delta", b"encode", b"zstd", b"gzip", b"caddy"]
    out = bytearray()
    while len(out) < n:
        out += rnd.choice(words) + b" "
    return bytes(out[:n])


LONG = "x" * 600


def make_root():
    root = tempfile.mkdtemp(prefix="zs-enc-root-")
    files = {"big.txt": text(3 << 20), "mid.html": b"<p>" + text(20000, 2) + b"</p>",
             "small.txt": b"tiny\n", "pic.png": text(5000, 3), "tiny.css": text(1000, 4),
             "rep.html": b"<p>the same line, again and again</p>\n" * 6000}
    for name, data in files.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
    return root, files


def case_choice(build):
    z = Zsrt(build, """:{PORT} {
\tencode zstd gzip
\thandle /short {
\t\trespond "short"
\t}
\trespond "%s"
}""" % LONG)
    try:
        r = get(z.port, "/", headers=[("Accept-Encoding", "gzip")])
        check("respond gzip", r.header("Content-Encoding") == "gzip" and gunzip(r.body) == LONG.encode(),
              r.headers)
        check("respond Vary", r.header("Vary") == "Accept-Encoding", r.headers)
        check("small encoded body has its length", r.header("Content-Length") == str(len(r.body)), r.headers)
        r = get(z.port, "/", headers=[("Accept-Encoding", "gzip, zstd")])
        check("tie: prefer decides (zstd)", r.header("Content-Encoding") == "zstd", r.headers)
        if shutil.which("zstd"):
            check("zstd body", unzstd(r.body) == LONG.encode(), r.body[:40])
        r = get(z.port, "/", headers=[("Accept-Encoding", "zstd;q=0.5, gzip;q=0.8")])
        check("q-values decide (gzip)", r.header("Content-Encoding") == "gzip", r.headers)
        r = get(z.port, "/", headers=[("Accept-Encoding", "zstd;q=0, gzip;q=0.1")])
        check("q=0 refuses (gzip)", r.header("Content-Encoding") == "gzip", r.headers)
        for ae in ["identity", "br", "*"]:
            r = get(z.port, "/", headers=[("Accept-Encoding", ae)])
            check(f"{ae}: not encoded", r.header("Content-Encoding") is None and r.body == LONG.encode(), r.headers)
        r = get(z.port, "/", headers=[("Accept-Encoding", "gzip"), ("Cache-Control", "no-transform")])
        check("no-transform: not encoded", r.header("Content-Encoding") is None, r.headers)
        r = get(z.port, "/", headers=[("Accept-Encoding", "gzip"), ("Sec-WebSocket-Key", "x")])
        check("websocket: not encoded", r.header("Content-Encoding") is None, r.headers)
        r = get(z.port, "/short", headers=[("Accept-Encoding", "gzip")])
        check("under minimum_length: not encoded, no Vary", r.header("Content-Encoding") is None and
              r.header("Vary") is None and r.body == b"short", r.headers)
        r = get(z.port, "/", method="HEAD", headers=[("Accept-Encoding", "gzip")])
        check("HEAD: encoded head, no body", r.header("Content-Encoding") == "gzip" and
              r.header("Content-Length") is not None, r.headers)
        raw = b"GET / HTTP/1.0\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n"
        r = request(z.port, raw)
        check("HTTP/1.0 encoded", gunzip(r.body) == LONG.encode(), r.headers)
    finally:
        check("graceful stop", z.stop() == 0)


def case_options(build):
    z = Zsrt(build, """:{PORT} {
\tencode gzip zstd {
\t\tminimum_length 10
\t\tmatch {
\t\t\tstatus 2xx
\t\t\theader Content-Type text/*
\t\t}
\t}
\thandle /json {
\t\theader Content-Type application/json
\t\trespond "{\\"a\\": \\"bbbbbbbbbbbbbbbbbbbb\\"}"
\t}
\thandle /missing {
\t\trespond "not here, not here at all" 404
\t}
\thandle /pre {
\t\theader Content-Encoding br
\t\trespond "already encoded by someone"
\t}
\trespond "a body of forty bytes or so, encoded"
}""")
    try:
        r = get(z.port, "/", headers=[("Accept-Encoding", "gzip, zstd")])
        check("minimum_length 10", r.header("Content-Encoding") == "gzip" and
              gunzip(r.body) == b"a body of forty bytes or so, encoded", r.headers)
        r = get(z.port, "/json", headers=[("Accept-Encoding", "gzip")])
        check("match header: json is not text/*", r.header("Content-Encoding") is None, r.headers)
        r = get(z.port, "/missing", headers=[("Accept-Encoding", "gzip")])
        check("match status: 404 is not 2xx", r.status == 404 and r.header("Content-Encoding") is None, r.headers)
        r = get(z.port, "/pre", headers=[("Accept-Encoding", "gzip")])
        check("already encoded: left as it is", r.header("Content-Encoding") == "br" and
              r.body == b"already encoded by someone", r.headers)
    finally:
        z.stop()


def case_files(build, root, files):
    z = Zsrt(build, """:{PORT} {
\tencode zstd gzip
\troot * %s
\tfile_server
}""" % root)
    try:
        plain = get(z.port, "/big.txt")
        etag = plain.header("Etag")
        for n in range(2):   # the second answers from the file cache
            r = get(z.port, "/big.txt", headers=[("Accept-Encoding", "gzip")])
            check(f"big file gzip #{n}", r.header("Transfer-Encoding") == "chunked" and
                  gunzip(r.body) == files["big.txt"], r.headers)
            check(f"big file ETag suffix #{n}", r.header("Etag") == etag[:-1] + '-gzip"', (etag, r.headers))
            check(f"big file no Accept-Ranges #{n}", r.header("Accept-Ranges") is None, r.headers)
            r = get(z.port, "/mid.html", headers=[("Accept-Encoding", "gzip")])
            check(f"cached-size file gzip #{n}", gunzip(r.body) == files["mid.html"], r.headers)
            r = get(z.port, "/tiny.css", headers=[("Accept-Encoding", "gzip")])
            check(f"small file gzip #{n}", gunzip(r.body) == files["tiny.css"] and
                  r.header("Content-Length") == str(len(r.body)), r.headers)
        if shutil.which("zstd"):
            r = get(z.port, "/big.txt", headers=[("Accept-Encoding", "zstd")])
            check("big file zstd", unzstd(r.body) == files["big.txt"], r.headers)
        r = get(z.port, "/rep.html", headers=[("Accept-Encoding", "gzip")])
        check("large file that compresses to under 2 KiB: one length", gunzip(r.body) == files["rep.html"] and
              r.header("Content-Length") == str(len(r.body)), r.headers)
        r = get(z.port, "/pic.png", headers=[("Accept-Encoding", "gzip")])
        check("image/png: not in the default types", r.header("Content-Encoding") is None, r.headers)
        r = get(z.port, "/small.txt", headers=[("Accept-Encoding", "gzip")])
        check("file under 512 bytes: not encoded", r.header("Content-Encoding") is None, r.headers)
        r = get(z.port, "/big.txt", method="HEAD", headers=[("Accept-Encoding", "gzip")])
        check("HEAD file: the empty stream's length (Caddy's Close)", r.header("Content-Encoding") == "gzip" and
              r.header("Content-Length") == "20", r.headers)
        r = get(z.port, "/big.txt", headers=[("Accept-Encoding", "gzip"), ("If-None-Match", etag[:-1] + '-gzip"')])
        check("If-None-Match with our suffix: 304, Vary, the file's ETag", r.status == 304 and
              r.header("Vary") == "Accept-Encoding" and r.header("Etag") == etag, (r.status, r.headers))
        r = get(z.port, "/big.txt", headers=[("Accept-Encoding", "gzip"), ("Range", "bytes=1000-2999")])
        check("range: the part, encoded", r.status == 206 and r.header("Content-Range") ==
              "bytes 1000-2999/%d" % len(files["big.txt"]) and gunzip(r.body) == files["big.txt"][1000:3000],
              (r.status, r.headers))
    finally:
        z.stop()


def case_precompressed(build, root, files):
    sidecars = {"mid.html.gz": gzip_bytes(files["mid.html"]), "big.txt.gz": gzip_bytes(files["big.txt"]),
                "mid.html.br": b"the br sidecar"}
    for name, data in sidecars.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
    z = Zsrt(build, """:{PORT} {
\troot * %s
\tfile_server {
\t\tprecompressed br gzip
\t}
}""" % root)
    try:
        r = get(z.port, "/mid.html", headers=[("Accept-Encoding", "gzip")])
        check("sidecar gzip", r.header("Content-Encoding") == "gzip" and r.body == sidecars["mid.html.gz"] and
              r.header("Vary") == "Accept-Encoding" and r.header("Content-Type") == "text/html; charset=utf-8",
              r.headers)
        r = get(z.port, "/mid.html", headers=[("Accept-Encoding", "gzip, br")])
        check("sidecar order: br first", r.header("Content-Encoding") == "br" and r.body == b"the br sidecar",
              r.headers)
        r = get(z.port, "/big.txt", headers=[("Accept-Encoding", "gzip")])
        check("large sidecar, chunked", r.header("Transfer-Encoding") == "chunked" and
              r.body == sidecars["big.txt.gz"], r.headers)
        r = get(z.port, "/tiny.css", headers=[("Accept-Encoding", "gzip")])
        check("no sidecar: the file", r.header("Content-Encoding") is None and r.body == files["tiny.css"], r.headers)
        r = get(z.port, "/mid.html")
        check("not accepted: the file", r.header("Content-Encoding") is None and r.body == files["mid.html"],
              r.headers)
    finally:
        z.stop()
        for name in sidecars:
            os.unlink(os.path.join(root, name))


def h2_header(resp, name):
    for n, v in resp.headers:
        n = n.decode() if isinstance(n, bytes) else n
        if n == name:
            return v.decode() if isinstance(v, bytes) else v
    return None


# one server where encode, precompressed, ranges and browse meet
TOGETHER = """:{PORT} {
\troot * %s
\thandle /m/* {
\t\turi strip_prefix /m
\t\tencode gzip {
\t\t\tmatch header Content-Type multipart/*
\t\t}
\t\tfile_server
\t}
\tencode gzip
\tfile_server {
\t\tbrowse
\t\tprecompressed gzip
\t}
}"""


def parts_of(resp_type, body):
    """The parts of a multipart/byteranges body: (Content-Type, Content-Range, bytes) each"""
    boundary = resp_type.split("boundary=", 1)[1].encode()
    out = []
    for chunk in body.split(b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk[2:].partition(b"\r\n\r\n")
        fields = dict(line.split(b": ", 1) for line in head.split(b"\r\n") if line)
        out.append((fields.get(b"Content-Type", b"").decode(), fields.get(b"Content-Range", b"").decode(),
                    data[:-2]))
    return out


def case_together(build, root, files):
    """encode, precompressed sidecars, ranges and browse in one server, as Caddy
    combines them: a sidecar has the original's Content-Type and its own ETag,
    ranges are of the sidecar's bytes, a multipart body is encoded only when the
    match takes multipart types, and a listing is encoded like any text"""
    sidecars = {"mid.html.gz": gzip_bytes(files["mid.html"]), "big.txt.gz": gzip_bytes(files["big.txt"]),
                "pic.svg.gz": gzip_bytes(text(4000, 5))}
    os.mkdir(os.path.join(root, "list"))
    for i in range(40):
        with open(os.path.join(root, "list", "entry-with-a-long-name-%02d.txt" % i), "wb") as f:
            f.write(b"x" * i)
    with open(os.path.join(root, "pic.svg"), "wb") as f:
        f.write(text(4000, 5))
    for name, data in sidecars.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
    z = Zsrt(build, TOGETHER % root)
    gz = [("Accept-Encoding", "gzip")]
    try:
        plain = get(z.port, "/pic.svg")
        r = get(z.port, "/pic.svg", headers=gz)
        check("sidecar: the original's Content-Type (MIME table)", r.header("Content-Encoding") == "gzip" and
              r.body == sidecars["pic.svg.gz"] and plain.header("Content-Type") and
              r.header("Content-Type") == plain.header("Content-Type"), (r.headers, plain.headers))
        check("sidecar: its own ETag, no suffix of encode", r.header("Etag") and
              r.header("Etag") != plain.header("Etag") and "-gzip" not in r.header("Etag"),
              (r.header("Etag"), plain.header("Etag")))
        side = sidecars["big.txt.gz"]
        r = get(z.port, "/big.txt", headers=gz + [("Range", "bytes=10-109")])
        check("sidecar range: the sidecar's bytes", r.status == 206 and r.body == side[10:110] and
              r.header("Content-Range") == "bytes 10-109/%d" % len(side) and
              r.header("Content-Encoding") == "gzip", (r.status, r.headers))
        r = get(z.port, "/big.txt", headers=gz + [("Range", "bytes=0-99,5000-%d" % (len(side) - 1))])
        parts = parts_of(r.header("Content-Type") or "boundary=", r.body)
        check("sidecar multi-range: parts of the sidecar, the file's type, chunked", r.status == 206 and
              r.header("Content-Encoding") == "gzip" and r.header("Transfer-Encoding") == "chunked" and
              [p[2] for p in parts] == [side[:100], side[5000:]] and
              all(p[0] == "text/plain; charset=utf-8" for p in parts) and
              parts[1][1] == "bytes 5000-%d/%d" % (len(side) - 1, len(side)), (r.status, r.headers, parts[:1]))
        big = files["big.txt"]
        r = get(z.port, "/tiny.css", headers=gz + [("Range", "bytes=0-9,20-29")])
        parts = parts_of(r.header("Content-Type") or "boundary=", r.body)
        check("multi-range, default match: not encoded", r.status == 206 and
              r.header("Content-Encoding") is None and r.header("Content-Length") == str(len(r.body)) and
              [p[2] for p in parts] == [files["tiny.css"][:10], files["tiny.css"][20:30]], (r.status, r.headers))
        ranges = [(0, 99999), (1 << 20, (1 << 20) + 70000), (len(big) - 600, len(big) - 1)]
        r = get(z.port, "/m/big.txt", headers=gz + [("Range", "bytes=" + ",".join("%d-%d" % x for x in ranges))])
        body = gunzip(r.body)
        parts = parts_of(r.header("Content-Type") or "boundary=", body)
        check("multi-range, match multipart/*: the multipart body encoded", r.status == 206 and
              r.header("Content-Encoding") == "gzip" and r.header("Content-Length") is None and
              [p[2] for p in parts] == [big[a:b + 1] for a, b in ranges], (r.status, r.headers, len(body)))
        r = get(z.port, "/list/", headers=gz + [("Accept", "application/json")])
        listing = gunzip(r.body)
        check("browse JSON listing encoded", r.status == 200 and r.header("Content-Encoding") == "gzip" and
              listing.startswith(b"[") and listing.count(b'"name":') == 40, (r.status, r.headers, listing[:80]))
        r = get(z.port, "/list/", headers=gz)
        page = gunzip(r.body)
        check("browse HTML listing encoded", r.status == 200 and r.header("Content-Encoding") == "gzip" and
              b"entry-with-a-long-name-39.txt" in page, (r.status, r.headers, page[:80]))
        r = get(z.port, "/list/")
        check("browse listing not asked: as it is", r.header("Content-Encoding") is None and
              b"entry-with-a-long-name-39.txt" in r.body, r.headers)
        case_together_h2(build, root, files, sidecars, ranges)
    finally:
        z.stop()
        for name in list(sidecars) + ["pic.svg"]:
            os.unlink(os.path.join(root, name))
        shutil.rmtree(os.path.join(root, "list"))


def case_together_h2(build, root, files, sidecars, ranges):
    try:
        from h2lib import Client, H2cZsrt
    except ImportError as e:
        print(f"skip h2: {e}")
        return
    z = H2cZsrt(build, TOGETHER % root)

    hdr = h2_header
    try:
        c = Client(z.port)
        side, big = sidecars["big.txt.gz"], files["big.txt"]
        r = c.get("/big.txt", headers=[("accept-encoding", "gzip"), ("range", "bytes=0-99,5000-%d" % (len(side) - 1))])
        parts = parts_of(hdr(r, "content-type") or "boundary=", r.body)
        check("h2 sidecar multi-range", r.status == 206 and hdr(r, "content-encoding") == "gzip" and
              [p[2] for p in parts] == [side[:100], side[5000:]], r.headers)
        spec = "bytes=" + ",".join("%d-%d" % x for x in ranges)
        r = c.get("/m/big.txt", headers=[("accept-encoding", "gzip"), ("range", spec)])
        parts = parts_of(hdr(r, "content-type") or "boundary=", gunzip(r.body))
        check("h2 multi-range encoded", r.status == 206 and hdr(r, "content-encoding") == "gzip" and
              [p[2] for p in parts] == [big[a:b + 1] for a, b in ranges], r.headers)
        r = c.get("/list/", headers=[("accept-encoding", "gzip"), ("accept", "application/json")])
        check("h2 browse listing encoded", hdr(r, "content-encoding") == "gzip" and
              gunzip(r.body).count(b'"name":') == 40, r.headers)
        c.close()
    finally:
        z.stop()


def gzip_bytes(data):
    c = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


def case_proxy(build):
    up = Upstream()
    up.extra_headers = [("X-Pad", LONG)]
    z = Zsrt(build, """:{PORT} {
\tencode gzip
\treverse_proxy 127.0.0.1:%d
}""" % up.port)
    try:
        r = get(z.port, "/p", headers=[("Accept-Encoding", "gzip"), ("X-Long", LONG)])
        body = gunzip(r.body)
        check("proxied body gzip", r.header("Content-Encoding") == "gzip" and b'"path": "/p"' in body and
              LONG.encode() in body, (r.headers, body[:80]))
        check("proxied Accept-Encoding reaches the upstream", up.last["headers"].get("accept-encoding") == "gzip",
              up.last)
        r = get(z.port, "/p", headers=[("X-Long", LONG)])
        check("proxied, not asked: as it is", r.header("Content-Encoding") is None and b'"path"' in r.body, r.headers)
    finally:
        z.stop()
        up.stop()


def case_h2(build, root, files):
    try:
        from h2lib import Client, H2cZsrt
    except ImportError as e:
        print(f"skip h2: {e}")
        return
    z = H2cZsrt(build, """:{PORT} {
\tencode zstd gzip
\thandle /r {
\t\trespond "%s"
\t}
\troot * %s
\tfile_server
}""" % (LONG, root))

    hdr = h2_header
    try:
        c = Client(z.port)
        r = c.get("/r", headers=[("accept-encoding", "gzip")])
        check("h2 respond gzip", hdr(r, "content-encoding") == "gzip" and gunzip(r.body) == LONG.encode() and
              hdr(r, "content-length") == str(len(r.body)), r.headers)
        r = c.get("/big.txt", headers=[("accept-encoding", "gzip")])
        check("h2 big file gzip", gunzip(r.body) == files["big.txt"] and hdr(r, "content-length") is None,
              r.headers)
        r = c.get("/mid.html", headers=[("accept-encoding", "gzip")])
        check("h2 file gzip", gunzip(r.body) == files["mid.html"], r.headers)
        if shutil.which("zstd"):
            r = c.get("/big.txt", headers=[("accept-encoding", "zstd")])
            check("h2 big file zstd", unzstd(r.body) == files["big.txt"], r.headers)
        c.close()
    finally:
        z.stop()


def main():
    build = sys.argv[1]
    root, files = make_root()
    try:
        case_choice(build)
        case_options(build)
        case_files(build, root, files)
        case_precompressed(build, root, files)
        case_together(build, root, files)
        case_proxy(build)
        case_h2(build, root, files)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"{len(passed)} passed, {len(failures)} failed, 0 skipped")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
