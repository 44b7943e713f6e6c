#!/usr/bin/env bash
# rl.sh [RECIPE] [WORK_DIR] - reinforcement learning on top of the SFT model: the GRPO runs of the
# ablation, each evaluated like the SFT model, and the report docs/rl/README.md.
#   RECIPE    configs/rl_recipe.conf (default)
#   WORK_DIR  where scripts/sft.sh put the dataset and tokenizer (default work/sft); runs go to
#             WORK_DIR/rl/NAME, evaluations to WORK_DIR/rl/eval/NAME-SET
# Runs: full (GRPO + guidance + curriculum) once per seed, no_curriculum, no_guidance, no_sft (full
# RL from a model of the answers alone) and size (full with the bounding-box size term; skipped
# when SIZE_WEIGHT=0), each evaluated as soon as it is trained. Every stage skips what is done
# and resumes from its last checkpoint: rerun after an interruption.
# The report compares them with the SFT model and the retrieval baseline; scripts/rl_ship.sh
# makes the full RL model the default when it is the better one.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/model_lib.sh
recipe=${1:-configs/rl_recipe.conf}
work=${2:-work/sft}
# shellcheck source=/dev/null
source "$recipe"
scripts/setup.sh
command -v jq >/dev/null || { echo "rl.sh: jq is missing (scripts/setup.sh installs it)" >&2; exit 1; }
make -j"$(nproc)" all build/bench/plot_curves >/dev/null
rl=$work/rl
mkdir -p "$rl/eval"
t0=$(date +%s)
stamp() { echo "rl: $1 ($(($(date +%s) - t0)) s)"; }
common=(--data "$work/data/train.jsonl" --limit "$LIMIT" --steps "$STEPS" --prompts "$PROMPTS" -G "$GROUP"
  --max-new "$MAX_NEW" --temperature "$TEMPERATURE" --lr "$LR" --lr-min "$LR_MIN" --hard-samples "$HARD_SAMPLES"
  --ckpt-every 50 --resume --quiet)
evaluate() { # NAME MODEL_DIR: on the generated test split and the real DeepCAD test set
  local t
  for t in "generated:$work/data/test.jsonl" "real:$work/data/real_test.jsonl"; do
    [ -s "$rl/eval/$1-${t%%:*}/report.json" ] ||
      build/recad eval --model "$2" --test "${t#*:}" --train "$work/data/train.jsonl" -n 8 \
        --limit "$EVAL_LIMIT" --no-visual --no-voxel --examples 0 -o "$rl/eval/$1-${t%%:*}" --quiet
  done
}
grpo() { # NAME [options]
  local name=$1
  shift
  [ -s "$rl/$name/final/model.safetensors" ] || build/recad train grpo --out "$rl/$name" "${common[@]}" "$@"
  stamp "$name trained"
  evaluate "$name" "$rl/$name/final"
}
evaluate sft "$SFT_MODEL"
first=""
for s in $SEEDS; do
  if [ -z "$first" ]; then
    grpo "full_s$s" --init "$SFT_MODEL" --seed "$s"
    first=full_s$s
  else
    grpo "full_s$s" --init "$SFT_MODEL" --seed "$s" --hard-from "$rl/$first/hard.json"
  fi
done
hard=(--hard-from "$rl/$first/hard.json")
grpo no_curriculum --init "$SFT_MODEL" --seed 1 --no-curriculum "${hard[@]}"
grpo no_guidance --init "$SFT_MODEL" --seed 1 --no-guidance
if [ ! -s "$rl/answers/final/model.safetensors" ]; then
  build/recad train --unconditioned --config "$ANSWERS_CONFIG" --tokenizer "$SFT_MODEL/tokenizer.json" \
    --data "$work/data/train.jsonl" --out "$rl/answers" --steps "$ANSWERS_STEPS" --batch 16 --seq 640 \
    --lr "$ANSWERS_LR" --lr-min 1e-4 --warmup 100 --seed 1 --ckpt-every 500 --resume --quiet
fi
stamp "answers-only model trained"
grpo no_sft --init "$rl/answers/final" --seed 1

# the size term last (SIZE_WEIGHT=0 leaves it out)
if awk -v w="$SIZE_WEIGHT" 'BEGIN { exit !(w > 0) }'; then
  grpo size --init "$SFT_MODEL" --seed 1 --size-weight "$SIZE_WEIGHT" "${hard[@]}"
fi
scripts/rl_report.sh "$recipe" "$work"
stamp "report written"
# the full RL model (first seed) becomes the default when every seed of full RL beats SFT only in
# IR (not higher) and mean CD (lower) on both test sets; models/sft stays beside it
better() {
  local t
  for t in generated real; do
    jq -e -s '.[0].groups.all.ours as $a | .[1].groups.all.ours as $b | $a.ir <= $b.ir and $a.cd_mean < $b.cd_mean' \
      "$rl/eval/$1-$t/report.json" "$rl/eval/sft-$t/report.json" >/dev/null || return 1
  done
}
ship=1
for s in $SEEDS; do better "full_s$s" || ship=0; done
src=$SFT_MODEL
[ $ship = 1 ] && src=$rl/$first/final
install_model "$src" models/default
if [ $ship = 1 ]; then
  stamp "every full RL seed beats SFT only: models/default is the RL model ($first)"
else
  stamp "full RL does not beat SFT only with every seed on both test sets: models/default is the SFT model"
fi
