#!/usr/bin/env bash
# sft_images.sh [RECIPE] [WORK_DIR] - the image-to-CAD model: a dataset with pictures, then the
# text model continued with a new vision encoder on text and image samples mixed in every batch,
# then the image evaluation against the image retrieval baseline (and the text one, to see that
# text prompts still work). Every stage resumes (rerun the script after an interruption).
#   RECIPE    configs/sft_images.conf (default)     WORK_DIR  default work/sft_images
# The trained model goes to OUT_MODEL (default models/image: config with vision_config, weights, tokenizer.json with
# <|image_pad|>); the reports to WORK_DIR/eval_images and WORK_DIR/eval_text (docs/vision_train.md).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/model_lib.sh
recipe=${1:-configs/sft_images.conf}
work=${2:-work/sft_images}
# shellcheck source=/dev/null
source "$recipe"
scripts/setup.sh
make -j"$(nproc)" all >/dev/null
mkdir -p "$work"
t0=$(date +%s)
stamp() { echo "sft_images: $1 ($(( $(date +%s) - t0 )) s)"; }

[ -s "$INIT/model.safetensors" ] && [ -s "$INIT/tokenizer.json" ] ||
  { echo "sft_images: $INIT has no model.safetensors / tokenizer.json (run scripts/sft.sh first)" >&2; exit 3; }
if [ ! -s "$work/data/train_images.jsonl" ]; then
  build/recad data build --parts "$PARTS" --seed "$DATA_SEED" --images "$IMAGES" --image-side "$IMAGE_SIDE" \
    --val "$VAL_SHARE" --test "$TEST_SHARE" \
    -o "$work/data" --quiet
fi
stamp "dataset with pictures ready"
build/recad train --init "$INIT" --vision "$VISION_CONFIG" --tokenizer "$INIT/tokenizer.json" \
  --data "$work/data/train.jsonl" --images "$work/data/train_images.jsonl" --image-share "$IMAGE_SHARE" \
  --val "$work/data/val.jsonl" --val-images "$work/data/val_images.jsonl" --val-samples "$VAL_SAMPLES" \
  --eval-every "$EVAL_EVERY" --out "$work/run" --steps "$STEPS" --batch "$BATCH" --seq "$SEQ" --lr "$LR" \
  --lr-min "$LR_MIN" --warmup "$WARMUP" --weight-decay "$WEIGHT_DECAY" --seed "$SEED" --ckpt-every "$CKPT_EVERY" \
  --max-minutes "$MAX_MINUTES" --resume --quiet
stamp "training done"
src=$(last_ckpt "$work/run")
dst=${OUT_MODEL:-models/image}
install_model "$src" "$dst"
stamp "model copied to $dst"
build/recad eval --model "$dst" --test "$work/data/test_images.jsonl" --train "$work/data/train_images.jsonl" \
  -n "$EVAL_CANDIDATES" --limit "$EVAL_LIMIT" --title "generated test split, pictures" --no-visual --no-voxel \
  --examples 4 -o "$work/eval_images" --quiet
build/recad eval --model "$dst" --test "$work/data/test.jsonl" --train "$work/data/train.jsonl" \
  -n "$EVAL_CANDIDATES" --limit "$EVAL_LIMIT" --title "generated test split, text" --no-visual --no-voxel \
  --examples 4 -o "$work/eval_text" --quiet
stamp "evaluation written to $work/eval_images/report.md and $work/eval_text/report.md"
