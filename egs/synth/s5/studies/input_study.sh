#!/usr/bin/env bash
# Which input should the networks have: fbank + per-speaker CMVN (the paper's) or tri3's
# speaker-adapted LDA+MLLT+fMLLR features (Kaldi nnet1's)? After a run.sh run through stage 8
# on one input, train the teacher and the GMM-hard and RNN-soft (T=1) students on the other
# (the run's shapes, budgets, alignments and seeds; the soft targets come from the teacher of
# the same input), decode them with the GMM system's graph, and write --out with both inputs'
# rows side by side. The recipe's default input is the one better on dev; test is reported,
# never used to choose.
#   studies/input_study.sh --seeds "1 2 3"
# shellcheck source-path=SCRIPTDIR/..  # sourced files are named relative to the recipe dir
set -euo pipefail

# Begin configuration section.
seeds=1             # student seeds; the run's students of each are its own input's rows
nj=2
decode_beam=11
max_active=7000     # the decoder's; a barely trained network's flat scores keep this many
lattices=true       # false: best-path decoding (run.sh does that at --size tiny)
out=studies/STUDY_input.md
# End configuration section.

. ./cmd.sh
. ./path.sh
. steps_kd/parse_options.sh
seed=${seeds%% *}
. studies/study_common.sh
. steps_kd/gmm_recipe.sh
study_require exp/teacher/final.pt exp/teacher_targets/targets.scp
study_require_students

label_of() {  # label_of <feats>: the input's name in the results
  case $1 in fbank) echo "fbank + CMVN" ;; fmllr) echo "fMLLR" ;; *) echo "$1" ;; esac
}
run_feats=$feats
case $run_feats in
  fbank) feats=fmllr ;;
  fmllr) feats=fbank ;;
  *) echo "$0: ERROR: the run's networks were trained on $train_data; expected data/train_fbank or data/train_fmllr" >&2
     exit 1 ;;
esac
if [ "$feats" = fmllr ]; then
  study_require exp/tri3/final.mdl exp/tri3_ali/trans.1 exp/tri3/decode_dev/trans.1 \
    exp/tri3/decode_test/trans.1
  make_fmllr_inputs
fi
other_data=data/train_$feats
teacher_opts=$(python -m pykaldi_distill.bin.nnet_options --with-seed exp/teacher)
echo "$0: the run's input: $run_feats; this study's: $feats; teacher options: $teacher_opts; student options: $student_opts; alignments: $gmm_ali"

teacher=exp/teacher_$feats
# shellcheck disable=SC2086  # option strings are meant to split
steps_kd/train_teacher.sh --cmd "$train_cmd" $teacher_opts "$other_data" data/lang "$gmm_ali" \
  "$teacher"
decode_nnet "$teacher"
steps_kd/make_soft_targets.sh --nj "$nj" --cmd "$train_cmd" --topk 20 \
  "$other_data" "$teacher" "${teacher}_targets"
for seed in $seeds; do
  student "student_gmm_${feats}_s$seed" "$other_data" "$gmm_ali"
  student "student_soft_${feats}_s$seed" "$other_data" "${teacher}_targets" --soft-topk 20
done

run_label=$(label_of "$run_feats")
label=$(label_of "$feats")
rows=("${gmm#exp/} GMM=$gmm/decode_test,$gmm/decode_dev"
  "BLSTM teacher, $run_label=exp/teacher/decode_test,exp/teacher/decode_dev"
  "BLSTM teacher, $label=$teacher/decode_test,$teacher/decode_dev"
  "DNN student, GMM hard, $run_label=$(runs_of student_gmm)"
  "DNN student, GMM hard, $label=$(runs_of "student_gmm_$feats")"
  "DNN student, RNN soft T=1, $run_label=$(runs_of student_soft)"
  "DNN student, RNN soft T=1, $label=$(runs_of "student_soft_$feats")")
steps_kd/make_results.sh --title "input study: fbank + CMVN vs fMLLR for teacher and students (student seeds: $seeds), dev/test = held-out speakers" \
  --baseline "DNN student, GMM hard, $run_label" --test-data data/test --dev-data data/dev \
  "$out" "${rows[@]}"
cat "$out"
