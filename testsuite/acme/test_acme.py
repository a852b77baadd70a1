#!/usr/bin/env python3
"""zsrt's ACME client (zsrt certs, the zsrt-acme process) against Debian's
pebble on 127.0.0.1: issuance for several names into certmagic's layout, a
second run that orders nothing, two obtainers at once ordering each name
once (the lock and the shared challenge tokens), a stale lock taken over,
clear failures (CA down, not JSON, rate limited, challenge refused) that keep
the old certificate, and Caddy 2.6.2 sharing the same storage both ways;
zsrt serves a certificate Caddy obtained.

Usage: test_acme.py ZSRT [ZSC]"""
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from pebble import Pebble  # noqa: E402
from served import Served, free_port  # noqa: E402

ZSRT = os.path.abspath(sys.argv[1])
ZSC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None
failures = 0


def check(cond, what, detail=''):
    global failures
    print(('ok   ' if cond else 'FAIL ') + what)
    if not cond:
        failures += 1
        print(detail[-3000:], file=sys.stderr)


def certs(*args, timeout=60):
    return subprocess.run([ZSRT, 'certs'] + list(args), capture_output=True, text=True, timeout=timeout)


def obtain(peb, storage, names, http_port=None, ca=None, wait=True):
    argv = [ZSRT, 'certs', 'obtain', '--ca', ca or peb.url, '--ca-root', peb.api_cert, '--email', 'ops@example.test',
            '--http-port', str(http_port or peb.http_port), '--storage', storage] + names
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if not wait:
        return p
    out, err = p.communicate(timeout=60)
    return subprocess.CompletedProcess(argv, p.returncode, out, err)


def listed(storage):
    r = certs('list', '--storage', storage)
    return r, {f[0]: f for f in (line.split('\t') for line in r.stdout.splitlines())}


def cert_file(storage, issuer, name, ext):
    return os.path.join(storage, 'certificates', issuer, name, name + '.' + ext)


def issuance(peb, work, issuer):
    storage = os.path.join(work, 'st')
    names = ['a.example.test', 'b.example.test', 'c.example.test']
    before = peb.issued()
    r = obtain(peb, storage, names)
    check(r.returncode == 0, 'obtain three names', r.stderr)
    check(peb.issued() - before == 3, 'pebble issued one certificate per name', peb.output()[-2000:])
    for n in names:
        crt = cert_file(storage, issuer, n, 'crt')
        ok = all(os.path.exists(cert_file(storage, issuer, n, e)) for e in ('crt', 'key', 'json'))
        check(ok and open(crt).read().count('BEGIN CERTIFICATE') >= 2, n + ': .crt (leaf and chain), .key, .json')
        meta = json.load(open(cert_file(storage, issuer, n, 'json'))) if ok else {}
        check(meta.get('sans') == [n] and '/cert' in meta.get('issuer_data', {}).get('url', ''),
              n + ': metadata as certmagic writes it', json.dumps(meta))
    user = os.path.join(storage, 'acme', issuer, 'users', 'ops@example.test')
    check(os.path.exists(os.path.join(user, 'ops.key')) and
          json.load(open(os.path.join(user, 'ops.json'))).get('location', '').startswith('https://'),
          'the account in acme/<issuer>/users/<email>/')
    check(not os.listdir(os.path.join(storage, 'locks')), 'no lock left behind')
    lr, rows = listed(storage)
    check(lr.returncode == 0 and all(rows.get(n, [''] * 4)[1:4:2] == [issuer, 'valid'] for n in names),
          'zsrt certs list: names, issuer, expiry', lr.stdout + lr.stderr)
    before, crt = peb.issued(), open(cert_file(storage, issuer, 'a.example.test', 'crt')).read()
    r = obtain(peb, storage, names)
    check(r.returncode == 0 and peb.issued() == before and r.stderr.count('already exists in storage') == 3,
          'a second run orders nothing', r.stderr)
    check(open(cert_file(storage, issuer, 'a.example.test', 'crt')).read() == crt, 'and keeps the certificate')
    return storage


def renewal(peb, work, issuer):
    """a stored certificate that is due is replaced by a new order"""
    storage = os.path.join(work, 'renew')
    old = due_certificate(work, storage, issuer, 'due.example.test')
    old_key = open(cert_file(storage, issuer, 'due.example.test', 'key')).read()
    before = peb.issued()
    r = obtain(peb, storage, ['due.example.test'])
    new = open(cert_file(storage, issuer, 'due.example.test', 'crt')).read()
    check(r.returncode == 0 and peb.issued() == before + 1 and new != old and
          open(cert_file(storage, issuer, 'due.example.test', 'key')).read() != old_key,
          'a due certificate is renewed (new order, new key)', r.stderr)
    lr, rows = listed(storage)
    check(rows.get('due.example.test', [''] * 4)[3] == 'valid', 'and listed valid', lr.stdout)


def concurrent(peb, work):
    storage = os.path.join(work, 'shared')
    names = ['p.example.test', 'q.example.test', 'r.example.test']
    before, accounts = peb.issued(), peb.accounts()
    # both answer HTTP-01 on the same port: whichever gets the validation
    # answers from the tokens in storage
    procs = [obtain(peb, storage, names if i == 0 else names[::-1], wait=False) for i in range(2)]
    outs = [p.communicate(timeout=90) for p in procs]
    check(all(p.returncode == 0 for p in procs), 'two obtainers at once both succeed', '\n'.join(o[1] for o in outs))
    check(peb.issued() - before == 3, 'each name ordered exactly once (%d issued)' % (peb.issued() - before),
          '\n'.join(o[1] for o in outs))
    check(peb.accounts() == accounts + 1, 'and register one account between them', peb.output()[-1500:])
    check(sum(o[1].count('already exists in storage') for o in outs) == 3,
          'the other obtainer loaded each from storage after the lock', '\n'.join(o[1] for o in outs))


def stale_lock(peb, work, issuer):
    storage = os.path.join(work, 'stale')
    os.makedirs(os.path.join(storage, 'locks'))
    with open(os.path.join(storage, 'locks', 'issue_cert_s.example.test.lock'), 'w') as f:
        f.write('{"created":"2020-01-01T00:00:00.5Z","updated":"2020-01-01T00:00:01.5Z"}\n')
    t = time.time()
    r = obtain(peb, storage, ['s.example.test'])
    check(r.returncode == 0 and time.time() - t < 8 and os.path.exists(cert_file(storage, issuer, 's.example.test', 'crt')),
          'a stale lock is taken over', r.stderr)


def due_certificate(work, storage, issuer, name):
    """an expired certificate for name in storage (so it is due for renewal)"""
    d = os.path.join(storage, 'certificates', issuer, name)
    os.makedirs(d)
    ca = tempfile.mkdtemp(dir=work, prefix='oldca')
    open(os.path.join(ca, 'index.txt'), 'w').close()
    with open(os.path.join(ca, 'ca.cnf'), 'w') as f:
        f.write('[ca]\ndefault_ca=d\n[d]\ndatabase=%s/index.txt\nnew_certs_dir=%s\nserial=%s/serial\n'
                'policy=p\ndefault_md=sha256\n[p]\ncommonName=supplied\n' % (ca, ca, ca))
    open(os.path.join(ca, 'serial'), 'w').write('01\n')
    key, csr, crt = (os.path.join(d, name + e) for e in ('.key', '.csr', '.crt'))
    subprocess.run(['openssl', 'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
                    '-subj', '/CN=' + name, '-keyout', key, '-out', csr], check=True, capture_output=True)
    subprocess.run(['openssl', 'ca', '-batch', '-selfsign', '-config', os.path.join(ca, 'ca.cnf'), '-keyfile', key,
                    '-in', csr, '-out', crt, '-startdate', '20200101000000Z', '-enddate', '20200201000000Z'],
                   check=True, capture_output=True)
    os.unlink(csr)
    return open(crt).read()


class FakeCA:
    """an HTTPS server on 127.0.0.1 that answers like a broken CA"""

    def __init__(self, peb, mode):
        port = free_port()
        base = 'https://127.0.0.1:%d' % port

        class H(BaseHTTPRequestHandler):
            def answer(self, code, body, ctype='application/json', extra=()):
                self.send_response(code)
                self.send_header('Content-Type', ctype)
                self.send_header('Replay-Nonce', 'n%d' % time.time_ns())
                for k, v in extra:
                    self.send_header(k, v)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_HEAD(self):
                self.answer(200, b'')

            def do_GET(self):
                if mode == 'slow':
                    time.sleep(7)
                if mode in ('notjson', 'slow'):
                    return self.answer(200, b'<html>maintenance</html>', 'text/html')
                self.answer(200, json.dumps({'newNonce': base + '/nonce', 'newAccount': base + '/acct',
                                             'newOrder': base + '/order'}).encode())

            def do_POST(self):
                self.rfile.read(int(self.headers.get('Content-Length', 0)))
                self.answer(429, json.dumps({'type': 'urn:ietf:params:acme:error:rateLimited',
                                             'detail': 'too many registrations'}).encode(),
                            'application/problem+json', [('Retry-After', '3600')])

            def log_message(self, *a):
                pass
        self.srv = ThreadingHTTPServer(('127.0.0.1', port), H)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(peb.api_cert, os.path.join(peb.work, 'pebble-api.key'))
        self.srv.socket = ctx.wrap_socket(self.srv.socket, server_side=True)
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.url = base + '/dir'

    def stop(self):
        self.srv.shutdown()


def failures_keep_old(peb, work):
    dead = 'https://127.0.0.1:%d/dir' % free_port()
    fakes = [FakeCA(peb, 'notjson'), FakeCA(peb, 'ratelimit')]
    cases = [(dead, 'cannot reach the CA'), (fakes[0].url, 'is not a JSON object'), (fakes[1].url, 'rate limited')]
    for i, (url, words) in enumerate(cases):
        storage = os.path.join(work, 'fail%d' % i)
        issuer = url.split('//')[1].replace(':', '-').replace('/', '-')
        old = due_certificate(work, storage, issuer, 'old.example.test')
        r = obtain(peb, storage, ['old.example.test'], ca=url)
        check(r.returncode == 1 and words in r.stderr, 'CA %s: exit 1, says "%s"' % (url, words), r.stderr)
        check(open(cert_file(storage, issuer, 'old.example.test', 'crt')).read() == old,
              'the old certificate stays')
        lr, rows = listed(storage)
        check(rows.get('old.example.test', [''] * 4)[3] == 'expired', 'and is listed as expired', lr.stdout)
    for f in fakes:
        f.stop()
    storage = os.path.join(work, 'refused')
    r = obtain(peb, storage, ['x.example.test'], http_port=free_port())   # nobody answers pebble's validation
    check(r.returncode == 1 and 'rejected the HTTP-01 challenge for x.example.test' in r.stderr,
          'a refused challenge: exit 1 with the CA\'s reason', r.stderr)


def caddy(peb, work, storage, name, https_port):
    cf = os.path.join(work, 'Caddyfile-' + name)
    with open(cf, 'w') as f:
        f.write('{\n admin off\n storage file_system %s\n skip_install_trust\n acme_ca %s\n acme_ca_root %s\n'
                ' http_port %d\n https_port %d\n email ops@example.test\n}\n%s {\n bind 127.0.0.1\n respond "caddy"\n}\n'
                % (storage, peb.url, peb.api_cert, peb.http_port, https_port, name))
    env = dict(os.environ, HOME=work, XDG_DATA_HOME=work, XDG_CONFIG_HOME=work)
    return Served(['caddy', 'run', '--config', cf, '--adapter', 'caddyfile'], https_port, work, 'caddy-' + name, env=env)


def caddy_waits(peb, work, issuer, https_port):
    """while zsrt holds a name's lock (its CA is slow to answer) Caddy waits
    for it: the lock file is the one certmagic takes, and zsrt keeps it fresh"""
    storage = os.path.join(work, 'waits')
    slow = FakeCA(peb, 'slow')
    z = obtain(peb, storage, ['w.example.test'], ca=slow.url, http_port=free_port(), wait=False)
    lock = os.path.join(storage, 'locks', 'issue_cert_w.example.test.lock')
    wait_for(lambda: os.path.exists(lock), 10)
    c = caddy(peb, work, storage, 'w.example.test', https_port)
    try:
        got = wait_for(lambda: os.path.exists(cert_file(storage, issuer, 'w.example.test', 'key')), 40)
    finally:
        c.stop()
        slow.stop()
    zerr = z.communicate(timeout=30)[1]

    def ts(text, msg):
        lines = [json.loads(line) for line in text.splitlines() if line.startswith('{') and msg in line and
                 'w.example.test' in line]
        return lines[0]['ts'] if lines else None
    released, acquired = ts(zerr, '"releasing lock"'), ts(c.output(), '"lock acquired"')
    check(got and released and acquired and acquired >= released,
          'Caddy waits for the lock zsrt holds (%s >= %s), then obtains' % (acquired, released),
          zerr + c.output()[-2000:])


def caddy_answers(peb, work, storage):
    """Caddy holds pebble's HTTP-01 port and our answerer is elsewhere, so the
    validation is answered by Caddy from the token zsrt put in storage (a
    catch-all policy with pebble as issuer, as a cluster node would have)"""
    https_port = free_port()
    cfg = {'admin': {'disabled': True}, 'storage': {'module': 'file_system', 'root': storage},
           'apps': {'http': {'http_port': peb.http_port, 'https_port': https_port, 'servers': {'plain': {
               'listen': ['127.0.0.1:%d' % peb.http_port], 'automatic_https': {'disable': True},
               'routes': [{'handle': [{'handler': 'static_response', 'body': 'caddy'}]}]}}},
               'tls': {'automation': {'policies': [{'issuers': [{
                   'module': 'acme', 'ca': peb.url, 'email': 'ops@example.test',
                   'trusted_roots_pem_files': [peb.api_cert]}]}]}}}}
    path = os.path.join(work, 'caddy-answers.json')
    with open(path, 'w') as f:
        json.dump(cfg, f)
    env = dict(os.environ, HOME=work, XDG_DATA_HOME=work, XDG_CONFIG_HOME=work)
    c = Served(['caddy', 'run', '--config', path], peb.http_port, work, 'caddy-answers', env=env)
    try:
        r = obtain(peb, storage, ['viacaddy.example.test'], http_port=free_port())
    finally:
        c.stop()
    check(r.returncode == 0 and '"distributed":true' in c.output(),
          'Caddy answers HTTP-01 from the token zsrt published in storage', r.stderr + c.output()[-1500:])


def wait_for(cond, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline and not cond():
        time.sleep(0.2)
    return cond()


def with_caddy(peb, work, issuer, ours, https_port):
    storage = os.path.join(work, 'caddy')
    before = peb.issued()
    c = caddy(peb, work, storage, 'k.example.test', https_port)
    try:
        got = wait_for(lambda: os.path.exists(cert_file(storage, issuer, 'k.example.test', 'key')), 30)
        check(got and peb.issued() - before == 1, 'Caddy 2.6.2 obtains a certificate from pebble', c.output()[-2000:])
    finally:
        c.stop()
    caddy_answers(peb, work, storage)
    caddy_waits(peb, work, issuer, https_port)
    lr, rows = listed(storage)
    check(rows.get('k.example.test', [''] * 4)[1:4:2] == [issuer, 'valid'], 'zsrt lists the certificate Caddy stored',
          lr.stdout + lr.stderr)
    before = peb.issued()
    r = obtain(peb, storage, ['k.example.test'])
    check(r.returncode == 0 and 'already exists' in r.stderr and peb.issued() == before,
          'zsrt uses the certificate Caddy stored: no new order', r.stderr)
    accounts, key = peb.accounts(), open(os.path.join(storage, 'acme', issuer, 'users', 'ops@example.test',
                                                      'ops.key')).read()
    r = obtain(peb, storage, ['m.example.test'])
    check(r.returncode == 0 and peb.issued() == before + 1 and peb.accounts() == accounts and
          open(os.path.join(storage, 'acme', issuer, 'users', 'ops@example.test', 'ops.key')).read() == key,
          'zsrt orders with the account Caddy registered (no new account)', r.stderr + peb.output()[-1500:])
    before = peb.issued()
    c = caddy(peb, work, ours, 'a.example.test', https_port)
    try:
        served = served_leaf(https_port, 'a.example.test')
        out = c.output()
    finally:
        c.stop()
    ours_der = ssl.PEM_cert_to_DER_cert(open(cert_file(ours, issuer, 'a.example.test', 'crt')).read())
    check(served == ours_der and peb.issued() == before, 'Caddy serves the certificate zsrt stored: no new order',
          out[-2000:])
    serve_with_zsrt(peb, work, storage, issuer)


def served_leaf(port, name):
    """the DER leaf a TLS server on 127.0.0.1:port presents for SNI name"""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    deadline = time.time() + 15
    while True:
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=5) as s:
                with ctx.wrap_socket(s, server_hostname=name) as t:
                    return t.getpeercert(binary_form=True)
        except (OSError, ssl.SSLError):
            if time.time() > deadline:
                return None
            time.sleep(0.2)


def serve_with_zsrt(peb, work, storage, issuer):
    if not ZSC:
        print('note: no zsc given, zsrt serving skipped')
        return
    port = free_port()
    crt, key = (cert_file(storage, issuer, 'k.example.test', e) for e in ('crt', 'key'))
    cf = os.path.join(work, 'zsrt.Caddyfile')
    with open(cf, 'w') as f:
        f.write('https://k.example.test:%d {\n\tbind 127.0.0.1\n\ttls %s %s\n\trespond "zsrt ok"\n}\n' % (port, crt, key))
    blob = os.path.join(work, 'site.zsb')
    r = subprocess.run([ZSC, cf, '-o', blob], capture_output=True, text=True)
    check(r.returncode == 0, 'zsc compiles a site with the certificate Caddy obtained', r.stderr)
    if r.returncode:
        return
    z = Served([ZSRT, '--workers', '1', '--no-sandbox', blob], port, work, 'zsrt')
    try:
        r = subprocess.run(['curl', '-sS', '--max-time', '10', '--cacert', peb.root(), '--resolve',
                            'k.example.test:%d:127.0.0.1' % port, 'https://k.example.test:%d/' % port],
                           capture_output=True, text=True, timeout=20)
    finally:
        z.stop()
    check(r.returncode == 0 and r.stdout == 'zsrt ok', 'zsrt serves it; curl verifies the chain to pebble\'s root',
          r.stdout + r.stderr + z.output()[-1500:])


def main():
    for tool in ('pebble', 'pebble-challtestsrv', 'caddy', 'openssl', 'curl'):
        if not shutil.which(tool):
            print('skip: %s is not installed (tools/setup)' % tool)
            return 77
    work = tempfile.mkdtemp(prefix='zsrt-acme-')
    https_port = free_port()
    peb = Pebble(work, free_port(), tls_port=https_port)
    issuer = peb.url.split('//')[1].replace(':', '-').replace('/', '-')
    try:
        ours = issuance(peb, work, issuer)
        renewal(peb, work, issuer)
        concurrent(peb, work)
        stale_lock(peb, work, issuer)
        failures_keep_old(peb, work)
        with_caddy(peb, work, issuer, ours, https_port)
    finally:
        peb.stop()
    if failures:
        print('work folder kept: ' + work, file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
