#!/usr/bin/env bash
# Do the soft targets' gains depend on the student's size or on how much data it has? After
# run.sh stage 8, train the seed-<seed> GMM-hard and RNN-soft (T=1) students again (run.sh's
# options and budget otherwise) (1) with each hidden-layer width of --hidden, and (2) on
# --num-utts training utterances, evenly spaced over the training set (all voices; the
# teacher and its soft targets stay those of the whole set), and decode them with the GMM
# system's graph. Writes STUDY_students.md with make_results.sh.
#   local/student_study.sh --seed 1 --hidden "128 512" --num-utts 1190
# shellcheck source-path=SCRIPTDIR/..  # sourced files are named relative to the recipe dir
set -euo pipefail

# Begin configuration section.
seed=1              # the students' seed
nj=2
decode_beam=11
lattices=true       # false: best-path decoding (run.sh does that at --size tiny)
hidden=128          # hidden-layer widths to try ("" for none)
num_utts=           # training utterances of the data-size students; empty: half ("0": none)
# End configuration section.

. ./cmd.sh
. ./path.sh
. steps_kd/parse_options.sh
. local/study_common.sh
study_require exp/teacher_targets/targets.scp \
  "exp/student_gmm_s$seed/decode_test/scoring_kaldi/best_wer" \
  "exp/student_soft_s$seed/decode_test/scoring_kaldi/best_wer"

pair_rows() {  # pair_rows <label-suffix> <name-suffix>: the GMM-hard and soft rows
  rows+=("DNN student, GMM hard$1=exp/student_gmm$2_s$seed/decode_test,exp/student_gmm$2_s$seed/decode_dev"
    "DNN student, RNN soft T=1$1=exp/student_soft$2_s$seed/decode_test,exp/student_soft$2_s$seed/decode_dev")
}
rows=()
pair_rows "" ""
for h in $hidden; do
  student "student_gmm_h${h}_s$seed" "$train_data" "$gmm_ali" --hidden "$h"
  student "student_soft_h${h}_s$seed" "$train_data" exp/teacher_targets --soft-topk 20 --hidden "$h"
  pair_rows ", hidden $h" "_h$h"
done
num_utts=${num_utts:-$(($(wc -l < "$train_data/utt2spk") / 2))}
if [ "$num_utts" != 0 ]; then
  part=data/train_n${num_utts}_$feats
  steps_kd/subset_data_dir.sh "$train_data" "$num_utts" "$part"
  student "student_gmm_n${num_utts}_s$seed" "$part" "$gmm_ali"
  student "student_soft_n${num_utts}_s$seed" "$part" exp/teacher_targets --soft-topk 20
  pair_rows ", $num_utts utterances" "_n$num_utts"
fi
steps_kd/make_results.sh --title "student study: student size and training data (seed $seed), dev/test = held-out voices" \
  --baseline "DNN student, GMM hard" --test-data data/test --dev-data data/dev \
  STUDY_students.md "${rows[@]}"
cat STUDY_students.md
