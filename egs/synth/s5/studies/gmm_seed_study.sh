#!/usr/bin/env bash
# Is WER(tri2) < WER(tri1) < WER(mono) on the held-out voices a property of the recipe, or
# of one training run? After run.sh stage 5, retrain mono, tri1 and tri2 with other seeds
# for their random choices (mono's equal alignment, every system's Gaussian splitting) on
# the same data, lang and settings (read back from the run's exp/*/config.json), build
# their graphs and decode dev and test as run.sh does. Writes STUDY_gmm_seeds.md: each
# system's mean +- sd over the run's own models (seed 0) and these, WER per voice, and in
# how many runs the order holds on dev and on test.
#   studies/gmm_seed_study.sh --seeds "1 2"
# shellcheck source-path=SCRIPTDIR/..  # sourced files are named relative to the recipe dir
set -euo pipefail

# Begin configuration section.
seeds="1 2"         # seeds besides the run's 0
nj=2
decode_beam=11
# End configuration section.

. ./cmd.sh
. ./path.sh
. steps_kd/parse_options.sh
. steps_kd/background.sh  # in_background / wait_background
. steps_kd/gmm_recipe.sh  # decode_sets, the GMM systems' labels and expected order
# shellcheck disable=SC2154  # train_cmd/decode_cmd come from cmd.sh
train_cmd=${train_cmd:-run.pl}
decode_cmd=${decode_cmd:-run.pl}

. steps_kd/pkd_env.sh  # require_made_by
require_made_by "./run.sh through stage 5" exp/mono/decode_dev/scoring_kaldi/best_wer \
  exp/tri1/decode_dev/scoring_kaldi/best_wer exp/tri2/decode_dev/scoring_kaldi/best_wer \
  exp/tri2/config.json
for s in $seeds; do
  if ! [[ $s =~ ^[1-9][0-9]*$ ]]; then
    echo "$0: ERROR: --seeds takes positive integers (0 is the run's own models), got '$s'" >&2
    exit 1
  fi
done

setting() {  # setting <exp-dir> <key> [default]: a value of the resolved config the trainer
  # saved (the default for a key older trainers did not save)
  python -c 'import json, sys; c = json.load(open(sys.argv[1])); print(c[sys.argv[2]] if len(sys.argv) < 4 else c.get(sys.argv[2], sys.argv[3]))' \
    "$1/config.json" "$2" "${@:3}"
}

for s in $seeds; do
  dir=exp/gmm_seeds/s$s
  steps_kd/train_mono.sh --cmd "$train_cmd" --seed "$s" --totgauss "$(setting exp/mono totgauss)" \
    data/train data/lang "$dir/mono"
  in_background "$dir/mono/log/decode_sets.log" decode_sets "$dir/mono"
  steps_kd/align_si.sh --nj "$nj" --cmd "$train_cmd" data/train data/lang "$dir/mono" \
    "$dir/mono_ali"
  steps_kd/train_deltas.sh --cmd "$train_cmd" --seed "$s" "$(setting exp/tri1 num_leaves)" \
    "$(setting exp/tri1 totgauss)" data/train data/lang "$dir/mono_ali" "$dir/tri1"
  in_background "$dir/tri1/log/decode_sets.log" decode_sets "$dir/tri1"
  steps_kd/align_si.sh --nj "$nj" --cmd "$train_cmd" data/train data/lang "$dir/tri1" \
    "$dir/tri1_ali"
  steps_kd/train_lda_mllt.sh --cmd "$train_cmd" --seed "$s" --splice "$(setting exp/tri2 splice)" \
    --dim "$(setting exp/tri2 lda_dim)" --init-transform "$(setting exp/tri2 init_transform lda)" \
    "$(setting exp/tri2 num_leaves)" \
    "$(setting exp/tri2 totgauss)" data/train data/lang "$dir/tri1_ali" "$dir/tri2"
  in_background "$dir/tri2/log/decode_sets.log" decode_sets "$dir/tri2"
done
wait_background

runs_of() {  # runs_of <system>: the run's decode dirs, then each seed's
  local out="exp/$1/decode_test,exp/$1/decode_dev" s
  for s in $seeds; do
    out+=";exp/gmm_seeds/s$s/$1/decode_test,exp/gmm_seeds/s$s/$1/decode_dev"
  done
  echo "$out"
}
steps_kd/make_results.sh --title "GMM seeds: mono, tri1, tri2 over seeds 0 (the run's) $seeds" \
  --baseline "$mono_label" --test-data data/test --dev-data data/dev \
  --order "$gmm_order" studies/STUDY_gmm_seeds.md \
  "$mono_label=$(runs_of mono)" "$tri1_label=$(runs_of tri1)" "$tri2_label=$(runs_of tri2)"
cat studies/STUDY_gmm_seeds.md
