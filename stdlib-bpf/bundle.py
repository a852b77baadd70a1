#!/usr/bin/env python3
"""Packs headers into one blob of NUL-terminated (name, content) pairs, so zsc
can carry zs.h and the abi headers it includes and write them out for clang."""
import os
import sys

out = sys.argv[1]
with open(out, "wb") as f:
    for path in sys.argv[2:]:
        data = open(path, "rb").read()
        if b"\0" in data:
            sys.exit(f"{path}: holds a NUL byte")
        f.write(os.path.basename(path).encode() + b"\0" + data + b"\0")
