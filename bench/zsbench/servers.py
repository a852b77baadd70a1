# The servers under test and how each one is started for a scenario: nginx (one
# process, tuned for small files), h2o (one thread), Caddy (GOMAXPROCS=1), zsrt
# (one worker, after zsc compiles the same Caddyfile Caddy reads; built with
# BoringSSL, and with OpenSSL 3 as zsrt-ossl) and the ceiling responder. All
# pinned to the server core.
import os
import shutil
import subprocess

from . import configs


class Server:
    name = ""
    port_offset = 0
    tls_only = False            # left out of the plain HTTP scenarios

    def __init__(self, paths):
        self.paths = paths      # dict: zsc, zsrt, ceiling binaries
        self.missing = None     # why this server cannot run at all, or None

    def start(self, s, site, procs, core):
        """The started Popen, or a string saying why it was not started."""
        raise NotImplementedError


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


class Nginx(Server):
    name = "nginx"
    port_offset = 1

    def __init__(self, paths):
        super().__init__(paths)
        self.binary = shutil.which("nginx") or (os.path.exists("/usr/sbin/nginx") and "/usr/sbin/nginx")
        if not self.binary:
            self.missing = "nginx not installed"

    def start(self, s, site, procs, core):
        for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            os.makedirs(f"{site.tmp}/{d}", exist_ok=True)
        conf = _write(f"{site.tmp}/nginx.conf", configs.nginx_conf(s, site))
        argv = [self.binary, "-p", site.tmp + "/", "-e", f"{site.tmp}/error.log", "-c", conf]
        return procs.start(self.name, argv, core, f"{site.tmp}/stdout.log")


class Caddy(Server):
    name = "caddy"
    port_offset = 2

    def __init__(self, paths):
        super().__init__(paths)
        self.binary = shutil.which("caddy")
        if not self.binary:
            self.missing = "caddy not installed"

    def start(self, s, site, procs, core):
        conf = _write(f"{site.tmp}/Caddyfile", configs.caddyfile(s, site))
        env = {"GOMAXPROCS": "1", "HOME": site.tmp, "XDG_CONFIG_HOME": f"{site.tmp}/config",
               "XDG_DATA_HOME": f"{site.tmp}/data"}
        argv = [self.binary, "run", "--config", conf, "--adapter", "caddyfile"]
        return procs.start(self.name, argv, core, f"{site.tmp}/stdout.log", env=env)


class Zsrt(Server):
    name = "zsrt"
    port_offset = 3
    tools = ("zsc", "zsrt")     # keys of paths: this build's compiler and runtime

    def __init__(self, paths):
        super().__init__(paths)
        for tool in self.tools:
            if not os.access(paths[tool], os.X_OK):
                self.missing = f"{tool} is not built ({paths[tool]})"

    def start(self, s, site, procs, core):
        zsc, zsrt = (self.paths[tool] for tool in self.tools)
        conf = _write(f"{site.tmp}/Caddyfile", configs.caddyfile(s, site))
        blob = f"{site.tmp}/site.zsb"
        out = subprocess.run([zsc, conf, "-o", blob], capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            lines = (out.stderr or out.stdout).strip().splitlines() or ["no message"]
            return f"zsc could not compile the scenario: {lines[0]}"
        argv = [zsrt, "--workers", "1", blob]
        return procs.start(self.name, argv, core, f"{site.tmp}/stdout.log")


class ZsrtOssl(Zsrt):
    """zsrt built with -Dtls=openssl, in the TLS scenarios only (elsewhere it is the
    same code as zsrt)."""
    name = "zsrt-ossl"
    port_offset = 6
    tools = ("zsc-ossl", "zsrt-ossl")
    tls_only = True


class H2o(Server):
    name = "h2o"
    port_offset = 5

    def __init__(self, paths):
        super().__init__(paths)
        self.binary = shutil.which("h2o")
        if not self.binary:
            self.missing = "h2o not installed"

    def start(self, s, site, procs, core):
        text = configs.h2o_conf(s, site)
        if text is None:
            return "h2o 2.2 has no handler for this scenario outside mruby"
        conf = _write(f"{site.tmp}/h2o.conf", text)
        return procs.start(self.name, [self.binary, "-c", conf], core, f"{site.tmp}/stdout.log")


class Ceiling(Server):
    name = "ceiling"
    port_offset = 4

    def start(self, s, site, procs, core):
        if s.tls:
            return "the ceiling responder speaks no TLS"
        if s.gzip:
            return "the ceiling responder does not compress"
        argv = [self.paths["ceiling"]] + configs.ceiling_args(s, site)
        return procs.start(self.name, argv, core, f"{site.tmp}/stdout.log")


SERVER_CLASSES = [Nginx, H2o, Caddy, Zsrt, ZsrtOssl, Ceiling]
UPSTREAM_PORT_OFFSET = 9


def servers_make(paths):
    return [cls(paths) for cls in SERVER_CLASSES]
