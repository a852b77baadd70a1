#!/usr/bin/env python3
"""Automatic HTTPS in zsrt against Debian's pebble on 127.0.0.1: a Caddyfile
with two hostnames, as Caddy runs it (email, acme_ca, acme_ca_root,
http_port/https_port, storage), compiled by zsc and served by zsrt, whose
certificate manager (zsrt-acme manage) obtains both names by HTTP-01
answered from storage; a restart that orders nothing; three zsrt sharing one
storage folder and one port pair (SO_REUSEPORT), each name issued exactly
once (pebble's log), every node serving both; renewal of a short-lived
certificate while serving; the CA down: the site keeps its certificate, the
manager logs its retry, nothing crashes.

Usage: test_auto.py ZSRT ZSC"""
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
import test_acme  # noqa: E402  (its check and failure count; the same arguments)
from pebble import Pebble  # noqa: E402
from served import Served, free_port  # noqa: E402

ZSRT, ZSC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
NAMES = ['a.example.test', 'b.example.test']
check = test_acme.check


def caddyfile(work, name, ca, root, http_port, https_port, storage, renew=None):
    path = os.path.join(work, name + '.Caddyfile')
    with open(path, 'w') as f:
        f.write('{\n\temail ops@example.test\n\tacme_ca %s\n\tacme_ca_root %s\n\thttp_port %d\n\thttps_port %d\n'
                '\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n%s}\n\n%s {\n\trespond "hello {host}"\n}\n'
                % (ca, root, http_port, https_port, storage, '\trenew_interval %s\n' % renew if renew else '',
                   ', '.join(NAMES)))
    blob = os.path.join(work, name + '.zsb')
    r = subprocess.run([ZSC, path, '-o', blob], capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError('zsc: ' + r.stderr)
    return blob


def serve(work, blob, https_port, name, reuse=False):
    return Served([ZSRT, '--workers', '1'] + (['--reuse-port'] if reuse else []) + [blob], https_port, work, name)


def fetch(peb_root, port, name):
    """curl over HTTPS, verifying the chain up to pebble's root"""
    return subprocess.run(['curl', '-sS', '--max-time', '5', '--cacert', peb_root, '--resolve',
                           '%s:%d:127.0.0.1' % (name, port), 'https://%s:%d/' % (name, port)],
                          capture_output=True, text=True, timeout=15)


def served_leaf(port, name):
    """the DER leaf presented for SNI name, or the TLS error's text"""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=5) as s:
            with ctx.wrap_socket(s, server_hostname=name) as t:
                return t.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError) as e:
        return str(e)


def wait_for(cond, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.3)
    return cond()


def all_served(root, port):
    return all(fetch(root, port, n).stdout == 'hello ' + n for n in NAMES)


def one_node(peb, work, root, ports):
    storage = os.path.join(work, 'one')
    blob = caddyfile(work, 'one', peb.url, peb.api_cert, ports[0], ports[1], storage)
    before = peb.issued()
    z = serve(work, blob, ports[1], 'zsrt-one')
    try:
        ok = wait_for(lambda: all_served(root, ports[1]), 30)
        check(ok, 'one zsrt obtains both names and serves them over HTTPS (chain to pebble\'s root)',
              z.output() + peb.output()[-2000:])
        check(peb.issued() - before == 2, 'pebble issued one certificate per name (%d)' % (peb.issued() - before))
        log = z.output()
        lines = [json.loads(x) for x in log.splitlines() if x.startswith('{')]
        check(sum(1 for x in lines if x.get('msg') == 'certificate obtained successfully' and
                  x.get('logger') == 'tls.obtain') == 2 and
              sum(1 for x in lines if x.get('msg') == 'certificates loaded from storage') >= 2,
              'Caddy\'s log lines: obtained, then loaded by the server', log)
        issuer = issuer_key(peb.url)
        check(all(os.path.exists(os.path.join(storage, 'certificates', issuer, n, n + '.crt')) for n in NAMES) and
              not os.listdir(os.path.join(storage, 'acme', issuer, 'challenge_tokens')),
              'certificates in certmagic\'s layout; challenge tokens removed')
        r = subprocess.run(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', '--resolve',
                            'a.example.test:%d:127.0.0.1' % ports[0], 'http://a.example.test:%d/x' % ports[0]],
                           capture_output=True, text=True, timeout=15)
        check(r.stdout.startswith('308 https://a.example.test/x'), 'the HTTP listener still redirects', r.stdout)
        leaves = {n: served_leaf(ports[1], n) for n in NAMES}
    finally:
        z.stop()
    # a restart loads from storage and orders nothing
    before = peb.issued()
    z = serve(work, blob, ports[1], 'zsrt-one-again')
    try:
        ok = wait_for(lambda: all_served(root, ports[1]), 15)
        same = all(served_leaf(ports[1], n) == leaves[n] for n in NAMES)
        time.sleep(1.5)
        check(ok and same and peb.issued() == before, 'a restart serves the stored certificates, no new order',
              z.output())
    finally:
        z.stop()


def cluster(peb, work, root, ports):
    storage = os.path.join(work, 'shared')
    blob = caddyfile(work, 'cluster', peb.url, peb.api_cert, ports[0], ports[1], storage)
    before = peb.issued()
    nodes = [serve(work, blob, ports[1], 'zsrt-node%d' % i, reuse=True) for i in range(3)]
    try:
        ok = wait_for(lambda: all(all_served(root, ports[1]) for _ in range(4)), 40)
        outs = '\n'.join(z.output() for z in nodes)
        check(ok, 'three zsrt sharing storage and ports serve both names', outs + peb.output()[-2000:])
        time.sleep(2)
        check(peb.issued() - before == 2, 'each name issued exactly once by the cluster (%d)' % (peb.issued() - before),
              outs)
        check(outs.count('"msg":"certificate obtained successfully"') == 2 and
              outs.count('certificate already exists in storage') >= 2,
              'one node ordered each name, the others loaded it after the lock', outs)
        check(all(sum(1 for line in z.output().splitlines() if 'certificates loaded from storage' in line) >= 1
                  for z in nodes), 'every node reloaded its contexts from storage', outs)
    finally:
        for z in nodes:
            z.stop()


def renewal(work, ports):
    """pebble issuing 30 s certificates: renewed when 10 s are left, while serving"""
    peb = Pebble(work, ports[0], tls_port=ports[1], name='pebble-short', validity=30)
    try:
        root = peb.root()
        storage = os.path.join(work, 'short')
        blob = caddyfile(work, 'short', peb.url, peb.api_cert, ports[0], ports[1], storage, renew='1s')
        z = serve(work, blob, ports[1], 'zsrt-short')
        try:
            ok = wait_for(lambda: all_served(root, ports[1]), 30)
            first = {n: served_leaf(ports[1], n) for n in NAMES}

            def renewed():
                now = {n: served_leaf(ports[1], n) for n in NAMES}
                return all(isinstance(now[n], bytes) and now[n] != first[n] for n in NAMES)
            check(ok and wait_for(renewed, 30) and all_served(root, ports[1]) and peb.issued() == 4,
                  'short-lived certificates are renewed and served without a restart (%d issued)' % peb.issued(),
                  z.output()[-3000:])
            check('certificate is in configured renewal window' in z.output(), 'the renewal is logged')
        finally:
            z.stop()
    finally:
        peb.stop()
    return storage, peb.url


def issuer_key(url):
    return url.split('//')[1].replace(':', '-').replace('/', '-')


def ca_down(work, root_file, old_storage, old_url, ports):
    """the CA gone: a stored certificate keeps being served (a.), a name without
    one fails its handshakes (b.), the manager backs off, nothing crashes"""
    dead = 'https://127.0.0.1:%d/dir' % free_port()
    storage = os.path.join(work, 'down')
    src = os.path.join(old_storage, 'certificates', issuer_key(old_url), NAMES[0])
    shutil.copytree(src, os.path.join(storage, 'certificates', issuer_key(dead), NAMES[0]))
    old = ssl.PEM_cert_to_DER_cert(open(os.path.join(src, NAMES[0] + '.crt')).read())
    blob = caddyfile(work, 'down', dead, root_file, ports[0], ports[1], storage, renew='1s')
    z = serve(work, blob, ports[1], 'zsrt-down')
    try:
        # b. at once, a. when its 30 s certificate enters the renewal window
        retried = wait_for(lambda: z.output().count('"msg":"will retry"') >= 2, 30)
        check(retried and '"retrying_in":"60"' in z.output() and z.alive(),
              'the CA down: obtain fails, the manager backs off (60 s, certmagic\'s first) and zsrt keeps running',
              z.output())
        check(served_leaf(ports[1], NAMES[0]) == old, 'the stored certificate is still served')
        leaf = served_leaf(ports[1], NAMES[1])
        check(isinstance(leaf, str) and 'UNRECOGNIZED_NAME' in leaf.upper(),
              'a name without a certificate fails its handshake', str(leaf))
        r = subprocess.run(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:%d/' % ports[0]],
                           capture_output=True, text=True, timeout=15)
        check(r.stdout == '308', 'the HTTP listener keeps serving', r.stdout + r.stderr)
    finally:
        z.stop()


def missing_tools():
    """the first tool the pebble tests need that is not installed (said), else None"""
    for tool in ('pebble', 'pebble-challtestsrv', 'openssl', 'curl'):
        if not shutil.which(tool):
            print('skip: %s is not installed (tools/setup)' % tool)
            return tool
    return None


def finish(work):
    """the exit status; the work folder removed when every check passed, else kept for its logs"""
    if test_acme.failures == 0:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print('logs kept in ' + work)
    return 1 if test_acme.failures else 0


def main():
    if missing_tools():
        return 77
    work = tempfile.mkdtemp(prefix='zsrt-auto-')
    ports = (free_port(), free_port())
    peb = Pebble(work, ports[0], tls_port=ports[1])
    try:
        root = peb.root()
        one_node(peb, work, root, ports)
        cluster(peb, work, root, ports)
    finally:
        peb.stop()
    storage, url = renewal(work, ports)
    ca_down(work, os.path.join(work, 'pebble-api.crt'), storage, url, ports)
    return finish(work)


if __name__ == '__main__':
    sys.exit(main())
