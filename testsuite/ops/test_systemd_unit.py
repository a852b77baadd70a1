#!/usr/bin/env python3
"""The systemd units in tools/systemd pass `systemd-analyze verify` (with
ExecStart pointed at the zsrt just built), and keep the settings zsrt relies
on: Type=notify, ExecReload sending SIGHUP, no MemoryDenyWriteExecute=yes.
Skipped (77) without systemd-analyze.

Usage: test_systemd_unit.py UNIT_DIR ZSRT"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from opslib import check


def main():
    units, zsrt = sys.argv[1], os.path.abspath(sys.argv[2])
    if not shutil.which("systemd-analyze"):
        print("skip: no systemd-analyze")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        service = open(os.path.join(units, "zsrt.service")).read()
        check("Type=notify" in service and "ExecReload=/bin/kill -HUP $MAINPID" in service,
              "zsrt.service lost Type=notify or its SIGHUP reload")
        check(not re.search(r"^MemoryDenyWriteExecute=yes", service, re.M),
              "MemoryDenyWriteExecute=yes would stop zsrt mapping its code")
        with open(os.path.join(tmp, "zsrt.service"), "w") as f:
            f.write(service.replace("/usr/local/bin/zsrt", zsrt))
        shutil.copy(os.path.join(units, "zsrt.socket"), tmp)
        r = subprocess.run(["systemd-analyze", "verify", os.path.join(tmp, "zsrt.service"),
                            os.path.join(tmp, "zsrt.socket")], capture_output=True, text=True, timeout=60)
        problems = [l for l in (r.stdout + r.stderr).splitlines() if "zsrt" in l]
        check(r.returncode == 0 and not problems, "systemd-analyze verify:\n" + r.stdout + r.stderr)
    print("systemd units: verified: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
