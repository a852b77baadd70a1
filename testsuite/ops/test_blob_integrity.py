#!/usr/bin/env python3
"""Blob integrity: `zsc verify` accepts a good blob, refuses a corrupted byte
(checksum) and a bad eBPF instruction behind a recomputed checksum (the
verifier runs again); `zsc sign` + `zsrt --verify-key` serve a signed blob,
refuse a tampered one, an unsigned one and one signed by another key, also
at reload (the signed blob keeps serving).

Usage: test_blob_integrity.py ZSC ZSRT"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

from opslib import Zsrt, check, compile_site, free_port, http_get


def fnv1a(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


def section(data, kind):
    count = struct.unpack_from("<I", data, 20)[0]
    for i in range(count):
        k, _, off, size = struct.unpack_from("<IIQQ", data, 40 + 24 * i)
        if k == kind:
            return off, size
    return None


def reseal(data):
    data[32:40] = b"\0" * 8
    data[32:40] = struct.pack("<Q", fnv1a(bytes(data)))


def run(argv):
    return subprocess.run(argv, capture_output=True, text=True)


def main():
    zsc, zsrt = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    if not shutil.which("openssl"):
        print("skip: no openssl command to make keys")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        good = compile_site(zsc, tmp, "good", ":%d {\n\trespond \"signed\"\n}\n" % port)
        r = run([zsc, "verify", good])
        check(r.returncode == 0 and "eBPF verified" in r.stdout, "zsc verify on a good blob: " + r.stderr)

        data = bytearray(open(good, "rb").read())
        bad = os.path.join(tmp, "flipped.zsb")
        flipped = bytearray(data)
        flipped[len(flipped) // 2] ^= 1
        open(bad, "wb").write(flipped)
        r = run([zsc, "verify", bad])
        check(r.returncode == 1 and "checksum" in r.stderr, "a flipped byte passed zsc verify: " + r.stdout + r.stderr)

        off, size = section(data, 5)   # ZS_SEC_BPF
        evil = bytearray(data)
        evil[off] = 0xff   # no such opcode
        reseal(evil)
        bad = os.path.join(tmp, "badbpf.zsb")
        open(bad, "wb").write(evil)
        r = run([zsc, "verify", bad])
        check(r.returncode == 1 and "error" in r.stderr, "a bad eBPF opcode passed zsc verify: " + r.stdout)

        keys = {}
        for name in ("k1", "k2"):
            priv, pub = os.path.join(tmp, name + ".pem"), os.path.join(tmp, name + ".pub.pem")
            check(run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", priv]).returncode == 0, "genpkey")
            check(run(["openssl", "pkey", "-in", priv, "-pubout", "-out", pub]).returncode == 0, "pkey -pubout")
            keys[name] = (priv, pub)

        served = os.path.join(tmp, "site.zsb")
        shutil.copy(good, served)
        r = run([zsc, "sign", "--key", keys["k1"][0], served])
        check(r.returncode == 0 and os.path.getsize(served + ".sig") == 64, "zsc sign: " + r.stderr)
        check(run([zsc, "verify", served, "--key", keys["k1"][1]]).returncode == 0, "zsc verify --key (right key)")
        check(run([zsc, "verify", served, "--key", keys["k2"][1]]).returncode == 1, "zsc verify --key (wrong key)")

        def start(name, blob, key):
            z = Zsrt(zsrt, ["--workers", "1", "--verify-key", keys[key][1], blob], port, tmp, name=name, wait=False)
            return z, z.wait(3)

        # unsigned, wrongly signed and tampered blobs are refused at start
        unsigned = os.path.join(tmp, "unsigned.zsb")
        shutil.copy(good, unsigned)
        z, rc = start("unsigned", unsigned, "k1")
        check(rc == 1 and "unsigned" in z.output(), "an unsigned blob was served: %r %s" % (rc, z.output()))
        z, rc = start("wrongkey", served, "k2")
        check(rc == 1 and "signature" in z.output(), "a blob signed by another key was served: %r" % rc)
        tampered = os.path.join(tmp, "tampered.zsb")
        t = bytearray(data)
        idx = section(data, 7)[0]   # the source text: the loader accepts it, the signature does not
        t[idx] ^= 0x20
        reseal(t)
        open(tampered, "wb").write(t)
        shutil.copy(served + ".sig", tampered + ".sig")
        z, rc = start("tampered", tampered, "k1")
        check(rc == 1 and "signature" in z.output(), "a tampered blob was served: %r %s" % (rc, z.output()))

        # the signed one serves, and a tampered one at reload is refused
        z = Zsrt(zsrt, ["--workers", "1", "--verify-key", keys["k1"][1], served], port, tmp, name="signed")
        check(http_get(port)[1] == b"signed", "the signed blob did not serve")
        shutil.copy(tampered, served)   # the old .sig stays beside it
        z.signal(1)
        check(z.wait_log(lambda o: o.get("msg") == "request error" and "signature" in o.get("error", ""), 5),
              "a tampered blob at reload was not refused:\n" + z.output())
        time.sleep(0.2)
        check(http_get(port)[1] == b"signed", "the refused reload replaced the signed blob")
        check(z.stop() == 0, "zsrt did not stop cleanly")
    print("blob integrity: zsc verify, zsc sign, zsrt --verify-key at start and reload: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
