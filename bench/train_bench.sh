#!/usr/bin/env bash
# Training throughput: recad's engine against the PyTorch reference program, same invocation.
#   bench/train_bench.sh [ROUNDS]      (default 3 rounds; THREADS=2 by default)
# Configuration: the reference one of shared/bench/torch_train_bench.py
# (V=4096 D=256 L=6 H=4 FF=704 T=512 B=8). The two programs alternate ROUNDS times so that
# load from other processes on a shared machine hits both alike; the medians are compared.
# Prints both tokens/s, the ratio and our achieved GFLOP/s (matrix-product FLOPs of the step).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
export THREADS=${THREADS:-2}
SHARED=${RECAD_SHARED:-../shared}
ARGS="4096 256 6 4 704 512 8"
make -s bench >/dev/null
ours=() theirs=() gflops=()
for r in $(seq "$ROUNDS"); do
  line=$(build/bench/bench_train $ARGS)
  echo "recad  : $line"
  ours+=("$(sed -n 's/.*tokens_per_s=\([0-9.]*\).*/\1/p' <<<"$line")")
  gflops+=("$(sed -n 's/.*gflops=\([0-9.]*\).*/\1/p' <<<"$line")")
  line=$(/usr/bin/python3 "$SHARED/bench/torch_train_bench.py" $ARGS)
  echo "pytorch: $line"
  theirs+=("$(sed -n 's/.*tokens_per_s=\([0-9.]*\).*/\1/p' <<<"$line")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
mo=$(median "${ours[@]}") mt=$(median "${theirs[@]}") mg=$(median "${gflops[@]}")
echo "threads=$THREADS rounds=$ROUNDS load=$(cut -d' ' -f1-3 /proc/loadavg)"
echo "recad tokens/s (median)   : $mo  (${mg} GFLOP/s)"
echo "pytorch tokens/s (median) : $mt"
awk -v a="$mo" -v b="$mt" 'BEGIN { printf "ratio recad/pytorch       : %.2fx (of the medians)\n", a / b }'
ratios=()
for i in "${!ours[@]}"; do ratios+=("$(awk -v a="${ours[$i]}" -v b="${theirs[$i]}" 'BEGIN { printf "%.2f", a / b }')"); done
echo "ratio per round           : ${ratios[*]} (median $(median "${ratios[@]}")x)"
