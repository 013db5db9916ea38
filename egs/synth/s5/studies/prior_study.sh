#!/usr/bin/env bash
# Does the priors' estimate hold the networks back in hybrid decoding? After run.sh stage 8,
# decode the BLSTM teacher and the seed-<seed> GMM-hard and RNN-soft students again on dev
# and test (1) with priors from each network's own posteriors averaged over --max-utts
# training utterances (posterior_counts.py, as Kaldi nnet2/nnet3 adjust priors) instead of
# its training targets' frame counts (ali_train_pdf.counts, nnet1's and run.sh's), and (2)
# with the log priors scaled by each of --prior-scales (nnet-forward's --prior-scale).
# Writes STUDY_priors.md with make_results.sh; pick a setting by its dev WER, since test is
# read at each row's own dev-best LM weight and insertion penalty.
#   studies/prior_study.sh --seed 1 --prior-scales "0.5"
# shellcheck source-path=SCRIPTDIR/..  # sourced files are named relative to the recipe dir
set -euo pipefail

# Begin configuration section.
seed=1              # the students' seed
nj=2
decode_beam=11
max_active=7000     # the decoder's; priors from posteriors can flatten a barely trained
                    # network's scores, and then the search keeps this many tokens
lattices=true       # false: best-path decoding (run.sh does that at --size tiny)
max_utts=1000       # training utterances the posteriors are averaged over
prior_scales=0.5    # also decode with these prior scales ("" for none)
# End configuration section.

. ./cmd.sh
. ./path.sh
. steps_kd/parse_options.sh
. studies/study_common.sh

names=(teacher "student_gmm_s$seed" "student_soft_s$seed")
labels=("BLSTM teacher" "DNN student, GMM hard" "DNN student, RNN soft T=1")
for name in "${names[@]}"; do
  study_require "exp/$name/final.pt" "exp/$name/decode_dev/scoring_kaldi/best_wer"
done

rows=()
for i in "${!names[@]}"; do
  dir=exp/${names[$i]}
  rows+=("${labels[$i]}=$dir/decode_test,$dir/decode_dev")
  counts=$dir/posterior_train.counts
  if [ ! -s "$counts" ] || [ "$counts" -ot "$dir/final.pt" ]; then
    python -m pykaldi_distill.bin.posterior_counts --max-utts "$max_utts" "$train_data" \
      "$dir" "$counts"
  fi
  decode_nnet "$dir" _postprior --class-frame-counts "$counts"
  rows+=("${labels[$i]}, posterior priors=$dir/decode_test_postprior,$dir/decode_dev_postprior")
  for scale in $prior_scales; do
    decode_nnet "$dir" "_prior$scale" --prior-scale "$scale"
    rows+=("${labels[$i]}, prior scale $scale=$dir/decode_test_prior$scale,$dir/decode_dev_prior$scale")
  done
done
steps_kd/make_results.sh --title "prior study: how the networks' priors are estimated and scaled (seed $seed), dev/test = held-out voices" \
  --baseline "DNN student, GMM hard" --test-data data/test --dev-data data/dev \
  studies/STUDY_priors.md "${rows[@]}"
cat studies/STUDY_priors.md
