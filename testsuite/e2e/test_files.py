"""End-to-end file_server options: multi-range answers (multipart/byteranges
over HTTP/1.1 and HTTP/2, ranges larger than one read of the sender) and
browse (the HTML page, JSON of large folders, the bound on entries). zsrt on
loopback, stopped by PID."""
import os
import random
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Zsrt, check, get, run_cases  # noqa: E402


def expected_multipart(data, ranges, ctype, boundary):
    """The body Go's ServeContent writes for these (start, end) ranges."""
    out = b""
    for i, (a, b) in enumerate(ranges):
        out += (b"\r\n" if i else b"") + b"--" + boundary.encode() + b"\r\n"
        out += b"Content-Range: bytes %d-%d/%d\r\n" % (a, b, len(data))
        out += b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + data[a:b + 1]
    return out + b"\r\n--" + boundary.encode() + b"--\r\n"


def curl_h2(port, path, headers):
    """An HTTP/2 (prior knowledge) GET with curl: (head text, body bytes)."""
    args = ["curl", "-s", "--http2-prior-knowledge", "-D", "-", "-o", "-"]
    for k, v in headers:
        args += ["-H", f"{k}: {v}"]
    r = subprocess.run(args + [f"http://127.0.0.1:{port}{path}"], capture_output=True, timeout=10)
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


def case_multirange(build):
    root = tempfile.mkdtemp(prefix="zs-www-")
    rng = random.Random(11)
    data = bytes(rng.randrange(256) for _ in range(300000))
    with open(os.path.join(root, "big.txt"), "wb") as f:
        f.write(data)
    with open(os.path.join(root, "small.txt"), "wb") as f:
        f.write(b"plain text\n")
    z = Zsrt(build, "{\n\tservers {\n\t\tprotocols h1 h2 h2c\n\t}\n}\n:{PORT} {\n\troot * " + root +
             "\n\tfile_server\n}")
    try:
        ranges = [(0, 99999), (150000, 299999), (10, 20)]
        spec = "bytes=" + ",".join("%d-%d" % r for r in ranges)
        for attempt in range(2):     # the second is answered past the file cache's entry
            r = get(z.port, "/big.txt", headers=[("Range", spec)])
            ct = r.header("Content-Type") or ""
            boundary = ct.partition("boundary=")[2]
            want = expected_multipart(data, ranges, "text/plain; charset=utf-8", boundary)
            check("multipart 206 (%d)" % attempt, r.status == 206 and ct.startswith("multipart/byteranges; boundary=")
                  and len(boundary) == 60, (r.status, ct))
            check("multipart body (%d)" % attempt, r.body == want and r.header("Content-Length") == str(len(want)),
                  (len(r.body), len(want), r.header("Content-Length")))
        r = get(z.port, "/small.txt", headers=[("Range", "bytes=0-1,3-4")])
        boundary = (r.header("Content-Type") or "").partition("boundary=")[2]
        want = expected_multipart(b"plain text\n", [(0, 1), (3, 4)], "text/plain; charset=utf-8", boundary)
        check("cached small file, multipart", r.status == 206 and r.body == want, (r.status, r.body[:200]))
        b2 = (get(z.port, "/small.txt", headers=[("Range", "bytes=0-1,3-4")]).header("Content-Type") or "")
        check("a fresh boundary per answer", b2 != r.header("Content-Type"), b2)
        head, body = curl_h2(z.port, "/big.txt", [("Range", spec)])
        boundary = head.partition("boundary=")[2].split("\r\n")[0]
        want = expected_multipart(data, ranges, "text/plain; charset=utf-8", boundary)
        check("h2 multipart", head.startswith("HTTP/2 206") and body == want, (head[:200], len(body), len(want)))
        r = get(z.port, "/big.txt", headers=[("Range", "bytes=0-199999,100000-299999")])
        check("ranges over the size: whole file", r.status == 200 and r.body == data, (r.status, len(r.body)))
        many = ",".join("%d-%d" % (i, i) for i in range(0, 2000, 10))
        r = get(z.port, "/big.txt", headers=[("Range", "bytes=" + many)])
        check("more parts than zsrt keeps: whole file", r.status == 200 and r.body == data, (r.status, len(r.body)))
    finally:
        z.stop()
        shutil.rmtree(root)


def case_browse(build):
    root = tempfile.mkdtemp(prefix="zs-www-")
    os.makedirs(os.path.join(root, "many"))
    os.makedirs(os.path.join(root, "huge"))
    os.makedirs(os.path.join(root, "pics", "2024"))
    with open(os.path.join(root, "pics", "cat <1>.jpg"), "wb") as f:
        f.write(b"x" * 2048)
    for i in range(1500):                 # a listing far larger than one response buffer
        open(os.path.join(root, "many", "file-%04d.txt" % i), "w").close()
    for i in range(10001):                # one entry more than Caddy reads of a directory
        open(os.path.join(root, "huge", "%05d" % i), "w").close()
    os.makedirs(os.path.join(root, "few"))
    for i in range(8):
        open(os.path.join(root, "few", "f%d" % i), "w").close()
    z = Zsrt(build, ":{PORT} {\n\troot * " + root + "\n\tfile_server browse\n}")
    zl = Zsrt(build, ":{PORT} {\n\troot * " + root + "\n\tfile_server {\n\t\tbrowse {\n\t\t\tfile_limit 5\n"
              "\t\t}\n\t\thide f0\n\t}\n}")
    try:
        r = get(z.port, "/pics/")
        body = r.body.decode()
        check("html listing", r.status == 200 and r.header("Content-Type") == "text/html; charset=utf-8", r.headers)
        check("html names escaped, links encoded", "cat &lt;1&gt;.jpg" in body and 'href="./cat%20%3C1%3E.jpg"' in body,
              body[-600:])
        check("html sizes and counts", "2.0 KiB" in body and "1 directory, 1 file" in body, body[-600:])
        check("html directory link", 'href="./2024/"' in body and 'href=".."' in body, body[-600:])
        check("html sort links", "?sort=size&amp;order=asc" in body, body[:800])
        r = get(z.port, "/many/?limit=3&offset=1497", headers=[("Accept", "application/json")])
        check("json offset and limit", r.status == 200 and r.body.count(b'"name"') == 3 and b"file-1499.txt" in r.body,
              r.body[:300])
        r = get(z.port, "/many/?sort=name&order=desc", headers=[("Accept", "application/json")])
        check("json of 1500 entries", r.status == 200 and r.body.count(b'"name"') == 1500 and
              r.body.startswith(b'[{"name":"file-1499.txt"'), (r.status, len(r.body)))
        r = get(z.port, "/huge/", headers=[("Accept", "application/json")])
        check("a directory's first 10000 entries listed", r.status == 200 and r.body.count(b'"name"') == 10000,
              (r.status, r.body.count(b'"name"')))
        check("still serving", get(z.port, "/pics/").status == 200)
        r = get(zl.port, "/few/", headers=[("Accept", "application/json")])
        names = r.body.count(b'"name"')
        # the first 5 entries in directory order are read; f0 among them is hidden after
        check("file_limit 5: at most 5 read, hidden ones counted", r.status == 200 and names in (4, 5) and
              b'"f0"' not in r.body, (r.status, r.body[:300]))
        r = get(zl.port, "/huge/", headers=[("Accept", "application/json")])
        check("file_limit 5 on a large directory", r.body.count(b'"name"') == 5, r.body[:200])
    finally:
        zl.stop()
        z.stop()
        shutil.rmtree(root)


def main():
    run_cases((case_multirange, case_browse), sys.argv[1])


if __name__ == "__main__":
    main()
