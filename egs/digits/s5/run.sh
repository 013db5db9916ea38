#!/usr/bin/env bash
# Connected digits, synthetic TTS voices (held-out voices in test): the whole
# RNN -> DNN distillation path of Chan, Ke & Lane (2015) at toy size.
#   mono GMM-HMM -> alignments -> BLSTM teacher -> soft targets -> DNN students -> RESULTS.md
set -euo pipefail

# Begin configuration section.
stage=0
size=small          # corpus size: tiny (CI) | small | demo
nj=2
seed=1
teacher_epochs=12
student_epochs=20
# Model sizes for this small task (the paper's are larger; see conf/ of bigger recipes).
teacher_opts="--num-layers 2 --hidden 192 --dnn-dim 256 --dropout 0.1"
student_opts="--num-layers 3 --hidden 256 --context 5"
# End configuration section.

. ./cmd.sh
. ./path.sh
. steps_kd/parse_options.sh
# shellcheck disable=SC2154  # train_cmd/decode_cmd come from cmd.sh
train_cmd=${train_cmd:-run.pl}
decode_cmd=${decode_cmd:-run.pl}

corpus=corpus
if [ "$stage" -le 0 ]; then
  echo "== stage 0: synthesise the digits corpus ($size) and its data dirs"
  local/prepare_data.sh --size "$size" --seed "$seed" --nj "$nj" "$corpus"
  for x in train test; do
    rm -rf "data/$x"
    mkdir -p data
    cp -r "$corpus/data/$x" "data/$x"
  done
fi

if [ "$stage" -le 1 ]; then
  echo "== stage 1: dictionary, lang dir, bigram LM over the training transcripts"
  steps_kd/prepare_dict.sh data/train/text data/local/dict
  steps_kd/prepare_lang.sh data/local/dict "<UNK>" data/local/lang_tmp data/lang
  steps_kd/train_lm.sh --order 2 data/train/text data/local/lm/lm.arpa
  steps_kd/format_lm.sh data/lang data/local/lm/lm.arpa data/lang_test
fi

if [ "$stage" -le 2 ]; then
  echo "== stage 2: MFCC (GMM) and fbank (neural nets) features with per-speaker CMVN"
  for x in train test; do
    steps_kd/copy_data_dir.sh "data/$x" "data/${x}_fbank"
    steps_kd/make_feats.sh --nj "$nj" --cmd "$train_cmd" --feat-type mfcc \
      "data/$x" "exp/make_mfcc/$x" mfcc
    steps_kd/compute_cmvn_stats.sh "data/$x" "exp/make_mfcc/$x" mfcc
    steps_kd/make_feats.sh --nj "$nj" --cmd "$train_cmd" --feat-type fbank \
      "data/${x}_fbank" "exp/make_fbank/$x" fbank
    steps_kd/compute_cmvn_stats.sh "data/${x}_fbank" "exp/make_fbank/$x" fbank
  done
fi

if [ "$stage" -le 3 ]; then
  echo "== stage 3: monophone GMM-HMM, graph, decode, training alignments"
  steps_kd/train_mono.sh --cmd "$train_cmd" data/train data/lang exp/mono
  steps_kd/mkgraph.sh data/lang_test exp/mono exp/mono/graph
  steps_kd/decode.sh --nj "$nj" --cmd "$decode_cmd" exp/mono/graph data/test exp/mono/decode_test
  steps_kd/align_si.sh --nj "$nj" --cmd "$train_cmd" data/train data/lang exp/mono exp/mono_ali
fi

if [ "$stage" -le 4 ]; then
  echo "== stage 4: BLSTM teacher on the GMM alignments"
  # shellcheck disable=SC2086  # option strings are meant to split
  steps_kd/train_teacher.sh --cmd "$train_cmd" --max-epochs "$teacher_epochs" --seed "$seed" \
    $teacher_opts \
    data/train_fbank data/lang exp/mono_ali exp/teacher
  steps_kd/decode.sh --nj "$nj" --cmd "$decode_cmd" exp/mono/graph data/test_fbank \
    exp/teacher/decode_test
fi

if [ "$stage" -le 5 ]; then
  echo "== stage 5: soft alignments (teacher posteriors) for the training and test sets"
  steps_kd/make_soft_targets.sh --nj "$nj" --cmd "$train_cmd" --topk 20 \
    data/train_fbank exp/teacher exp/teacher_targets
  # Test-set posteriors are for inspection only; nothing trains on them.
  steps_kd/make_soft_targets.sh --nj "$nj" --cmd "$train_cmd" \
    data/test_fbank exp/teacher exp/teacher_targets_test
fi

if [ "$stage" -le 6 ]; then
  echo "== stage 6: DNN students on GMM alignments and on the teacher's soft targets"
  # shellcheck disable=SC2086  # option strings are meant to split
  steps_kd/train_student.sh --cmd "$train_cmd" --max-epochs "$student_epochs" --seed "$seed" \
    $student_opts data/train_fbank data/lang exp/mono_ali exp/student_gmm
  # shellcheck disable=SC2086
  steps_kd/train_student.sh --cmd "$train_cmd" --max-epochs "$student_epochs" --seed "$seed" \
    $student_opts data/train_fbank data/lang exp/teacher_targets exp/student_soft
  for x in student_gmm student_soft; do
    steps_kd/decode.sh --nj "$nj" --cmd "$decode_cmd" exp/mono/graph data/test_fbank \
      "exp/$x/decode_test"
  done
fi

# The demo run's results are the committed RESULTS.md; other sizes write their own file.
results=RESULTS.md
if [ "$size" != demo ]; then results=RESULTS_$size.md; fi
if [ "$stage" -le 7 ]; then
  echo "== stage 7: $results"
  steps_kd/make_results.sh --title "digits ($size), test = held-out voices" \
    --baseline "DNN student, GMM alignments" --test-data data/test "$results" \
    "mono GMM=exp/mono/decode_test" \
    "BLSTM teacher=exp/teacher/decode_test" \
    "DNN student, GMM alignments=exp/student_gmm/decode_test" \
    "DNN student, teacher soft targets=exp/student_soft/decode_test"
  cat "$results"
fi
