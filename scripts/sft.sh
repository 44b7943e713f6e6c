#!/usr/bin/env bash
# sft.sh [RECIPE] [WORK_DIR] - the shipped model from scratch: dataset, tokenizer, supervised
# training, evaluation; every stage resumes (rerun the script after an interruption).
#   RECIPE    configs/sft_recipe.conf (default): data volume, model size, training settings
#   WORK_DIR  where the dataset, tokenizer and run go (default work/sft)
# At the end the trained model is copied to models/sft and models/default (config, weights,
# tokenizer.json) and the evaluation report is written to docs/eval/README.md (docs/sft.md).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/model_lib.sh
recipe=${1:-configs/sft_recipe.conf}
work=${2:-work/sft}
# shellcheck source=/dev/null
source "$recipe"
scripts/setup.sh
make -j"$(nproc)" all >/dev/null
mkdir -p "$work"
t0=$(date +%s)
stamp() { echo "sft: $1 ($(( $(date +%s) - t0 )) s)"; }

if [ ! -s "$work/data/train.jsonl" ]; then
  real=()
  for d in $REAL_TRAIN; do real+=(--real "$d"); done
  build/recad data build --parts "$PARTS" --seed "$DATA_SEED" "${real[@]}" -o "$work/data"
fi
[ -s "$work/data/real_test.jsonl" ] || build/recad data real "$REAL_TEST" -o "$work/data" --name real_test
stamp "dataset ready"
[ -s "$work/tokenizer.json" ] ||
  build/recad tokenizer train --vocab "$VOCAB" --field prompt --field answer -o "$work/tokenizer.json" "$work/data/train.jsonl"
stamp "tokenizer ready"
build/recad train --config "$MODEL_CONFIG" --tokenizer "$work/tokenizer.json" --data "$work/data/train.jsonl" \
  --val "$work/data/val.jsonl" --val-gen "$VAL_GEN" --eval-every "$EVAL_EVERY" --out "$work/run" \
  --steps "$STEPS" --batch "$BATCH" --seq "$SEQ" --lr "$LR" --lr-min "$LR_MIN" --warmup "$WARMUP" \
  --weight-decay "$WEIGHT_DECAY" --seed "$SEED" --ckpt-every "$CKPT_EVERY" --max-minutes "$MAX_MINUTES" --resume
stamp "training stage 1 done"
src=$(last_ckpt "$work/run")
if [ "${STAGE2_STEPS:-0}" -gt 0 ]; then
  build/recad train --init "$src" --tokenizer "$work/tokenizer.json" --data "$work/data/train.jsonl" \
    --val "$work/data/val.jsonl" --val-gen "$VAL_GEN" --eval-every "$STAGE2_EVAL_EVERY" --out "$work/run2" \
    --steps "$STAGE2_STEPS" --batch "$BATCH" --seq "$SEQ" --lr "$STAGE2_LR" --lr-min "$STAGE2_LR_MIN" \
    --warmup "$WARMUP" --weight-decay "$WEIGHT_DECAY" --seed "$STAGE2_SEED" --ckpt-every "$CKPT_EVERY" \
    --max-minutes "$STAGE2_MAX_MINUTES" --resume
  stamp "training stage 2 done"
  src=$(last_ckpt "$work/run2")
fi
if [ "${STAGE3_STEPS:-0}" -gt 0 ]; then
  build/recad train --init "$src" --context "$STAGE3_CONTEXT" --tokenizer "$work/tokenizer.json" \
    --data "$work/data/train.jsonl" --val "$work/data/val.jsonl" --val-gen "$VAL_GEN" \
    --val-max-new "$STAGE3_VAL_MAX_NEW" --eval-every "$STAGE2_EVAL_EVERY" --out "$work/run3" \
    --steps "$STAGE3_STEPS" --batch "$BATCH" --seq "$STAGE3_SEQ" --lr "$STAGE3_LR" --lr-min "$STAGE3_LR_MIN" \
    --warmup "$STAGE3_WARMUP" --weight-decay "$WEIGHT_DECAY" --seed "$STAGE3_SEED" --ckpt-every "$CKPT_EVERY" \
    --max-minutes "$STAGE3_MAX_MINUTES" --resume
  stamp "training stage 3 done"
  src=$(last_ckpt "$work/run3")
fi
# models/sft: the SFT model; models/default: a copy of it (scripts/rl.sh replaces the default with
# the full RL model when that one is better)
install_model "$src" models/sft
install_model "$src" models/default
stamp "model copied to models/sft and models/default"
scripts/eval_report.sh models/sft "$work"
stamp "evaluation written"
