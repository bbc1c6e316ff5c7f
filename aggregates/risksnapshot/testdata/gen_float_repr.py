#!/usr/bin/env python3
"""Generate float_repr.json: binary64 values (as IEEE-754 bit patterns) with
Python's repr of each, the number form of the snapshot hash (risk-hub spec
§2.11). Computed with Python itself, independently of the Go code under test.
Regenerate with python3 gen_float_repr.py; the seed keeps the file stable."""

import json
import os
import random
import struct

rng = random.Random(20250101)
values = [0.0, -0.0, 1.0, -1.0, 0.1, 0.2, 0.30000000000000004, 1e-4, 1e-5, 9.999999999999999e-05,
          1e15, 1e16, 9999999999999998.0, 1234567890123456.0, 12345678901234567.0, 5e-324, 2.2250738585072014e-308,
          1.7976931348623157e308, 123.456, 1e22, 1e23, 0.001, 100.0, 2.5e-07, 4.35, 1 / 3]
for _ in range(1500):
    bits = rng.getrandbits(64)
    v = struct.unpack("<d", struct.pack("<Q", bits))[0]
    if v != v or v in (float("inf"), float("-inf")):
        continue
    values.append(v)
for _ in range(1000):
    values.append(rng.uniform(-1, 1) * 10 ** rng.randint(-8, 20))
for _ in range(300):
    values.append(float(rng.randint(-10**17, 10**17)))
out = [{"bits": "%016x" % struct.unpack("<Q", struct.pack("<d", v))[0], "repr": repr(v)} for v in values]
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "float_repr.json"), "w") as f:
    json.dump(out, f, indent=0)
    f.write("\n")
