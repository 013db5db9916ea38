# Sourced by recipes (run.sh): decoding and training the networks of the distillation
# experiment. The caller sources cmd.sh, path.sh and parse_options.sh and sets nj, train_cmd,
# decode_cmd, decode_beam, max_active, nnet_lattices, nnet_feats (the networks' input:
# data/<set>_<nnet_feats>), gmm_best (whose graph decodes them), student_epochs, student_opts
# and seeds.
# shellcheck shell=bash disable=SC2154  # the caller sets these variables

decode_nnet() {  # decode_nnet <exp-dir> [<feats>]: hybrid decoding of dev and test with the
                 # best GMM's HCLG, on the networks' input features (default --nnet-feats)
  local feats=${2:-$nnet_feats}
  for x in dev test; do
    steps_kd/decode.sh --nj "$nj" --cmd "$decode_cmd" --beam "$decode_beam" \
      --max-active "$max_active" --lattices "$nnet_lattices" "$gmm_best/graph" \
      "data/${x}_$feats" "$1/decode_$x"
  done
}

student_on() {  # student_on <feats> <name> <targets-or-ali-dir> [train_student.sh options]
  local feats=$1 name=$2 targets=$3
  shift 3
  # shellcheck disable=SC2086  # option strings are meant to split
  steps_kd/train_student.sh --cmd "$train_cmd" --max-epochs "$student_epochs" $student_opts \
    "$@" "data/train_$feats" data/lang "$targets" "exp/$name"
  decode_nnet "exp/$name" "$feats"
}

student() {  # student <name> <targets-or-ali-dir> [options]: train on --nnet-feats, decode
  student_on "$nnet_feats" "$@"
}

runs_of() {  # runs_of <student-name>: the ';'-separated test,dev decode dirs of its seeds
  local out="" s
  for s in $seeds; do
    out+="${out:+;}exp/${1}_s$s/decode_test,exp/${1}_s$s/decode_dev"
  done
  echo "$out"
}

teacher_and_targets() {  # teacher_and_targets <ali-dir>: BLSTM teacher on <ali-dir>
  # (caller's teacher_opts, teacher_epochs, seed), decoded; its top-20 soft alignments
  # (exp/teacher_targets, post.scp only) and Viterbi hard alignments (exp/teacher_ali)
  # shellcheck disable=SC2086  # option strings are meant to split
  steps_kd/train_teacher.sh --cmd "$train_cmd" --max-epochs "$teacher_epochs" --seed "$seed" \
    $teacher_opts "data/train_$nnet_feats" data/lang "$1" exp/teacher
  decode_nnet exp/teacher
  steps_kd/make_soft_targets.sh --nj "$nj" --cmd "$train_cmd" --dense false --topk 20 \
    "data/train_$nnet_feats" exp/teacher exp/teacher_targets
  steps_kd/align_nnet.sh --nj "$nj" --cmd "$train_cmd" --mode viterbi \
    "data/train_$nnet_feats" data/lang exp/teacher exp/teacher_ali
}

three_students() {  # three_students <gmm-ali-dir>: for each of the caller's seeds, the same
  # DNN on GMM hard, RNN hard and RNN soft (top-20, T=1) targets, decoded
  local s
  for s in $seeds; do
    student "student_gmm_s$s" "$1" --seed "$s"
    student "student_rnnhard_s$s" exp/teacher_ali --seed "$s"
    student "student_soft_s$s" exp/teacher_targets --seed "$s" --soft-topk 20
  done
}

# The teacher's and the three students' rows, for make_results.sh.
distill_systems() {
  printf '%s\n' "BLSTM teacher=exp/teacher/decode_test,exp/teacher/decode_dev" \
    "DNN student, GMM hard=$(runs_of student_gmm)" \
    "DNN student, RNN hard=$(runs_of student_rnnhard)" \
    "DNN student, RNN soft T=1=$(runs_of student_soft)"
}
