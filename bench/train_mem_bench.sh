#!/usr/bin/env bash
# Peak memory and speed of a training step against the sequence length.
#   bench/train_mem_bench.sh [--recompute] [T ...]   (default 512 2048 4096; THREADS=2, B=8, STEPS=2)
# Configuration: the reference widths of shared/bench/torch_train_bench.py (V=4096 D=256 L=6 H=4
# FF=704), B rows of T tokens. Each T runs build/bench/bench_train --no-bound in its own process
# under /usr/bin/time -v, so the peak resident memory is that of one model, its optimiser and the
# activations of one step (forward + backward + AdamW). --recompute trains with activation
# recomputation (nn_set_recompute). Prints one table row per T.
set -euo pipefail
cd "$(dirname "$0")/.."
export THREADS=${THREADS:-2}
B=${B:-8}
STEPS=${STEPS:-2}
MODE=""
if [ "${1:-}" = --recompute ]; then MODE=--recompute; shift; fi
[ $# -gt 0 ] || set -- 512 2048 4096
[ -x /usr/bin/time ] || { echo "train_mem_bench.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
make -s bench >/dev/null
echo "threads=$THREADS B=$B steps=$STEPS recompute=$([ -n "$MODE" ] && echo 1 || echo 0) load=$(cut -d' ' -f1-3 /proc/loadavg)"
printf '| T | B | recompute | step s | tokens/s | peak RSS MB |\n|---|---|---|---|---|---|\n'
for T in "$@"; do
  log=$(mktemp)
  line=$(/usr/bin/time -v build/bench/bench_train --no-bound $MODE 4096 256 6 4 704 "$T" "$B" "$STEPS" 2>"$log")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\).*/\1/p' "$log")
  rm -f "$log"
  step=$(sed -n 's/.*step_s=\([0-9.]*\).*/\1/p' <<<"$line")
  tps=$(sed -n 's/.*tokens_per_s=\([0-9.]*\).*/\1/p' <<<"$line")
  printf '| %d | %d | %s | %s | %s | %d |\n' "$T" "$B" "$([ -n "$MODE" ] && echo on || echo off)" "$step" "$tps" "$((rss / 1024))"
done
