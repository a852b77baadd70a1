#!/usr/bin/env python3
"""The local CA against Caddy (Debian's caddy): Caddy serves `tls internal`
from a pki folder our CA made and the leaf it serves chains to our root (it
reused our root and intermediate); and our CA loads a folder Caddy made,
reuses its root and intermediate, and issues leaves that chain to Caddy's
root. Caddy runs on 127.0.0.1 only and is stopped by PID."""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from served import Served, free_port  # noqa: E402

failures = 0
PKI = ('root.crt', 'root.key', 'intermediate.crt', 'intermediate.key')


def check(cond, what, detail=''):
    global failures
    if not cond:
        failures += 1
        print('FAIL: %s\n%s' % (what, detail[-3000:]), file=sys.stderr)


def digests(storage):
    d = os.path.join(storage, 'pki', 'authorities', 'local')
    return {f: hashlib.sha256(open(os.path.join(d, f), 'rb').read()).hexdigest() for f in PKI}


def caddy_serve(work, storage, name):
    port, http_port = free_port(), free_port()
    caddyfile = os.path.join(work, name + '.Caddyfile')
    with open(caddyfile, 'w') as f:
        f.write('{\n  admin off\n  storage file_system %s\n  skip_install_trust\n'
                '  auto_https disable_redirects\n  http_port %d\n  https_port %d\n}\n'
                'https://localhost:%d {\n  bind 127.0.0.1\n  tls internal\n  respond "caddy ok"\n}\n'
                % (storage, http_port, port, port))
    env = dict(os.environ, HOME=work, XDG_DATA_HOME=work, XDG_CONFIG_HOME=work)
    return Served(['caddy', 'run', '--config', caddyfile, '--adapter', 'caddyfile'], port, work, name, env=env)


def curl(port, root):
    """Caddy listens before it has issued the leaf (it answers with an
    internal_error alert until then): retry for a while"""
    deadline = time.time() + 20
    while True:
        r = subprocess.run(['curl', '-sS', '--max-time', '10', '--cacert', root, '--resolve',
                            'localhost:%d:127.0.0.1' % port, 'https://localhost:%d/' % port],
                           capture_output=True, text=True, timeout=30)
        if r.returncode == 0 or time.time() > deadline or 'internal error' not in r.stderr:
            return r.returncode, r.stdout + r.stderr
        time.sleep(0.2)


def caddy_uses_our_ca(server_bin, work):
    storage = os.path.join(work, 'ours')
    root = subprocess.run([server_bin, 'ca-init', storage], capture_output=True, text=True,
                          check=True).stdout.strip()
    before = digests(storage)
    caddy = caddy_serve(work, storage, 'caddy-ours')
    try:
        rc, out = curl(caddy.port, root)
        check(rc == 0 and 'caddy ok' in out, 'Caddy serves a leaf that chains to our root', out + caddy.output())
    finally:
        caddy.stop()
    check(digests(storage) == before, 'Caddy kept our root and intermediate', caddy.output())


def we_use_caddys_ca(server_bin, work):
    storage = os.path.join(work, 'caddys')
    caddy = caddy_serve(work, storage, 'caddy-new')
    try:
        d = os.path.join(storage, 'pki', 'authorities', 'local')
        rc, out = curl(caddy.port, os.path.join(d, 'root.crt'))
        check(rc == 0 and 'caddy ok' in out, 'Caddy made its own CA and serves', out)
    finally:
        caddy.stop()
    before = digests(storage)
    leaf = os.path.join(work, 'leaf')
    r = subprocess.run([server_bin, 'ca-issue', storage, leaf, 'localhost', '127.0.0.1'],
                       capture_output=True, text=True)
    check(r.returncode == 0, 'our CA loads the folder Caddy made', r.stdout + r.stderr)
    check(digests(storage) == before, 'our CA reused Caddy\'s root and intermediate')
    v = subprocess.run(['openssl', 'verify', '-CAfile', os.path.join(d, 'root.crt'), '-untrusted',
                        os.path.join(d, 'intermediate.crt'), leaf + '.crt'], capture_output=True, text=True)
    check(v.returncode == 0 and ': OK' in v.stdout, 'our leaf chains to Caddy\'s root', v.stdout + v.stderr)
    subj = subprocess.run(['openssl', 'x509', '-noout', '-subject', '-in', os.path.join(d, 'root.crt')],
                          capture_output=True, text=True).stdout
    ours = subprocess.run(['openssl', 'x509', '-noout', '-subject', '-in',
                           os.path.join(work, 'ours', 'pki', 'authorities', 'local', 'root.crt')],
                          capture_output=True, text=True).stdout
    check(subj == ours, 'our root is named as Caddy names its root', subj + ours)


def main():
    server_bin = os.path.abspath(sys.argv[1])
    for tool in ('caddy', 'curl', 'openssl'):
        if not shutil.which(tool):
            print('skip: no %s' % tool)
            return 77
    work = tempfile.mkdtemp(prefix='zsrt-tls-caddy-')
    try:
        caddy_uses_our_ca(server_bin, work)
        we_use_caddys_ca(server_bin, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print('ok' if failures == 0 else 'FAIL: %d' % failures)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
