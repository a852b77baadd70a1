# The benchmark scenarios: what each one asks, what a correct answer is, and how
# wrk loads it. Server configurations for them live in configs.py.
from dataclasses import dataclass, field

HELLO = b"Hello, World!"
ROUTE_COUNT = 200
ROUTE_HOST = "bench.local"
BIG_FILE = "100k.html"
BIG_SIZE = 100 * 1024


@dataclass
class Scenario:
    name: str
    kind: str                   # static | respond | proxy | routes: which config to build
    about: str                  # one line for the README and --list
    path: str = "/"
    headers: dict = field(default_factory=dict)
    connections: int = 64
    close: bool = False         # a new connection per request
    expect_status: int = 200
    body_file: str = ""         # expected body is this file of the www dir ...
    body: bytes = b""           # ... or these bytes
    tls: bool = False           # HTTPS on https://localhost:PORT (an ECDSA P-256 certificate)
    load: str = "wrk"           # the load generator: wrk | h2load (HTTP/2) | s_time (full handshakes)
    resume: bool = False        # the check demands TLS session resumption
    upstreams: int = 1          # proxy: ceiling upstreams, balanced round robin when more than one
    gzip: bool = False          # the site compresses with gzip at level 5 (Caddy's encode default); the check decodes


def route_name(i):
    """Zero-padded, so every route's path has the same length: Caddy orders routes
    by path length, and equal lengths keep the file's order (the last stays last)."""
    return f"{i:03d}"


def route_body(i):
    return f"route {route_name(i)}".encode()


SCENARIOS = [
    Scenario("static-small", "static", "GET / served from bench/www/index.html (174 bytes)",
             body_file="index.html"),
    Scenario("static-100k", "static", f"GET /{BIG_FILE}, a 100 KiB static file",
             path="/" + BIG_FILE, body_file=BIG_FILE),
    Scenario("static-100k-gzip", "static", f"GET /{BIG_FILE} with Accept-Encoding: gzip, compressed on the "
             "fly at level 5 (encode gzip; nginx gzip on, gzip_comp_level 5; h2o left out)",
             path="/" + BIG_FILE, headers={"Accept-Encoding": "gzip"}, body_file=BIG_FILE, gzip=True),
    Scenario("respond", "respond", "a fixed 13-byte body from the config, no file, no upstream",
             body=HELLO),
    Scenario("proxy", "proxy", "reverse proxy to one shared upstream (the ceiling responder "
             "on core 1, beside wrk) answering with index.html", body_file="index.html"),
    Scenario("routes", "routes", f"{ROUTE_COUNT} routes matching host + path + header; "
             "the request hits the last one",
             path=f"/svc{route_name(ROUTE_COUNT - 1)}/item",
             headers={"Host": ROUTE_HOST, "X-Route": f"r{route_name(ROUTE_COUNT - 1)}"},
             body=route_body(ROUTE_COUNT - 1)),
    Scenario("new-conn", "respond", "like respond, but a new connection per request "
             "(Connection: close)", close=True, connections=16, body=HELLO),
    Scenario("c1000", "respond", "like respond, with 1,000 concurrent keep-alive connections",
             connections=1000, body=HELLO),
    Scenario("https-small", "static", "like static-small over HTTPS (TLS 1.3, keep-alive)",
             body_file="index.html", tls=True),
    Scenario("https-handshake", "respond", "like respond over HTTPS with a new TLS 1.3 connection "
             "and a full handshake (ECDSA P-256, no resumption) per request: 4 openssl s_time -new "
             "at once", close=True, connections=4, body=HELLO, tls=True, load="s_time"),
    Scenario("https-resume", "respond", "like https-handshake, but each new connection resumes "
             "its session (wrk reconnects with the session it had)", close=True, connections=16,
             body=HELLO, tls=True, resume=True),
    Scenario("https-proxy", "proxy", "HTTPS in front of the proxy scenario's HTTP upstream "
             "(keep-alive)", body_file="index.html", tls=True),
    Scenario("h2-small", "static", "static-small over HTTP/2 on TLS (h2load -c50 -m10)",
             connections=50, body_file="index.html", tls=True, load="h2load"),
    Scenario("proxy-rr3", "proxy", "reverse proxy balancing 3 upstreams round robin (three ceiling "
             "responders on core 1) answering with index.html", body_file="index.html", upstreams=3),
]

H2_STREAMS = 10             # h2load -m: concurrent streams per connection

QUICK_DEFAULT = ["respond", "static-small"]


def scenario_find(name):
    for s in SCENARIOS:
        if s.name == name:
            return s
    return None


def scenario_headers(s):
    """The request headers wrk and the check send, Connection: close included."""
    headers = dict(s.headers)
    if s.close:
        headers["Connection"] = "close"
    return headers


def scenario_url(s, port):
    """localhost resolves to 127.0.0.1 (and only there); over TLS it is the SNI."""
    if s.tls:
        return f"https://localhost:{port}{s.path}"
    return f"http://127.0.0.1:{port}{s.path}"


def scenario_expected_body(s, www_dir):
    if s.body_file:
        with open(f"{www_dir}/{s.body_file}", "rb") as f:
            return f.read()
    return s.body
