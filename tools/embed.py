#!/usr/bin/env python3
"""Turns a file into a C source defining `const unsigned char NAME[]` and `NAME_len`,
so zsc carries its stdlib-bpf object and ABI prelude inside the binary."""
import sys

src, out, name = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(src, "rb").read()
with open(out, "w") as f:
    f.write(f"/* generated from {src.split('/')[-1]} */\n#include <stddef.h>\n")
    f.write(f"const unsigned char {name}[] = {{\n")
    for i in range(0, len(data), 16):
        f.write("  " + ", ".join(str(b) for b in data[i:i + 16]) + ",\n")
    f.write("  0\n};\n")
    f.write(f"const size_t {name}_len = {len(data)};\n")
