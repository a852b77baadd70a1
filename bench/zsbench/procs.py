# Starting, watching and stopping the processes of a benchmark: each is pinned to a
# core with taskset, remembered by PID and stopped by that PID only; readiness,
# the loopback-only check and the /proc figures (peak RSS, CPU time) live here too.
import ctypes
import os
import signal
import socket
import subprocess
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """Runs in the child before exec: even a SIGKILLed bench/run leaves no server."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Procs:
    """Every process this run started, so that exit (normal or not) stops them all."""

    def __init__(self):
        self.running = {}       # pid -> (name, Popen)

    def start(self, name, argv, core, log_path, env=None, cwd=None):
        full_env = dict(os.environ)
        full_env.update(env or {})
        with open(log_path, "wb") as log:
            p = subprocess.Popen(["taskset", "-c", str(core)] + argv, stdin=subprocess.DEVNULL,
                                 stdout=log, stderr=subprocess.STDOUT, env=full_env, cwd=cwd,
                                 preexec_fn=_die_with_parent)
        self.running[p.pid] = (name, p)
        return p

    def stop(self, p, grace=3.0):
        """SIGTERM, then SIGKILL after the grace time; the PID taskset exec'd into."""
        if p.pid not in self.running:
            return
        del self.running[p.pid]
        if p.poll() is not None:
            return
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

    def stop_all(self):
        for _, p in list(self.running.values()):
            self.stop(p)


def wait_port(p, port, timeout=15.0):
    """True once 127.0.0.1:port accepts a connection while p still runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if p.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def _socket_inodes(pid):
    inodes = set()
    fd_dir = f"/proc/{pid}/fd"
    try:
        fds = os.listdir(fd_dir)
    except FileNotFoundError:   # it exited: the answer check reports that
        return inodes
    for fd in fds:
        try:
            target = os.readlink(f"{fd_dir}/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _is_loopback(hex_addr):
    if len(hex_addr) == 8:                       # IPv4, little-endian: 0100007F
        return hex_addr.endswith("7F")
    return hex_addr in ("00000000000000000000000001000000",          # ::1
                        "0000000000000000FFFF00000100007F")          # ::ffff:127.0.0.1


def exposed_sockets(pid):
    """Listening TCP and bound UDP sockets of pid on anything but loopback."""
    inodes = _socket_inodes(pid)
    bad = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        with open(f"/proc/net/{proto}") as f:
            next(f)
            for line in f:
                cols = line.split()
                addr, state, inode = cols[1], cols[3], cols[9]
                listening = state == "0A" if proto.startswith("tcp") else state == "07"
                if inode in inodes and listening and not _is_loopback(addr.split(":")[0]):
                    bad.append(f"{proto} {addr}")
    return bad


def cpu_seconds(pid):
    """utime + stime of the whole process (all threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0
