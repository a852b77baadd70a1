#!/usr/bin/env python3
"""zsc -o never replaces what is not a regular file: a FIFO and a character
device are written to directly (and stay what they are), a symbolic link is
followed (the link stays, its target gets the blob), a directory is refused
with an error, and a regular file is replaced.

Usage: test_zsc_output.py ZSC"""
import os
import stat
import subprocess
import sys
import tempfile
import threading

from opslib import check

SITE = ':8080 {\n\trespond "hi"\n}\n'


def zsc(zsc_bin, tmp, out):
    return subprocess.run([zsc_bin, os.path.join(tmp, "Caddyfile"), "-o", out],
                          capture_output=True, text=True, cwd=tmp)


def main():
    zsc_bin = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "Caddyfile"), "w") as f:
            f.write(SITE)
        # a regular file: replaced, and its reference blob for the others
        reg = os.path.join(tmp, "site.zsb")
        with open(reg, "w") as f:
            f.write("old")
        r = zsc(zsc_bin, tmp, reg)
        check(r.returncode == 0, "regular file: " + r.stderr)
        blob = open(reg, "rb").read()
        check(len(blob) > 4096 and blob != b"old", "regular file was not replaced by a blob")
        magic = blob[:8]

        # a FIFO: read on the other end, still a FIFO afterwards
        fifo = os.path.join(tmp, "pipe")
        os.mkfifo(fifo)
        got = []
        reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()), daemon=True)
        reader.start()
        r = zsc(zsc_bin, tmp, fifo)
        reader.join(30)
        check(r.returncode == 0, "fifo: " + r.stderr)
        check(stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO was replaced")
        check(got and got[0][:8] == magic and len(got[0]) == len(blob), "the FIFO's reader did not get the blob")
        check(not os.path.exists(fifo + ".tmp"), "a .tmp file was left beside the FIFO")

        # a symbolic link: the link stays, the target gets the blob
        target = os.path.join(tmp, "target.zsb")
        with open(target, "w") as f:
            f.write("old")
        link = os.path.join(tmp, "link.zsb")
        os.symlink("target.zsb", link)
        r = zsc(zsc_bin, tmp, link)
        check(r.returncode == 0, "symlink: " + r.stderr)
        check(os.path.islink(link), "the symbolic link was replaced")
        check(open(target, "rb").read()[:8] == magic, "the link's target did not get the blob")

        # a dangling link and a directory: refused, left as they are
        dangling = os.path.join(tmp, "dangling.zsb")
        os.symlink("nowhere/x.zsb", dangling)
        r = zsc(zsc_bin, tmp, dangling)
        check(r.returncode != 0 and "cannot write" in r.stderr, "dangling link accepted: " + r.stderr)
        check(os.path.islink(dangling), "the dangling link was replaced")
        d = os.path.join(tmp, "dir.zsb")
        os.mkdir(d)
        r = zsc(zsc_bin, tmp, d)
        check(r.returncode != 0 and "cannot write" in r.stderr and "directory" in r.stderr,
              "directory output accepted: " + r.stderr)
        check(os.path.isdir(d), "the directory was replaced")

        # a character device: our own null device when mknod works, else /dev/null
        dev = os.path.join(tmp, "null")
        try:
            os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        except OSError:
            dev = "/dev/null"
        r = zsc(zsc_bin, tmp, dev)
        check(r.returncode == 0, "character device: " + r.stderr)
        check(stat.S_ISCHR(os.lstat(dev).st_mode), dev + " is no longer a character device")
        if dev != "/dev/null":
            check(stat.S_ISCHR(os.lstat("/dev/null").st_mode), "/dev/null is no longer a character device")
    print("zsc -o: regular, FIFO, symlink, dangling link, directory, character device: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
