#!/usr/bin/env bash
# Training throughput: recad's engine against the PyTorch reference program and against the
# bound (a plain sgemm loop over the step's own products), same invocation.
#   bench/train_bench.sh [ROUNDS]      (default 3 rounds; THREADS=2 by default)
# Configuration: the reference one of shared/bench/torch_train_bench.py
# (V=4096 D=256 L=6 H=4 FF=704 T=512 B=8). Each round runs recad in FP32 (its steps alternate
# with the bound loop, see bench/bench_train.c), recad with BF16 products where the CPU has them,
# and PyTorch, so that load from other processes hits all alike; the medians are compared.
# Prints tokens/s, GFLOP/s (matrix-product FLOPs of the step), the percentage of the bound and the
# ratio against PyTorch per round.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
export THREADS=${THREADS:-2}
SHARED=${RECAD_SHARED:-../shared}
ARGS="4096 256 6 4 704 512 8"
make -s bench >/dev/null
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }
ours=() theirs=() gflops=() pct=() bf=() bfpct=()
for r in $(seq "$ROUNDS"); do
  line=$(build/bench/bench_train $ARGS)
  echo "recad  : $line"
  ours+=("$(field tokens_per_s "$line")") gflops+=("$(field gflops "$line")") pct+=("$(field pct_bound "$line")")
  if line=$(build/bench/bench_train --bf16 $ARGS 2>&1); then
    echo "bf16   : $line"
    bf+=("$(field tokens_per_s "$line")") bfpct+=("$(field pct_bound "$line")")
  else
    echo "bf16   : not run ($line)"
  fi
  line=$(/usr/bin/python3 "$SHARED/bench/torch_train_bench.py" $ARGS)
  echo "pytorch: $line"
  theirs+=("$(field tokens_per_s "$line")")
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
echo "% of the sgemm bound      : ${pct[*]} (median $(median "${pct[@]}")%)"
if [ ${#bf[@]} -gt 0 ]; then
  bfr=()
  for i in "${!bf[@]}"; do bfr+=("$(awk -v a="${bf[$i]}" -v b="${ours[$i]}" 'BEGIN { printf "%.2f", a / b }')"); done
  echo "bf16 tokens/s (median)    : $(median "${bf[@]}"); bf16/fp32 per round ${bfr[*]} (median $(median "${bfr[@]}")x);" \
       "% of the FP32 bound ${bfpct[*]} (median $(median "${bfpct[@]}")%)"
fi
