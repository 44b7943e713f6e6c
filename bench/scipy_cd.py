#!/usr/bin/python3
"""Reference Chamfer distance with SciPy's cKDTree (the Python tool the field uses).

Usage: scipy_cd.py PAIRS.bin [--repeat R]

PAIRS.bin holds one or more point-cloud pairs, each as: int64 na, int64 nb, then na*3 and nb*3
float64 coordinates (little-endian). For every pair it computes
    CD = mean_a min_b |a-b|^2 + mean_b min_a |a-b|^2
building both trees and querying both directions (single thread), and prints one JSON object:
{"cd": [per pair], "seconds": [per pair, best of R runs], "scipy": version}.
"""
import json
import sys
import time

import numpy as np
import scipy
from scipy.spatial import cKDTree


def read_pairs(path):
    raw = open(path, "rb").read()
    pos, pairs = 0, []
    while pos < len(raw):
        na, nb = np.frombuffer(raw, dtype="<i8", count=2, offset=pos)
        pos += 16
        a = np.frombuffer(raw, dtype="<f8", count=int(na) * 3, offset=pos).reshape(-1, 3)
        pos += int(na) * 24
        b = np.frombuffer(raw, dtype="<f8", count=int(nb) * 3, offset=pos).reshape(-1, 3)
        pos += int(nb) * 24
        pairs.append((a, b))
    return pairs


def chamfer(a, b):
    ta, tb = cKDTree(a), cKDTree(b)
    dab, _ = tb.query(a, k=1)
    dba, _ = ta.query(b, k=1)
    return float(np.mean(dab ** 2) + np.mean(dba ** 2))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 1
    cds, secs = [], []
    for a, b in read_pairs(sys.argv[1]):
        best = float("inf")
        for _ in range(repeat):
            t = time.perf_counter()
            cd = chamfer(a, b)
            best = min(best, time.perf_counter() - t)
        cds.append(cd)
        secs.append(best)
    print(json.dumps({"cd": cds, "seconds": secs, "scipy": scipy.__version__}))


if __name__ == "__main__":
    main()
