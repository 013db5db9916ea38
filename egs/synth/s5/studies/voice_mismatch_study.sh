#!/usr/bin/env bash
# Is a system's WER on the held-out voices a property of the system or of those voices?
# After run.sh, decode every GMM system and the seed-<seed> networks on test's sentences
# read by the training voices (data/test_seen: test's 300 sentences and words, dealt out
# to the 14 training voices, with new perturbation draws), so that only the voices differ
# from test. The run's graphs decode it (their LM has no test sentence), as run.sh decodes
# test; test WER is read at each system's dev-best LM weight / insertion penalty. Writes
# STUDY_voice_mismatch.md: the table, WER per training voice, and whether mono > tri1 > tri2
# holds there. With --nnets false it needs run.sh only through stage 5; --gmm-seeds adds the
# mono/tri1/tri2 models studies/gmm_seed_study.sh trained with those seeds as further runs.
#   studies/voice_mismatch_study.sh --seed 1 [--gmm-seeds "1 2"]
# shellcheck source-path=SCRIPTDIR/..  # sourced files are named relative to the recipe dir
set -euo pipefail

# Begin configuration section.
seed=1              # the students' seed
nj=2
decode_beam=11
max_active=7000     # the decoder's; a barely trained network's flat scores keep this many
lattices=true       # the networks' decoding; false: best path (run.sh does that at --size tiny)
nnets=true          # false: the GMM systems only
text_file=          # the --text-file run.sh's corpus was made from, if any
gmm_seeds=          # seeds of studies/gmm_seed_study.sh's models (exp/gmm_seeds/s<seed>)
# End configuration section.

. ./cmd.sh
. ./path.sh
. steps_kd/parse_options.sh
. steps_kd/pkd_env.sh  # pkd, require_made_by
. steps_kd/gmm_recipe.sh  # decode_sets' labels and expected order
# shellcheck disable=SC2154  # decode_cmd/train_cmd come from cmd.sh
decode_cmd=${decode_cmd:-run.pl}
train_cmd=${train_cmd:-run.pl}

gmms=(mono tri1 tri2)
labels=("$mono_label" "$tri1_label" "$tri2_label")
if [ -f exp/tri3/final.alimdl ]; then gmms+=(tri3); labels+=("$tri3_label"); fi
for x in "${gmms[@]}"; do
  require_made_by "./run.sh through stage 5" "exp/$x/decode_dev/scoring_kaldi/best_wer"
done
for s in $gmm_seeds; do
  for x in mono tri1 tri2; do
    require_made_by "studies/gmm_seed_study.sh --seeds \"$gmm_seeds\"" \
      "exp/gmm_seeds/s$s/$x/decode_dev/scoring_kaldi/best_wer"
  done
done
if [ "$nnets" = true ]; then
  . studies/study_common.sh  # gmm (the networks' graph), feats; checks stage 8 ran
fi

# The set, with run.sh's stage 2 features.
text_opt=()
if [ -n "$text_file" ]; then text_opt=(--text-file "$text_file"); fi
pkd make_seen_voice_test --nj "$nj" "${text_opt[@]}" corpus
if ! cmp -s corpus/data/test_seen/text data/test_seen/text 2>/dev/null; then
  rm -rf data/test_seen data/test_seen_*
  cp -r corpus/data/test_seen data/test_seen
fi
if [ ! -f data/test_seen/cmvn.scp ]; then
  steps_kd/make_feats.sh --nj "$nj" --cmd "$train_cmd" --feat-type mfcc \
    data/test_seen exp/make_mfcc/test_seen mfcc
  steps_kd/compute_cmvn_stats.sh data/test_seen exp/make_mfcc/test_seen mfcc
fi

decode_gmm() {  # decode_gmm <exp-dir>: test_seen with the system's graph, as decode_sets
  local step=decode.sh
  if [ -f "$1/final.alimdl" ]; then step=decode_fmllr.sh; fi
  "steps_kd/$step" --nj "$nj" --cmd "$decode_cmd" --beam "$decode_beam" --lattices true \
    "$1/graph" data/test_seen "$1/decode_test_seen"
}

rows=()
for i in "${!gmms[@]}"; do
  x=${gmms[$i]}
  decode_gmm "exp/$x"
  runs="exp/$x/decode_test_seen,exp/$x/decode_dev"
  if [ "$x" != tri3 ]; then
    for s in $gmm_seeds; do
      decode_gmm "exp/gmm_seeds/s$s/$x"
      runs+=";exp/gmm_seeds/s$s/$x/decode_test_seen,exp/gmm_seeds/s$s/$x/decode_dev"
    done
  fi
  rows+=("${labels[$i]}=$runs")
done

if [ "$nnets" = true ]; then
  # shellcheck disable=SC2154  # feats and gmm come from study_common.sh
  nnet_data=data/test_seen_$feats
  if [ ! -f "$nnet_data/cmvn.scp" ]; then
    case $feats in
      fbank)
        steps_kd/copy_data_dir.sh data/test_seen "$nnet_data"
        steps_kd/make_feats.sh --nj "$nj" --cmd "$train_cmd" --feat-type fbank \
          "$nnet_data" exp/make_fbank/test_seen fbank ;;
      fmllr)  # tri3's features with the transforms of its first decoding pass, as run.sh
        steps_kd/make_fmllr_feats.sh --nj "$nj" --cmd "$train_cmd" \
          --transform-dir exp/tri3/decode_test_seen "$nnet_data" data/test_seen exp/tri3 \
          exp/make_fmllr/test_seen fmllr ;;
    esac
    steps_kd/compute_cmvn_stats.sh "$nnet_data" "exp/make_$feats/test_seen" "$feats"
  fi
  names=(teacher "student_gmm_s$seed" "student_rnnhard_s$seed" "student_soft_s$seed")
  net_labels=("BLSTM teacher" "DNN student, GMM hard" "DNN student, RNN hard"
    "DNN student, RNN soft T=1")
  for i in "${!names[@]}"; do
    out=exp/${names[$i]}/decode_test_seen
    steps_kd/decode.sh --nj "$nj" --cmd "$decode_cmd" --beam "$decode_beam" \
      --lattices "$lattices" "$gmm/graph" "$nnet_data" "$out"
    rows+=("${net_labels[$i]}=$out,exp/${names[$i]}/decode_dev")
  done
fi

steps_kd/make_results.sh --title "voice mismatch: test's sentences read by the training voices (data/test_seen)" \
  --baseline "$mono_label" --test-data data/test_seen --dev-data data/dev \
  --order "$gmm_order" studies/STUDY_voice_mismatch.md "${rows[@]}"
cat studies/STUDY_voice_mismatch.md
