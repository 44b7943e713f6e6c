#!/usr/bin/env bash
# Metric throughput, ours against the Python reference in one invocation:
#   Chamfer distance on 8192 + 8192 surface points (trees built and both directions queried),
#   recad's k-d tree vs SciPy's cKDTree, both on one thread, on the very same clouds (the CD
#   values must agree); plus IoU_best (exact and voxel) time per pair.
# usage: bench/metrics_bench.sh [--pairs N] [--repeat R] [--data DIR] [--threads N]
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=10
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do [ "${args[$i]}" = "--repeat" ] && repeat="${args[$((i + 1))]}"; done
make -s bench >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
build/bench/bench_metrics --points-out "$tmp/pairs.bin" "$@" | tee "$tmp/ours.txt"
/usr/bin/python3 bench/scipy_cd.py "$tmp/pairs.bin" --repeat "$repeat" >"$tmp/scipy.json"
/usr/bin/python3 - "$tmp/ours.txt" "$tmp/scipy.json" <<'PY'
import json, statistics, sys
ours = open(sys.argv[1]).read().split("\n")
ref = json.load(open(sys.argv[2]))
rows = [l.split() for l in ours[1:] if l and not l.startswith(("pairs", "ours_", "iou_"))]
vals = {l.split()[0]: float(l.split()[1]) for l in ours if l.startswith("ours_")}
cd_ours = [float(r[1]) / 1000 for r in rows]
rel = max(abs(a - b) / max(abs(b), 1e-300) for a, b in zip(cd_ours, ref["cd"]))
sp = statistics.median(ref["seconds"]) * 1e3
one = vals["ours_cd_ms_median"]
print(f"scipy {ref['scipy']} cKDTree CD median: {sp:.3f} ms per pair ({len(ref['cd'])} pairs, best of each pair's runs)")
print(f"recad k-d tree CD median: {one:.3f} ms per pair")
print(f"speed-up vs scipy: {sp / one:.1f}x")
print(f"largest relative CD difference recad vs scipy: {rel:.2e}")
PY
