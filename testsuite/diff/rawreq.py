"""Raw HTTP/1.1 requests for the differential test, and the generic part of
the corpus that every configuration gets. A request is a list of raw byte
strings sent in one write (two of them make a pipelined pair); {PORT} stands
for the port of the server being asked and is filled in when sending."""


def raw(method, target, host="localhost:{PORT}", headers=(), body=None, version="HTTP/1.1"):
    """One request as bytes; body gets a Content-Length unless headers frame it."""
    lines = ["%s %s %s" % (method, target, version)]
    if host is not None:
        lines.append("Host: " + host)
    lines += ["%s: %s" % kv for kv in headers]
    framed = any(k.lower() in ("content-length", "transfer-encoding") for k, _ in headers)
    if body is not None and not framed:
        lines.append("Content-Length: %d" % len(body.encode("latin-1")))
    return ("\r\n".join(lines) + "\r\n\r\n" + (body or "")).encode("latin-1")


def R(name, method, target, **kw):
    """A named single request."""
    return (name, [raw(method, target, **kw)])


def get(name, target, **kw):
    return R(name, "GET", target, **kw)


def pipelined(name, *raws):
    return (name, list(raws))


def bare(entry):
    """The entry without its configuration's add_headers."""
    return (entry[0], entry[1], {"bare": True})


def with_headers(raws, headers):
    """Each request with the header fields it does not have yet added after
    its request line."""
    out = []
    for r in raws:
        line, rest = r.split(b"\r\n", 1)
        names = [h.split(b":", 1)[0].strip().lower() for h in rest.split(b"\r\n\r\n", 1)[0].split(b"\r\n")]
        extra = b"".join(b"%s: %s\r\n" % (k.encode(), v.encode()) for k, v in headers
                         if k.lower().encode() not in names)
        out.append(line + b"\r\n" + extra + rest)
    return out


# Every configuration answers these: the basics of request parsing and
# routing (methods, hosts, dot segments, escapes, pipelining, HTTP/1.0).
GENERIC = [
    get("get-root", "/"),
    R("head-root", "HEAD", "/"),
    get("host-bare", "/", host="localhost"),
    get("host-ip-query", "/?q=1&r", host="127.0.0.1:{PORT}"),
    get("host-upper", "/Index.HTML", host="LocalHost:{PORT}"),
    R("post-form", "POST", "/form?x=1", headers=[("Content-Type", "application/x-www-form-urlencoded")],
      body="a=1&b=two"),
    get("dot-segments", "/a/./b/../c/%2e%2e/d"),
    get("escapes", "/%7Euser/a%20b%2Fc?x=%41&y=a+b"),
    get("double-slash", "//a//b/"),
    pipelined("pipelined", raw("GET", "/one?x=1"), raw("HEAD", "/two")),
    R("http10", "GET", "/ten", host=None, version="HTTP/1.0"),
]
