#!/usr/bin/env bash
# sft_sizes.sh [MINUTES] [STEPS] [WORK_DIR] - the size trade-off of docs/sft.md: each model config
# (configs/sft_small, _medium, _large) trained on the recipe's data for the same wall time, with
# validation at the end; results in WORK_DIR/size_<name>/metrics.csv and size_<name>.json.
# Needs the dataset and tokenizer of scripts/sft.sh in WORK_DIR (default work/sft).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-6}
steps=${2:-600}
work=${3:-work/sft}
for s in small medium large; do
  build/recad train --config "configs/sft_$s.json" --tokenizer "$work/tokenizer.json" --data "$work/data/train.jsonl" \
    --val "$work/data/val.jsonl" --val-gen 24 --val-max-new 640 --val-samples 128 --out "$work/size_$s" \
    --steps "$steps" --batch 16 --seq 640 --lr 2e-3 --lr-min 1e-4 --warmup 30 --max-minutes "$minutes" \
    --ckpt-every 0 --quiet --json > "$work/size_$s.json"
  echo "$s: $(cat "$work/size_$s.json")"
  tail -1 "$work/size_$s/metrics.csv"
done
