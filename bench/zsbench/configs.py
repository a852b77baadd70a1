# Equivalent configurations of every scenario for each server: one Caddyfile for
# Caddy and zsrt (zsc compiles the same file Caddy reads), an nginx.conf, and the
# ceiling responder's arguments (it only ever sends the expected body).
import subprocess
from dataclasses import dataclass

from . import scenarios as sc


@dataclass
class Site:
    port: int
    www: str                    # the document root shared by all servers
    upstream_port: int          # the proxy scenario's upstream (the first of them)
    tmp: str                    # this server's own scratch folder
    cert: str = ""              # the TLS scenarios' certificate and key (PEM)
    key: str = ""


def tls_certificate(tmp):
    """A self-signed ECDSA P-256 certificate for localhost and 127.0.0.1, shared by
    every server (the load generators do not verify); (cert path, key path)."""
    cert, key = f"{tmp}/localhost.pem", f"{tmp}/localhost.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "7", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


UPSTREAM_PORT_STRIDE = 2000   # the ports of a scenario's further upstreams


def upstream_ports(s, site):
    return [site.upstream_port + UPSTREAM_PORT_STRIDE * k for k in range(s.upstreams)]


def _caddy_site_lines(s, site):
    if s.kind == "static":
        return (["\tencode gzip"] if s.gzip else []) + [f"\troot * {site.www}", "\tfile_server"]
    if s.kind == "respond":
        return [f'\trespond "{s.body.decode()}" 200']
    if s.kind == "proxy" and s.upstreams > 1:
        dials = " ".join(f"127.0.0.1:{p}" for p in upstream_ports(s, site))
        return [f"\treverse_proxy {dials} {{", "\t\tlb_policy round_robin", "\t}"]
    if s.kind == "proxy":
        return [f"\treverse_proxy 127.0.0.1:{site.upstream_port}"]
    lines = []
    for n in map(sc.route_name, range(sc.ROUTE_COUNT)):
        lines += [f"\t@r{n} {{", f"\t\thost {sc.ROUTE_HOST}", f"\t\tpath /svc{n}/*",
                  f"\t\theader X-Route r{n}", "\t}", f'\trespond @r{n} "route {n}" 200']
    return lines + ['\trespond "no route" 404']


def caddyfile(s, site):
    """Caddyfile for Caddy and zsrt: admin and automatic HTTPS off, no access log
    (Caddy logs requests only with a log directive), listening on loopback only.
    Over TLS: the certificate files, no HTTP->HTTPS redirects (its http_port kept
    off the well-known one all the same)."""
    if s.tls:
        lines = ["{", "\tadmin off", f"\thttp_port {site.port + 1000}", "\tauto_https disable_redirects", "}",
                 "", f"https://localhost:{site.port} {{", "\tbind 127.0.0.1", f"\ttls {site.cert} {site.key}"]
    else:
        lines = ["{", "\tadmin off", "\tauto_https off", "}", "",
                 f":{site.port} {{", "\tbind 127.0.0.1"]
    return "\n".join(lines + _caddy_site_lines(s, site) + ["}", ""])


def _nginx_routes(s):
    out = []
    for n in map(sc.route_name, range(sc.ROUTE_COUNT)):
        out.append(f"    location /svc{n}/ {{\n"
                   f'      if ($http_x_route = "r{n}") {{ return 200 "route {n}"; }}\n'
                   '      return 404 "no route";\n    }')
    return "\n".join(out + ['    location / { return 404 "no route"; }'])


def _nginx_server_body(s, site):
    if s.kind == "static" and s.gzip:   # text/html is always among gzip_types
        return (f"    location / {{ root {site.www}; }}\n"
                "    gzip on;\n    gzip_comp_level 5;\n    gzip_min_length 512;")
    if s.kind == "static":
        return f"    location / {{ root {site.www}; }}"
    if s.kind == "respond":
        return f'    location / {{ return 200 "{s.body.decode()}"; }}'
    if s.kind == "proxy":
        return ("    location / {\n      proxy_pass http://upstream_bench;\n"
                "      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n    }")
    return _nginx_routes(s)


# nginx over TLS as its experts set it up: HTTP/2 on the listener, Caddy's curves
# in Caddy's order, a shared session cache and tickets (both resume), TLS 1.2-1.3.
NGINX_TLS = """    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ecdh_curve X25519:prime256v1:secp384r1;
    ssl_session_cache shared:SSL:10m;
    ssl_session_timeout 1h;
    ssl_session_tickets on;
"""


def _nginx_servers(s, site):
    listen = f"127.0.0.1:{site.port}"
    if s.tls:
        tls = NGINX_TLS.format(cert=site.cert, key=site.key)
        return f"  server {{\n    listen {listen} ssl http2;\n{tls}{_nginx_server_body(s, site)}\n  }}"
    if s.kind != "routes":
        return f"  server {{\n    listen {listen};\n{_nginx_server_body(s, site)}\n  }}"
    # Other hosts fall to the default server, as Caddy falls through every route.
    return (f"  server {{\n    listen {listen} default_server;\n"
            '    location / { return 404 "no route"; }\n  }\n'
            f"  server {{\n    listen {listen};\n    server_name {sc.ROUTE_HOST};\n"
            f"{_nginx_server_body(s, site)}\n  }}")


# nginx as it is tuned for small static files: descriptors, sizes and mtimes kept
# in open_file_cache (revalidated every 60 s, as commonly deployed; zsrt's own
# cache revalidates more often, which only handicaps zsrt), sendfile with
# tcp_nopush for the larger file, and upstream keep-alive for the proxy.
NGINX_FILE_CACHE = """  open_file_cache max=10000 inactive=60s;
  open_file_cache_valid 60s;
  open_file_cache_min_uses 1;
  open_file_cache_errors on;
"""


def nginx_conf(s, site):
    """One process (no master), no access log, temp files and pid in its own folder,
    keep-alive without nginx's default cap of 1,000 requests per connection."""
    t = site.tmp
    upstream = ""
    if s.kind == "proxy":
        servers = "".join(f"    server 127.0.0.1:{p};\n" for p in upstream_ports(s, site))
        upstream = f"  upstream upstream_bench {{\n{servers}    keepalive 128;\n  }}\n"   # round robin
    return f"""worker_processes 1;
daemon off;
master_process off;
pid {t}/nginx.pid;
error_log {t}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  include /etc/nginx/mime.types;
  default_type text/plain;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 100000000;
{NGINX_FILE_CACHE if s.kind == "static" else ""}  client_body_temp_path {t}/client_body;
  proxy_temp_path {t}/proxy;
  fastcgi_temp_path {t}/fastcgi;
  uwsgi_temp_path {t}/uwsgi;
  scgi_temp_path {t}/scgi;
{upstream}{_nginx_servers(s, site)}
}}
"""


def _h2o_paths(s, site):
    """h2o 2.2's handler for the scenario, or None where it has none: a fixed
    response needs its mruby handler (the way h2o serves one), and h2o matches
    no request header outside mruby, so the routes scenario is not its kind."""
    if s.kind == "static":
        return f'      "/":\n        file.dir: "{site.www}"\n'
    if s.kind == "proxy" and s.upstreams > 1:
        urls = "".join(f'          - "http://127.0.0.1:{p}/"\n' for p in upstream_ports(s, site))
        return f'      "/":\n        proxy.reverse.url:\n{urls}'
    if s.kind == "proxy":
        return f'      "/":\n        proxy.reverse.url: "http://127.0.0.1:{site.upstream_port}/"\n'
    if s.kind == "respond":
        body = s.body.decode()
        return ('      "/":\n        mruby.handler: |\n'
                '          Proc.new do |env|\n'
                f'            [200, {{"content-type" => "text/plain; charset=utf-8"}}, ["{body}"]]\n'
                '          end\n')
    return None


def h2o_conf(s, site):
    """One thread, no access log, loopback only; None when h2o cannot do s."""
    paths = None if s.gzip else _h2o_paths(s, site)
    if paths is None:
        return None
    ssl = ""
    if s.tls:       # h2o resumes by cache and tickets by default (ssl-session-resumption)
        ssl = f"  ssl:\n    certificate-file: {site.cert}\n    key-file: {site.key}\n    minimum-version: TLSv1.2\n"
    return (f"num-threads: 1\nuser: root\npid-file: {site.tmp}/h2o.pid\n"
            f"error-log: {site.tmp}/error.log\n"
            f"listen:\n  host: 127.0.0.1\n  port: {site.port}\n{ssl}"
            "http1-request-timeout: 10\n"
            f"hosts:\n  default:\n    paths:\n{paths}")


def ceiling_args(s, site):
    """The ceiling responder sends the expected body itself: no file system, no
    proxy hop, no matching. It is the bound, not a competitor."""
    body_path = f"{site.www}/{s.body_file}" if s.body_file else f"{site.tmp}/body"
    if not s.body_file:
        with open(body_path, "wb") as f:
            f.write(s.body)
    kind = "text/html; charset=utf-8" if s.body_file else "text/plain; charset=utf-8"
    return ["--port", str(site.port), "--body", body_path, "--type", kind]
