#!/usr/bin/env python3
"""TLS-ALPN-01 (RFC 8737) in zsrt against Debian's pebble on 127.0.0.1: two
names obtained with `disable_http_challenge` (pebble's log shows no HTTP-01
validation, its HTTP-01 port answers nothing, zsrt's listener logs each
acme-tls/1 handshake), the challenge
certificate served by the TLS listener from storage to a ClientHello that
offers only acme-tls/1 and the connection closed after the handshake;
without a published challenge such a handshake fails while ordinary ones are
served; with both challenges on and HTTP-01 unanswerable, every name is still
obtained (a random pick first, TLS-ALPN-01 after an HTTP-01 failure).

Usage: test_alpn.py ZSRT ZSC"""
import contextlib
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
import test_acme  # noqa: E402  (its check and failure count)
import test_auto  # noqa: E402
from test_auto import fetch, issuer_key, wait_for  # noqa: E402
from pebble import Pebble  # noqa: E402
from served import Served, free_port  # noqa: E402

ZSRT, ZSC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
check = test_acme.check


def caddyfile(work, name, peb, ports, storage, names, no_http):
    path = os.path.join(work, name + '.Caddyfile')
    with open(path, 'w') as f:
        f.write('{\n\thttp_port %d\n\thttps_port %d\n\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n'
                '\tcert_issuer acme {\n\t\tdir %s\n\t\ttrusted_roots %s\n\t\temail ops@example.test\n%s\t}\n}\n\n'
                '%s {\n\trespond "hello {host}"\n}\n'
                % (ports[0], ports[1], storage, peb.url, peb.api_cert,
                   '\t\tdisable_http_challenge\n' if no_http else '', ', '.join(names)))
    blob = os.path.join(work, name + '.zsb')
    r = subprocess.run([ZSC, path, '-o', blob], capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError('zsc: ' + r.stderr)
    return blob


def handshake(port, name, alpn):
    """(leaf DER, negotiated protocol, what a read after the handshake gives) or the error's text"""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    ctx.set_alpn_protocols(alpn)
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=5) as s:
            with ctx.wrap_socket(s, server_hostname=name) as t:
                leaf, proto = t.getpeercert(binary_form=True), t.selected_alpn_protocol()
                try:
                    after = t.recv(100)
                except (OSError, ssl.SSLError) as e:
                    after = 'error: %s' % e
                return leaf, proto, after
    except (OSError, ssl.SSLError) as e:
        return str(e)


def log_lines(text):
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def http_validations(peb):
    """the HTTP-01 challenges pebble validated (three perspectives each), by its log"""
    return len(set(re.findall(r'Attempting to validate w/ HTTP: (\S+)', peb.output())))


def validation_tasks(peb):
    """every challenge pebble validated (it logs no line of its own for TLS-ALPN-01)"""
    return len(re.findall(r'Pulled a task from the Tasks queue', peb.output()))


@contextlib.contextmanager
def site(work, ports, name, names, no_http):
    """pebble (its HTTP-01 port answered by nothing) and one zsrt serving names; yields (pebble, zsrt, storage)"""
    peb = Pebble(work, free_port(), tls_port=ports[1], name='pebble-' + name)
    storage = os.path.join(work, name)
    try:
        root = peb.root()
        z = Served([ZSRT, '--workers', '1', caddyfile(work, name, peb, ports, storage, names, no_http)], ports[1],
                   work, 'zsrt-' + name)
        try:
            ok = wait_for(lambda: all(fetch(root, ports[1], n).stdout == 'hello ' + n for n in names), 60)
            check(ok, '%s: both names obtained and served (chain to pebble\'s root)' % name,
                  z.output()[-4000:] + peb.output()[-3000:])
            yield peb, z, storage
        finally:
            z.stop()
    finally:
        peb.stop()


def alpn_only(work, ports):
    names = ['a.example.test', 'b.example.test']
    with site(work, ports, 'alpn', names, True) as (peb, z, storage):
        log = z.output()
        check(peb.issued() == 2, 'pebble issued one certificate per name (%d)' % peb.issued())
        tasks, http = validation_tasks(peb), http_validations(peb)
        check(tasks == 2 and http == 0, 'pebble validated two challenges, none by HTTP-01 (%d, %d)'
              % (tasks, http), peb.output()[-3000:])
        lines = log_lines(log)
        served = {x.get('server_name') for x in lines if x.get('msg') == 'served key authentication certificate'
                  and x.get('challenge') == 'tls-alpn-01' and x.get('logger') == 'tls'}
        tried = {x.get('identifier') for x in lines if x.get('msg') == 'trying to solve challenge'
                 and x.get('challenge_type') == 'tls-alpn-01'}
        check(served == set(names) and tried == set(names),
              'the validations came to the TLS listener with acme-tls/1 (Caddy\'s log lines: the manager solving '
              'tls-alpn-01, the listener serving the challenge certificate)', log[-4000:])
        tokens = os.path.join(storage, 'acme', issuer_key(peb.url), 'challenge_tokens')
        check(os.path.isdir(tokens) and not os.listdir(tokens), 'the challenge files are removed once validated',
              str(os.listdir(tokens) if os.path.isdir(tokens) else 'no folder'))
        listener(work, ports, storage, issuer_key(peb.url), names)
        check(z.alive(), 'zsrt is still running')


def listener(work, ports, storage, issuer, names):
    """the TLS listener's side alone: a challenge certificate put in storage by hand"""
    name = names[0]
    tokens = os.path.join(storage, 'acme', issuer, 'challenge_tokens')
    pem = os.path.join(tokens, name + '.tls-alpn.pem')
    key, crt = os.path.join(work, 'chal.key'), os.path.join(work, 'chal.crt')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
                    '-days', '1', '-subj', '/CN=' + name, '-keyout', key, '-out', crt,
                    '-addext', 'subjectAltName=DNS:' + name], check=True, capture_output=True)
    with open(pem, 'w') as f:
        f.write(open(crt).read() + open(key).read())
    want = ssl.PEM_cert_to_DER_cert(open(crt).read())
    got = handshake(ports[1], name, ['acme-tls/1'])
    check(isinstance(got, tuple) and got[0] == want and got[1] == 'acme-tls/1' and got[2] == b'',
          'acme-tls/1 alone gets the published certificate, acme-tls/1 negotiated, then the connection closes',
          str(got)[:300])
    mixed = handshake(ports[1], name, ['acme-tls/1', 'http/1.1'])
    check(isinstance(mixed, tuple) and mixed[0] != want and mixed[1] == 'http/1.1',
          'a client offering acme-tls/1 among others gets the site\'s certificate', str(mixed)[:300])
    os.unlink(pem)
    gone = handshake(ports[1], name, ['acme-tls/1'])
    check(isinstance(gone, str), 'without a published challenge an acme-tls/1 handshake fails', str(gone)[:300])
    other = handshake(ports[1], names[1], ['acme-tls/1'])
    check(isinstance(other, str), 'a name with no challenge of its own is refused too', str(other)[:300])
    normal = handshake(ports[1], name, ['h2', 'http/1.1'])
    check(isinstance(normal, tuple) and normal[1] == 'h2' and normal[0] != want,
          'ordinary handshakes are served as before', str(normal)[:300])


def fallback(work, ports):
    """both challenges on, HTTP-01 unanswerable: each name is obtained anyway"""
    with site(work, ports, 'both', ['c.example.test', 'd.example.test'], False) as (peb, z, storage):
        log = z.output()
        check(peb.issued() == 2, 'both challenges on: one certificate per name (%d issued)' % peb.issued())
        lines = log_lines(log)
        failed = [x for x in lines if x.get('msg') == 'challenge failed' and x.get('challenge_type') == 'http-01']
        again = [x for x in lines if x.get('msg') == 'trying again with another challenge type' and
                 x.get('challenge_type') == 'tls-alpn-01']
        check(len(failed) == len(again) and http_validations(peb) == len(failed),
              'each HTTP-01 failure (%d of 2 random first picks) is followed by TLS-ALPN-01' % len(failed), log)


def main():
    if test_auto.missing_tools():
        return 77
    work = tempfile.mkdtemp(prefix='zsrt-alpn-')
    ports = (free_port(), free_port())
    alpn_only(work, ports)
    fallback(work, ports)
    return test_auto.finish(work)


if __name__ == '__main__':
    sys.exit(main())
