#!/usr/bin/env bash
# Do the soft targets' gains depend on the student's size or on how much data it has? After
# run.sh stage 8, train the GMM-hard and RNN-soft (T=1) students again with each of --seeds
# (run.sh's options and budget otherwise; the run's students of those seeds are the
# baselines) (1) with each hidden-layer width of --hidden, and (2) on --num-utts training
# utterances, evenly spaced over the training set (all voices; the teacher and its soft
# targets stay those of the whole set), and decode them with the GMM system's graph. Writes
# --out with make_results.sh (rows over several seeds are mean ± std).
#   studies/student_study.sh --hidden "128 512" --num-utts 1190
#   studies/student_study.sh --seeds "1 2 3" --num-utts 0 --out studies/STUDY_students_3seeds.md
# shellcheck source-path=SCRIPTDIR/..  # sourced files are named relative to the recipe dir
set -euo pipefail

# Begin configuration section.
seeds=1             # student seeds
nj=2
decode_beam=11
max_active=7000     # the decoder's; a barely trained network's flat scores keep this many
lattices=true       # false: best-path decoding (run.sh does that at --size tiny)
hidden=128          # hidden-layer widths to try ("" for none)
num_utts=           # training utterances of the data-size students; empty: half ("0": none)
out=studies/STUDY_students.md
# End configuration section.

. ./cmd.sh
. ./path.sh
. steps_kd/parse_options.sh
seed=${seeds%% *}
. studies/study_common.sh
study_require exp/teacher_targets/targets.scp
study_require_students

pair() {  # pair <label-suffix> <name-suffix> <data-dir> [train_student.sh options]: the
  # GMM-hard and soft students of every seed, and their rows
  local label=$1 suffix=$2 data=$3
  shift 3
  for seed in $seeds; do
    student "student_gmm${suffix}_s$seed" "$data" "$gmm_ali" "$@"
    student "student_soft${suffix}_s$seed" "$data" exp/teacher_targets --soft-topk 20 "$@"
  done
  rows+=("DNN student, GMM hard$label=$(runs_of "student_gmm$suffix")"
    "DNN student, RNN soft T=1$label=$(runs_of "student_soft$suffix")")
}
rows=()
pair "" "" "$train_data"  # the run's own students: up to date, not trained again
for h in $hidden; do
  pair ", hidden $h" "_h$h" "$train_data" --hidden "$h"
done
num_utts=${num_utts:-$(($(wc -l < "$train_data/utt2spk") / 2))}
if [ "$num_utts" != 0 ]; then
  part=data/train_n${num_utts}_$feats
  steps_kd/subset_data_dir.sh "$train_data" "$num_utts" "$part"
  pair ", $num_utts utterances" "_n$num_utts" "$part"
fi
steps_kd/make_results.sh --title "student study: student size and training data (student seeds: $seeds), dev/test = held-out voices" \
  --baseline "DNN student, GMM hard" --test-data data/test --dev-data data/dev \
  "$out" "${rows[@]}"
cat "$out"
