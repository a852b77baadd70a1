#!/usr/bin/env python3
"""The FastCGI codec against php-fpm: fastcgi_probe writes one request with
zsrt's records and environment and reads the answer back, over TCP and a
unix socket, to a php-fpm this test starts with its own config (no php.ini).
Checks $_SERVER as Caddy would set it, PATH_INFO, a body over several STDIN
records, a Status from PHP, STDERR and a missing script. Skips (77) without php-fpm."""
import getpass
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from served import Served, free_port  # noqa: E402

SCRIPTS = {
    "index.php": "<?php foreach (['SCRIPT_NAME','SCRIPT_FILENAME','PATH_INFO','DOCUMENT_ROOT','REQUEST_METHOD',"
                 "'QUERY_STRING','SERVER_NAME','SERVER_PORT','HTTP_X_FOO','CONTENT_LENGTH','GATEWAY_INTERFACE',"
                 "'REMOTE_ADDR'] as $k) echo $k, '=', $_SERVER[$k] ?? '(unset)', \"\\n\";",
    "status.php": "<?php http_response_code(418); header('X-Test: yes'); echo 'teapot';",
    "post.php": "<?php $b = file_get_contents('php://input'); echo strlen($b), ' ', md5($b);",
    "warn.php": "<?php error_log('to stderr'); echo 'ok';",
}


def php_fpm():
    found = shutil.which("php-fpm") or sorted(glob.glob("/usr/sbin/php-fpm*"))
    return found if isinstance(found, str) else (found[-1] if found else None)


def probe(exe, addr, root, method, path, query="", body=0, *fields):
    r = subprocess.run([exe, addr, root, method, path, query, str(body), *fields],
                       capture_output=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError("probe %s %s failed: %s" % (method, path, r.stderr.decode(errors="replace")))
    head, _, body_out = r.stdout.partition(b"\n\n")
    lines = head.decode().split("\n")
    return int(lines[0].split()[1]), lines[1:], body_out, r.stderr.decode()


def config(work, port, sock):
    user = ""
    if os.geteuid() == 0:
        user = "user = %s\ngroup = %s\n" % (getpass.getuser(), getpass.getuser())
    pools = ""
    for name, listen in (("tcp", "127.0.0.1:%d" % port), ("unix", sock)):
        pools += ("[%s]\nlisten = %s\n%spm = static\npm.max_children = 2\ncatch_workers_output = no\n"
                  % (name, listen, user))
    path = os.path.join(work, "fpm.conf")
    with open(path, "w") as f:
        f.write("[global]\nerror_log = %s/fpm-error.log\npid = %s/fpm.pid\ndaemonize = no\n%s"
                % (work, work, pools))
    return path


def main():
    if len(sys.argv) < 2:
        print("usage: test_fastcgi_php.py FASTCGI_PROBE")
        return 1
    exe = sys.argv[1]
    fpm = php_fpm()
    if fpm is None:
        print("skip: php-fpm is not installed (tools/setup installs it)")
        return 77
    failures = 0
    with tempfile.TemporaryDirectory() as work:
        root = os.path.join(work, "www")
        os.mkdir(root)
        for name, text in SCRIPTS.items():
            with open(os.path.join(root, name), "w") as f:
                f.write(text)
        port, sock = free_port(), os.path.join(work, "fpm.sock")
        argv = [fpm, "-F", "-n", "-y", config(work, port, sock)] + (["-R"] if os.geteuid() == 0 else [])
        server = Served(argv, port, work, "php-fpm")
        try:
            deadline = time.time() + 10
            while not os.path.exists(sock) and time.time() < deadline:
                time.sleep(0.05)
            for addr in ("127.0.0.1:%d" % port, sock):
                failures += check(exe, addr, root)
        finally:
            server.stop()
    print("%s: %d failures" % ("FAIL" if failures else "ok", failures))
    return 1 if failures else 0


def expect(what, got, want):
    if got != want:
        print("%s: got %r, want %r" % (what, got, want))
        return 1
    return 0


def check(exe, addr, root):
    f = 0
    status, _, body, _ = probe(exe, addr, root, "GET", "/index.php/extra/path", "a=1&b=2", 0, "X-Foo: bar")
    env = dict(line.split("=", 1) for line in body.decode().splitlines())
    want = {"SCRIPT_NAME": "/index.php", "SCRIPT_FILENAME": root + "/index.php", "PATH_INFO": "/extra/path",
            "DOCUMENT_ROOT": root, "REQUEST_METHOD": "GET", "QUERY_STRING": "a=1&b=2",
            "SERVER_NAME": "example.test", "SERVER_PORT": "8080", "HTTP_X_FOO": "bar", "CONTENT_LENGTH": "0",
            "GATEWAY_INTERFACE": "CGI/1.1", "REMOTE_ADDR": "127.0.0.1"}
    f += expect(addr + " index status", status, 200)
    for k, v in want.items():
        f += expect("%s $_SERVER[%s]" % (addr, k), env.get(k), v)

    status, fields, body, _ = probe(exe, addr, root, "GET", "/status.php")
    f += expect(addr + " status.php", (status, body), (418, b"teapot"))
    f += expect(addr + " status.php X-Test", "X-Test: yes" in fields, True)
    f += expect(addr + " status.php Status field", any(x.lower().startswith("status: 418") for x in fields), True)

    size = 300000                # more than four STDIN records
    sent = bytes((ord("a") + i % 26) for i in range(size))
    status, _, body, _ = probe(exe, addr, root, "POST", "/post.php", "", size, "Content-Type: application/octet-stream")
    f += expect(addr + " post", (status, body.decode()), (200, "%d %s" % (size, hashlib.md5(sent).hexdigest())))

    status, _, body, err = probe(exe, addr, root, "GET", "/warn.php")
    f += expect(addr + " warn body", (status, body), (200, b"ok"))
    f += expect(addr + " warn stderr", "to stderr" in err, True)

    # a script php-fpm cannot find: its own 404, the reason on STDERR
    status, _, body, err = probe(exe, addr, root, "GET", "/missing.php")
    f += expect(addr + " missing", (status, body.strip()), (404, b"File not found."))
    f += expect(addr + " missing stderr", "Primary script unknown" in err, True)
    return f


if __name__ == "__main__":
    sys.exit(main())
