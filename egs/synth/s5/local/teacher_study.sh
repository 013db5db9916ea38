#!/usr/bin/env bash
# Does a better-trained teacher make better soft targets on unseen voices? After a run.sh
# run (stages 0-8), continue the teacher's training from its last epoch to --epochs epochs
# (a copy in exp/teacher_e<N>; the original stays), decode it, extract its soft targets,
# train the RNN-soft student on them (same student options and budget as run.sh) and decode
# it; optionally soft students at other temperatures on the original teacher. The teacher's
# and the students' shape and budget are the run's own, read from exp/teacher/config.json
# and exp/student_gmm_s<seed>/config.json; the teacher's alignment dir (e.g. exp/tri3_ali)
# is the run's too, and every network is decoded with that GMM system's graph. Writes STUDY_teacher.md with make_results.sh
# (the table and WER per held-out voice) and both teachers' learning curves to
# plots/teacher_study_curves.png.
#   local/teacher_study.sh --epochs 8 --temperatures "2 5"
# shellcheck source-path=SCRIPTDIR/..  # sourced files are named relative to the recipe dir
set -euo pipefail

# Begin configuration section.
epochs=8
nj=2
seed=1              # the run's student seed whose GMM-hard student is the baseline
decode_beam=11
lattices=true       # false: best-path decoding (run.sh does that at --size tiny)
temperatures=       # e.g. "2 5": also soft students of the original teacher at these T
# End configuration section.

. ./cmd.sh
. ./path.sh
. steps_kd/parse_options.sh
# shellcheck disable=SC2154  # train_cmd/decode_cmd come from cmd.sh
train_cmd=${train_cmd:-run.pl}
decode_cmd=${decode_cmd:-run.pl}

for f in exp/teacher/final.pt exp/teacher/config.json exp/teacher_targets/targets.scp \
  exp/student_gmm_s"$seed"/config.json exp/student_gmm_s"$seed"/decode_test/scoring_kaldi/best_wer; do
  if [ ! -f "$f" ]; then
    echo "$0: ERROR: $f is missing; run ./run.sh through stage 8 (with --seed $seed) first" >&2
    exit 1
  fi
done
teacher_opts=$(python -m pykaldi_distill.bin.nnet_options --with-seed exp/teacher)
student_opts=$(python -m pykaldi_distill.bin.nnet_options "exp/student_gmm_s$seed")
gmm_ali=$(python -m pykaldi_distill.bin.nnet_options --targets exp/teacher)
gmm=${gmm_ali%_ali}  # Kaldi's naming: exp/tri3_ali holds exp/tri3's alignments
train_data=$(python -m pykaldi_distill.bin.nnet_options --data exp/teacher)
feats=${train_data#data/train_}  # the networks' input: data/{train,dev,test}_<feats>
if [ ! -f "$gmm/graph/HCLG.fst" ]; then
  echo "$0: ERROR: $gmm/graph/HCLG.fst is missing (the graph of $gmm_ali's system)" >&2
  exit 1
fi
echo "$0: teacher options: $teacher_opts; student options: $student_opts; alignments: $gmm_ali; data: $train_data"

decode_nnet() {  # decode_nnet <exp-dir>: as run.sh decodes every network
  local x
  for x in dev test; do
    steps_kd/decode.sh --nj "$nj" --cmd "$decode_cmd" --beam "$decode_beam" --lattices "$lattices" \
      "$gmm/graph" "data/${x}_$feats" "$1/decode_$x"
  done
}

student() {  # student <name> <targets-dir> [train_student.sh options]: as run.sh's
  local name=$1 targets=$2
  shift 2
  # shellcheck disable=SC2086  # option strings are meant to split
  steps_kd/train_student.sh --cmd "$train_cmd" $student_opts --seed "$seed" --soft-topk 20 "$@" \
    "$train_data" data/lang "$targets" "exp/$name"
  decode_nnet "exp/$name"
}

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
student "student_soft_e${epochs}_s$seed" "${long}_targets"

rows=("${gmm#exp/} GMM=$gmm/decode_test,$gmm/decode_dev"
  "BLSTM teacher, run.sh epochs=exp/teacher/decode_test,exp/teacher/decode_dev"
  "BLSTM teacher, $epochs epochs=$long/decode_test,$long/decode_dev"
  "DNN student, GMM hard=exp/student_gmm_s$seed/decode_test,exp/student_gmm_s$seed/decode_dev"
  "DNN student, RNN soft T=1 (run.sh teacher)=exp/student_soft_s$seed/decode_test,exp/student_soft_s$seed/decode_dev"
  "DNN student, RNN soft T=1 ($epochs-epoch teacher)=exp/student_soft_e${epochs}_s$seed/decode_test,exp/student_soft_e${epochs}_s$seed/decode_dev")
for t in $temperatures; do
  student "student_soft_t${t}_s$seed" exp/teacher_targets --temperature "$t"
  rows+=("DNN student, RNN soft T=$t (run.sh teacher)=exp/student_soft_t${t}_s$seed/decode_test,exp/student_soft_t${t}_s$seed/decode_dev")
done

steps_kd/make_results.sh --title "teacher study: teacher epochs, dev/test = held-out voices" \
  --baseline "DNN student, GMM hard" --test-data data/test --dev-data data/dev \
  STUDY_teacher.md "${rows[@]}"
python -m pykaldi_distill.bin.plot_learning_curves plots/teacher_study_curves.png \
  "teacher=exp/teacher" "teacher_e$epochs=$long"
cat STUDY_teacher.md
