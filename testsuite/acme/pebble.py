"""Debian's pebble and pebble-challtestsrv on 127.0.0.1 for the ACME tests:
pebble's API certificate made here, its DNS pointed at challtestsrv (every
name resolves to 127.0.0.1), validation without the random sleep, its HTTP-01
port the one the test answers on. Both stopped by PID."""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from served import Served, free_port  # noqa: E402


def make_api_cert(work):
    """a self-signed P-256 certificate for pebble's API (localhost, 127.0.0.1)"""
    cert, key = os.path.join(work, 'pebble-api.crt'), os.path.join(work, 'pebble-api.key')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
                    '-nodes', '-days', '2', '-subj', '/CN=localhost', '-keyout', key, '-out', cert,
                    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
                   check=True, capture_output=True)
    return cert, key


class Pebble:
    def __init__(self, work, http_port, tls_port=None, name='pebble', validity=None):
        self.work = work
        self.http_port = http_port
        self.api_cert, key = make_api_cert(work)
        self.dns_port, mgmt = free_port(), free_port()
        self.chall = Served(['pebble-challtestsrv', '-defaultIPv4', '127.0.0.1', '-defaultIPv6', '',
                             '-dns01', '127.0.0.1:%d' % self.dns_port, '-http01', '', '-https01', '',
                             '-tlsalpn01', '', '-management', '127.0.0.1:%d' % mgmt],
                            mgmt, work, name + '-challtestsrv')
        self.port, self.mgmt_port = free_port(), free_port()
        config = os.path.join(work, name + '-config.json')
        with open(config, 'w') as f:
            json.dump({'pebble': {
                'listenAddress': '127.0.0.1:%d' % self.port,
                'managementListenAddress': '127.0.0.1:%d' % self.mgmt_port,
                'certificate': self.api_cert, 'privateKey': key,
                'httpPort': http_port, 'tlsPort': tls_port or free_port(),
                'ocspResponderURL': '', 'externalAccountBindingRequired': False,
                **({'certificateValidityPeriod': validity} if validity else {})}}, f)
        env = dict(os.environ, PEBBLE_VA_NOSLEEP='1')
        try:
            self.proc = Served(['pebble', '-config', config, '-dnsserver', '127.0.0.1:%d' % self.dns_port],
                               self.port, work, name, env=env)
        except Exception:
            self.chall.stop()
            raise
        self.url = 'https://127.0.0.1:%d/dir' % self.port

    def root(self):
        """the PEM root pebble signs with (new at every start), from its management API"""
        path = os.path.join(self.work, 'pebble-root.pem')
        r = subprocess.run(['curl', '-sS', '--fail', '--cacert', self.api_cert, '-o', path,
                            'https://127.0.0.1:%d/roots/0' % self.mgmt_port], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError('pebble root: ' + r.stderr)
        return path

    def output(self):
        return self.proc.output()

    def issued(self):
        """the certificates pebble issued, by its log"""
        return len(re.findall(r'Issued certificate serial', self.output()))

    def accounts(self):
        """how many accounts pebble holds, by its log"""
        counts = re.findall(r'There are now (\d+) accounts in memory', self.output())
        return int(counts[-1]) if counts else 0

    def orders(self):
        return len(re.findall(r'POST /order-plz', self.output()))

    def stop(self):
        self.proc.stop()
        self.chall.stop()
