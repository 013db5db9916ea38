#!/usr/bin/env bash
# Does a better-trained teacher make better soft targets on unseen voices? After a run.sh
# run (stages 0-8), continue the teacher's training from its last epoch to --epochs epochs
# (a copy in exp/teacher_e<N>; the original stays), decode it, extract its soft targets,
# train the RNN-soft student on them (same student options and budget as run.sh) and decode
# it; optionally soft students at other temperatures on the original teacher. Students are
# trained with each of --seeds (the run's students of those seeds are the baselines; rows
# over several seeds are mean ± std). The teacher's and the students' shape and budget are
# the run's own, read from exp/teacher/config.json and exp/student_gmm_s<seed>/config.json;
# the teacher's alignment dir (e.g. exp/tri3_ali) is the run's too, and every network is
# decoded with that GMM system's graph. Writes --out (the table and WER per held-out voice)
# with make_results.sh and both teachers' learning curves to plots/teacher_study_curves.png.
#   studies/teacher_study.sh --epochs 8 --temperatures "2 5"
#   studies/teacher_study.sh --epochs 10 --seeds "1 2 3" --out studies/STUDY_teacher_3seeds.md
# shellcheck source-path=SCRIPTDIR/..  # sourced files are named relative to the recipe dir
set -euo pipefail

# Begin configuration section.
epochs=8
nj=2
seeds=1             # student seeds; the run's students of each are the baselines
out=studies/STUDY_teacher.md
decode_beam=11
max_active=7000     # the decoder's; a barely trained network's flat scores keep this many
lattices=true       # false: best-path decoding (run.sh does that at --size tiny)
temperatures=       # e.g. "2 5": also soft students of the original teacher at these T
# End configuration section.

. ./cmd.sh
. ./path.sh
. steps_kd/parse_options.sh

seed=${seeds%% *}
. studies/study_common.sh
study_require exp/teacher/final.pt exp/teacher_targets/targets.scp
study_require_students
teacher_opts=$(python -m pykaldi_distill.bin.nnet_options --with-seed exp/teacher)
echo "$0: teacher options: $teacher_opts; student options: $student_opts; alignments: $gmm_ali; data: $train_data"

long=exp/teacher_e$epochs
if [ ! -f "$long/final.pt" ] || [ "$long/final.pt" -ot exp/teacher/final.pt ]; then
  rm -rf "$long"
  mkdir -p "$long"
  # The epoch checkpoints, history and config: train_teacher.sh resumes after the last one.
  cp -r exp/teacher/. "$long/"
  rm -rf "$long"/final.pt "$long"/decode_* "$long"/log
fi
# shellcheck disable=SC2086  # option strings are meant to split; the last --max-epochs wins
steps_kd/train_teacher.sh --cmd "$train_cmd" $teacher_opts --max-epochs "$epochs" \
  "$train_data" data/lang "$gmm_ali" "$long"
decode_nnet "$long"
steps_kd/make_soft_targets.sh --nj "$nj" --cmd "$train_cmd" --topk 20 \
  "$train_data" "$long" "${long}_targets"
for seed in $seeds; do
  student "student_soft_e${epochs}_s$seed" "$train_data" "${long}_targets" --soft-topk 20
done

rows=("${gmm#exp/} GMM=$gmm/decode_test,$gmm/decode_dev"
  "BLSTM teacher, run.sh epochs=exp/teacher/decode_test,exp/teacher/decode_dev"
  "BLSTM teacher, $epochs epochs=$long/decode_test,$long/decode_dev"
  "DNN student, GMM hard=$(runs_of student_gmm)"
  "DNN student, RNN soft T=1 (run.sh teacher)=$(runs_of student_soft)"
  "DNN student, RNN soft T=1 ($epochs-epoch teacher)=$(runs_of "student_soft_e$epochs")")
for t in $temperatures; do
  for seed in $seeds; do
    student "student_soft_t${t}_s$seed" "$train_data" exp/teacher_targets --soft-topk 20 \
      --temperature "$t"
  done
  rows+=("DNN student, RNN soft T=$t (run.sh teacher)=$(runs_of "student_soft_t$t")")
done

steps_kd/make_results.sh --title "teacher study: teacher epochs (student seeds: $seeds), dev/test = held-out voices" \
  --baseline "DNN student, GMM hard" --test-data data/test --dev-data data/dev \
  "$out" "${rows[@]}"
python -m pykaldi_distill.bin.plot_learning_curves plots/teacher_study_curves.png \
  "teacher=exp/teacher" "teacher_e$epochs=$long"
cat "$out"
