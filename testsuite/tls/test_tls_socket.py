#!/usr/bin/env python3
"""The TLS layer on a real socket: tls_test_server (tls_conn over a poll loop
on 127.0.0.1) checked with openssl s_client and curl --cacert: TLS 1.2 and
1.3, ALPN h2 and http/1.1, SNI with exact, wildcard, unknown and no names,
and a client-initiated renegotiation refused."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from served import Served, free_port  # noqa: E402

failures = 0


def check(cond, what, detail=''):
    global failures
    if not cond:
        failures += 1
        print('FAIL: %s\n%s' % (what, detail[-3000:]), file=sys.stderr)


def s_client(port, args, stdin=b'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'):
    r = subprocess.run(['openssl', 's_client', '-connect', '127.0.0.1:%d' % port, '-ign_eof'] + args,
                       input=stdin, capture_output=True, timeout=30)
    return r.returncode, r.stdout.decode(errors='replace') + r.stderr.decode(errors='replace')


def curl(port, host, root, args):
    url = 'https://%s:%d/' % (host, port)
    resolve = [] if host[0].isdigit() else ['--resolve', '%s:%d:127.0.0.1' % (host, port)]
    r = subprocess.run(['curl', '-sS', '--max-time', '20', '--cacert', root] + resolve + args + [url],
                       capture_output=True, timeout=30)
    return r.returncode, r.stdout.decode(errors='replace'), r.stderr.decode(errors='replace')


def main():
    server_bin = os.path.abspath(sys.argv[1])
    for tool in ('openssl', 'curl'):
        if not shutil.which(tool):
            print('skip: no %s' % tool)
            return 77
    work = tempfile.mkdtemp(prefix='zsrt-tls-socket-')
    storage = os.path.join(work, 'storage')
    root = subprocess.run([server_bin, 'ca-init', storage], capture_output=True, text=True, check=True).stdout.strip()
    port = free_port()
    server = Served([server_bin, 'serve', str(port), storage, '--default-sni', '127.0.0.1',
                     'example.com', '*.example.com', '127.0.0.1'], port, work, 'server')
    try:
        for flag, name in (('-tls1_3', 'tls1.3'), ('-tls1_2', 'tls1.2')):
            rc, out = s_client(port, [flag, '-servername', 'example.com', '-alpn', 'h2,http/1.1', '-CAfile', root])
            check(rc == 0 and 'Verify return code: 0 (ok)' in out, 's_client %s verifies' % flag, out)
            check('alpn=h2 sni=example.com version=%s' % name in out, 's_client %s negotiates h2' % flag, out)
            if name == 'tls1.2':
                check('ECDHE-ECDSA-AES256-GCM-SHA384' in out, 'Caddy\'s first TLS 1.2 suite', out)
        rc, out = s_client(port, ['-servername', 'example.com', '-alpn', 'http/1.1', '-CAfile', root])
        check('alpn=http/1.1' in out, 's_client ALPN http/1.1', out)
        rc, out = s_client(port, ['-servername', 'a.b.example.com'])
        check(rc != 0 or 'alert' in out, 'unknown SNI refused', out)

        for args, name in ((['--tlsv1.3'], 'tls1.3'), (['--tlsv1.2', '--tls-max', '1.2'], 'tls1.2')):
            rc, out, err = curl(port, 'example.com', root, ['--http1.1'] + args)
            check(rc == 0 and 'alpn=http/1.1 sni=example.com version=%s' % name in out, 'curl %s' % name, out + err)
        rc, out, err = curl(port, 'www.example.com', root, ['--http1.1'])
        check(rc == 0 and 'sni=www.example.com' in out, 'curl wildcard certificate', out + err)
        rc, out, err = curl(port, '127.0.0.1', root, ['--http1.1'])
        check(rc == 0 and 'sni= ' in out, 'curl without SNI gets the default certificate', out + err)
        rc, out, err = curl(port, 'a.b.example.com', root, ['--http1.1'])
        check(rc != 0, 'curl: a name no certificate covers is refused', out + err)
        rc, out, err = curl(port, 'example.com', root, ['--http2', '-v'])
        check('ALPN: server accepted h2' in err, 'curl --http2 gets h2 by ALPN', err)

        # renegotiation: s_client's "R" command on TLS 1.2
        before = server.output().count('conn:')
        p = subprocess.Popen(['openssl', 's_client', '-connect', '127.0.0.1:%d' % port, '-tls1_2',
                              '-servername', 'example.com'], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        time.sleep(1)
        p.stdin.write(b'R\n')
        p.stdin.flush()
        time.sleep(1.5)
        out = p.communicate(timeout=20)[0].decode(errors='replace')
        time.sleep(0.5)
        log = server.output()
        lines = [ln for ln in log.splitlines() if ln.startswith('conn:')][before:]
        check('RENEGOTIATING' in out, 's_client tried to renegotiate', out)
        check(lines and 'rc=-' in lines[-1], 'the renegotiation attempt failed the connection', log[-2000:] + out)
    finally:
        server.stop()
        print(server.output()[-1500:])
        shutil.rmtree(work, ignore_errors=True)
    print('%s' % ('ok' if failures == 0 else 'FAIL: %d' % failures))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
