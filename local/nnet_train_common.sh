# shellcheck shell=bash
# shellcheck disable=SC2154  # data, lang, targets, dir, cmd, train_opts: set by the caller
# Shared by train_teacher.sh and train_student.sh: checks the inputs of a hybrid model
# training run and runs pykaldi_distill.bin.train_nnet under $cmd. Expects: cmd, data,
# lang, targets, dir, and the array train_opts.

check_nnet_inputs() {
  require "$data/feats.scp" "$data/cmvn.scp" "$lang/phones.txt" "$targets/final.mdl" \
    "$targets/tree"
  if [ ! -f "$targets/targets.scp" ] && ! ls "$targets"/ali.*.gz >/dev/null 2>&1; then
    echo "$0: ERROR: $targets has neither targets.scp (soft targets) nor ali.*.gz (alignments);" \
      "run the alignment or make_soft_targets stage first" >&2
    exit 1
  fi
}

run_nnet_training() {
  if [ -f "$dir/final.pt" ] && [ "$dir/final.pt" -nt "$targets/final.mdl" ]; then
    echo "$0: $dir/final.pt exists; not retraining (delete it to redo)"
    return 0
  fi
  mkdir -p "$dir/log"
  $cmd "$dir/log/train.log" \
    "$pkd_python" -m pykaldi_distill.bin.train_nnet "${train_opts[@]}" "$data" "$targets" "$dir"
  grep -E "^best epoch|parameters" "$dir/log/train.log" || true
}
