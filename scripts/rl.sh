#!/usr/bin/env bash
# rl.sh [RECIPE] [WORK_DIR] - reinforcement learning on top of the SFT model: the GRPO runs of the
# ablation, each evaluated like the SFT model, and the report docs/rl/README.md.
#   RECIPE    configs/rl_recipe.conf (default)
#   WORK_DIR  where scripts/sft.sh put the dataset and tokenizer (default work/sft); runs go to
#             WORK_DIR/rl/NAME, evaluations to WORK_DIR/rl/eval/NAME-SET
# Runs: full_sN (GRPO + guidance + curriculum) once per seed of SEEDS, no_curriculum, no_guidance,
# no_sft (full RL from a model of the answers alone) and size_sN (full with the bounding-box size
# term, once per seed of SIZE_SEEDS; skipped when SIZE_WEIGHT=0), each evaluated as soon as it is
# trained. Every stage skips what is done and resumes from its last checkpoint: rerun after an
# interruption. The report compares them with the SFT model and the retrieval baseline; at the
# end an RL model becomes the default when every seed of its configuration is the better one.
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

# full RL with the size term last, once per seed of SIZE_SEEDS (SIZE_WEIGHT=0 leaves it out)
sized=0
if awk -v w="$SIZE_WEIGHT" 'BEGIN { exit !(w > 0) }'; then
  sized=1
  for s in $SIZE_SEEDS; do grpo "size_s$s" --init "$SFT_MODEL" --seed "$s" --size-weight "$SIZE_WEIGHT" "${hard[@]}"; done
fi
scripts/rl_report.sh "$recipe" "$work"
stamp "report written"
# an RL model becomes the default when every seed of its configuration beats SFT only in IR (not
# higher) and mean CD (lower) on both test sets; models/sft stays beside it
better() {
  local t
  for t in generated real; do
    jq -e -s '.[0].groups.all.ours as $a | .[1].groups.all.ours as $b | $a.ir <= $b.ir and $a.cd_mean < $b.cd_mean' \
      "$rl/eval/$1-$t/report.json" "$rl/eval/sft-$t/report.json" >/dev/null || return 1
  done
}
# the first configuration (full RL, then full RL + size term) whose every seed beats SFT only
# becomes the default, with its first seed's model
src=$SFT_MODEL
name=""
ship=1
for s in $SEEDS; do better "full_s$s" || ship=0; done
[ $ship = 1 ] && src=$rl/$first/final && name="full RL ($first)"
if [ -z "$name" ] && [ $sized = 1 ]; then
  ship=1
  for s in $SIZE_SEEDS; do better "size_s$s" || ship=0; done
  [ $ship = 1 ] && src=$rl/size_s${SIZE_SEEDS%% *}/final && name="full RL + size term (size_s${SIZE_SEEDS%% *})"
fi
install_model "$src" models/default
if [ -n "$name" ]; then
  stamp "every seed of $name beats SFT only: models/default is that RL model"
else
  stamp "no RL configuration beats SFT only with every seed on both test sets: models/default is the SFT model"
fi
