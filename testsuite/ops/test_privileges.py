#!/usr/bin/env python3
"""Privileges: run as root, `zsrt --user nobody` binds first, then ends with
the uid and gid of nobody (from /proc/PID/status, every thread), and still
serves. Without root the test is skipped (77).

Usage: test_privileges.py ZSC ZSRT"""
import grp
import os
import pwd
import sys
import tempfile

from opslib import Zsrt, check, compile_site, free_port, http_get


def ids(path):
    uid = gid = None
    with open(path) as f:
        for line in f:
            if line.startswith("Uid:"):
                uid = [int(x) for x in line.split()[1:]]
            elif line.startswith("Gid:"):
                gid = [int(x) for x in line.split()[1:]]
            elif line.startswith("Groups:"):
                groups = [int(x) for x in line.split()[1:]]
    return uid, gid, groups


def main():
    if os.geteuid() != 0:
        print("skip: not root")
        return 77
    zsc, zsrt = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    nobody = pwd.getpwnam("nobody")
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)   # the dropped server reads the blob's folder at reload
        port = free_port()
        blob = compile_site(zsc, tmp, "site", ":%d {\n\trespond \"hi\"\n}\n" % port)
        z = Zsrt(zsrt, ["--workers", "2", "--user", "nobody", blob], port, tmp)
        check(z.wait_log(lambda o: o.get("msg") == "serving initial configuration", 10), "not serving")
        check(http_get(port) == (200, b"hi"), "no answer after the drop")
        tasks = os.listdir("/proc/%d/task" % z.proc.pid)
        check(len(tasks) >= 3, "expected the main thread and two workers, saw %d" % len(tasks))
        for t in tasks:
            uid, gid, groups = ids("/proc/%d/task/%s/status" % (z.proc.pid, t))
            check(uid == [nobody.pw_uid] * 4, "thread %s uid %r" % (t, uid))
            check(gid == [nobody.pw_gid] * 4, "thread %s gid %r" % (t, gid))
            check(groups == [nobody.pw_gid], "thread %s supplementary groups %r" % (t, groups))
        check(z.stop() == 0, "the dropped zsrt did not stop cleanly")
        # --group: the group given, not the user's primary one
        groups_known = [g for g in grp.getgrall() if g.gr_name in ("daemon", "sys", "adm") and g.gr_gid != nobody.pw_gid]
        if groups_known:
            group = groups_known[0]
            z = Zsrt(zsrt, ["--workers", "1", "--user", "nobody", "--group", group.gr_name, blob], port, tmp,
                     name="group")
            check(z.wait_log(lambda o: o.get("msg") == "serving initial configuration", 10), "not serving")
            uid, gid, groups = ids("/proc/%d/status" % z.proc.pid)
            check(gid == [group.gr_gid] * 4 and groups == [group.gr_gid],
                  "--group %s: gid %r groups %r" % (group.gr_name, gid, groups))
            check(z.stop() == 0, "the --group zsrt did not stop cleanly")
        # an unknown user is refused before serving
        z = Zsrt(zsrt, ["--workers", "1", "--user", "no-such-user-zs", blob], port, tmp, name="bad", wait=False)
        check(z.wait(10) == 1 and "cannot drop privileges" in z.output(), "unknown user: " + z.output())
    print("privileges: --user nobody drops every thread to nobody and serves: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
