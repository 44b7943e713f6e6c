# model_lib.sh - shell helpers of the training recipes and reports (scripts/sft.sh, rl.sh,
# sft_images.sh, eval_report.sh);
# sourced, not run.

# last_ckpt RUN_DIR: the run's last model folder: final/ when its schedule ran to the end, else
# the checkpoint named by RUN_DIR/latest (the time budget's last step)
last_ckpt() {
  if [ -s "$1/final/model.safetensors" ]; then echo "$1/final"; else echo "$1/$(cat "$1/latest")"; fi
}

# install_model SRC DST: copies a model folder's config, weights and tokenizer to DST, replacing
# it as a whole (written beside it first, then renamed)
install_model() {
  rm -rf "$2.tmp" && mkdir -p "$2.tmp"
  cp "$1/config.json" "$1/model.safetensors" "$1/tokenizer.json" "$2.tmp/"
  rm -rf "$2" && mv "$2.tmp" "$2"
}

# report_section EVAL_DIR DOC_DIR NAME REPORT: one `recad eval` report into a docs report: its
# report.json and example pictures go to DOC_DIR/NAME, its Markdown (headings one level down,
# picture links into NAME/) is appended to REPORT
report_section() {
  local src=$1 dst=$2/$3 name=$3
  rm -rf "$dst" && mkdir -p "$dst" && cp -r "$src/examples" "$dst/"
  cp "$src/report.json" "$dst/report.json"
  { echo; sed -e 's/^# /## /' -e "s#(examples/#($name/examples/#g" "$src/report.md"; } >> "$4"
}
