"""The two servers of the differential test: Caddy run from a Caddyfile with
its home, data and config folders inside the test's temporary folder, and
zsrt serving the blob zsc compiled from the same Caddyfile. Both listen on
127.0.0.1 only and are stopped by PID."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from served import Served, free_port  # noqa: E402,F401  (free_port: used by the driver)


def compile_blob(zsc, caddyfile, blob):
    """(True, blob path) or (False, zsc's complaint)."""
    r = subprocess.run([zsc, caddyfile, "-o", blob], capture_output=True, text=True,
                       cwd=os.path.dirname(caddyfile))
    if r.returncode != 0:
        return False, (r.stderr.strip().splitlines() or ["exit %d" % r.returncode])[0]
    return True, blob


class CaddyServer(Served):
    def __init__(self, caddyfile, port, work):
        home = os.path.join(work, "caddy-home")
        os.makedirs(home, exist_ok=True)
        env = dict(os.environ, HOME=home, XDG_DATA_HOME=os.path.join(home, "data"),
                   XDG_CONFIG_HOME=os.path.join(home, "config"))
        super().__init__(["caddy", "run", "--config", _caddy_json(caddyfile, work, env)], port, work,
                         "caddy", env)


def _caddy_json(caddyfile, work, env):
    """The Caddyfile as Caddy's JSON with its admin endpoint off: the default
    localhost:2019 may belong to another Caddy on the machine, which this test
    neither stops nor depends on."""
    r = subprocess.run(["caddy", "adapt", "--config", caddyfile, "--adapter", "caddyfile"],
                       capture_output=True, text=True, cwd=work, env=env)
    if r.returncode != 0:
        raise RuntimeError("caddy adapt failed:\n" + r.stderr[-2000:])
    config = json.loads(r.stdout)
    config["admin"] = {"disabled": True}
    path = os.path.join(work, "caddy.json")
    with open(path, "w") as f:
        json.dump(config, f)
    return path


class ZsrtServer(Served):
    def __init__(self, zsrt, blob, port, work):
        super().__init__([zsrt, "--workers", "1", blob], port, work, "zsrt")
