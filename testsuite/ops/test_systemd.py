#!/usr/bin/env python3
"""systemd's side of zsrt, played by the test: a listening socket passed as
fd 3 (LISTEN_FDS=1, LISTEN_PID) is matched to the blob's listener by address
and served (the test keeps the port bound, so zsrt cannot have bound it
itself), and NOTIFY_SOCKET receives READY=1, then RELOADING=1 with
MONOTONIC_USEC and READY=1 on SIGHUP, then STOPPING=1 on SIGTERM.

Usage: test_systemd.py ZSC ZSRT"""
import os
import signal
import socket
import subprocess
import sys
import tempfile

from opslib import check, compile_site, free_port, http_get


def recv_state(sock, want, seconds=10):
    sock.settimeout(seconds)
    seen = []
    while True:
        try:
            msg = sock.recv(4096).decode()
        except socket.timeout:
            check(False, "no %s from zsrt, got %r" % (want, seen))
        seen.append(msg)
        if msg.startswith(want):
            return msg


def main():
    zsc, zsrt = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        blob = compile_site(zsc, tmp, "site", "http://127.0.0.1:%d {\n\trespond \"activated\"\n}\n" % port)
        lsock = socket.socket()
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind(("127.0.0.1", port))
        lsock.listen(64)
        notify_path = os.path.join(tmp, "notify")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        env = dict(os.environ, NOTIFY_SOCKET=notify_path, LISTEN_FDS="1")
        fd = lsock.fileno()

        def as_fd3():
            os.dup2(fd, 3)
            os.set_inheritable(3, True)

        log = open(os.path.join(tmp, "zsrt.log"), "w+")
        # sh sets LISTEN_PID to its own pid, which exec hands to zsrt
        proc = subprocess.Popen(["sh", "-c", 'LISTEN_PID=$$ exec "$0" "$@"', zsrt, "--workers", "2", blob],
                                env=env, preexec_fn=as_fd3, pass_fds=(fd,), stdout=log, stderr=subprocess.STDOUT)
        try:
            log.flush()
            recv_state(notify, "READY=1")
            check(http_get(port, host="127.0.0.1") == (200, b"activated"), "the passed socket is not served")
            proc.send_signal(signal.SIGHUP)
            msg = recv_state(notify, "RELOADING=1")
            check("MONOTONIC_USEC=" in msg, "RELOADING=1 without MONOTONIC_USEC: %r" % msg)
            recv_state(notify, "READY=1")
            proc.send_signal(signal.SIGTERM)
            recv_state(notify, "STOPPING=1")
            check(proc.wait(15) == 0, "zsrt did not exit 0")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        log.seek(0)
        out = log.read()
        check("cannot listen" not in out, "zsrt tried to bind the port itself:\n" + out)
    print("systemd: socket activation, READY/RELOADING/STOPPING: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
