#!/usr/bin/env bash
# The Wall Street Journal corpus, the paper's setup (Chan, Ke & Lane 2015): train on si284
# (~81 h), dev93 for every choice, eval92 read once. Needs the LDC discs (WSJ0 LDC93S6B and
# WSJ1 LDC94S13B; pass the directories holding them, as Kaldi's wsj recipe takes them):
# GMM ladder (mono -> tri1 deltas -> tri2 LDA+MLLT -> tri3 SAT with fMLLR decoding), a
# BLSTM teacher on tri3's alignments, its soft and hard alignments, and DNN students on
# each, all decoded with tri3's graph and the discs' 20k trigram pruned as Kaldi's tgpr.
# Lexicon: CMUdict (+ --lexicon); words in neither train as <UNK>.
#   ./run.sh /data/LDC93S6B /data/LDC94S13B       # the real corpus
#   ./run.sh --size tiny <wsj0> <wsj1>             # CI: a miniature corpus in the same layout
set -euo pipefail

# Begin configuration section.
stage=0
stop_stage=100
size=full           # full: the real corpus's model sizes | tiny: a few utterances (CI)
nj=2
seed=1
lexicon=            # a lexicon beside CMUdict ('WORD PH1 PH2 ...', CMUdict phones)
lm_prune=1e-7       # relative-entropy pruning of the discs' trigram (Kaldi's tgpr)
decode_beam=        # empty: 11 (8 at --size tiny)
max_active=         # the networks' decoders; empty: 7000 (1000 at --size tiny)
teacher_opts=       # BLSTM options; empty: the size's default below
student_opts=       # the same for every student; empty: the size's default
teacher_epochs=
student_epochs=
seeds=              # student seeds; empty: --seed
# End configuration section.

help_message="Usage: $0 [options] <wsj-dir> [<wsj-dir> ...]
 e.g.: $0 /data/LDC93S6B /data/LDC94S13B   (directories holding the discs 11-1.1 ... 13-34.1)"
. ./cmd.sh
. ./path.sh
. steps_kd/parse_options.sh
. steps_kd/background.sh  # in_background / wait_background: GMM decoding overlaps training
. steps_kd/stage_times.sh  # stage_begin: exp/stage_times.tsv, RESULTS.md's run time
. steps_kd/gmm_recipe.sh  # gmm_ladder, the GMM systems' labels and expected order
. steps_kd/nnet_recipe.sh  # teacher_and_targets, three_students, distill_systems
if [ $# -lt 1 ]; then
  echo "$help_message" >&2
  exit 1
fi
# shellcheck disable=SC2154  # train_cmd/decode_cmd come from cmd.sh
train_cmd=${train_cmd:-run.pl}
decode_cmd=${decode_cmd:-run.pl}

# Kaldi's wsj sizes for the GMMs (tri1 2000/10000, tri2 2500/15000, tri3 4200/40000).
case $size in
  tiny) leaves=(40 200 40 200 40 200); mono_gauss=200
    default_teacher="--num-layers 1 --hidden 64 --dnn-dim 64"; epochs=(2 2)
    default_student="--num-layers 2 --hidden 64 --context 5" ;;
  full) leaves=(2000 10000 2500 15000 4200 40000); mono_gauss=1000
    default_teacher="--num-layers 3 --hidden 320 --dnn-dim 512 --dropout 0.1"; epochs=(8 10)
    default_student="--num-layers 3 --hidden 512 --context 5" ;;
  *) echo "$0: --size must be full or tiny, got '$size'" >&2; exit 1 ;;
esac
teacher_opts=${teacher_opts:-$default_teacher}
student_opts=${student_opts:-$default_student}
teacher_epochs=${teacher_epochs:-${epochs[0]}}
student_epochs=${student_epochs:-${epochs[1]}}
seeds=${seeds:-$seed}
nnet_lattices=true
if [ "$size" = tiny ]; then
  decode_beam=${decode_beam:-8}
  max_active=${max_active:-1000}
  nnet_lattices=false  # barely trained nets: best-path decoding, whose max-active bounds time
else
  decode_beam=${decode_beam:-11}
  max_active=${max_active:-7000}
fi
results=RESULTS.md
if [ "$size" != full ]; then results=RESULTS_$size.md; fi
nnet_feats=fmllr  # the networks' input: tri3's speaker-adapted features, as the paper's DNNs
gmm_best=exp/tri3
gmm_ali=exp/tri3_ali

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  stage_begin 0 "data dirs: si284 (train), dev93 (dev), eval92 (test); the discs' LM"
  local/prepare_data.sh data "$@"
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  stage_begin 1 "lexicon (CMUdict${lexicon:+ + $lexicon}), lang dir, pruned trigram LM"
  mkdir -p data/local/lm
  lm_texts=(data/train/text)
  if [ -f data/local/lm_tg.arpa.gz ]; then
    # The LM's vocabulary joins the lexicon (Kaldi's wsj dict covers the 20k words too).
    gunzip -c data/local/lm_tg.arpa.gz | awk '/^\\1-grams:/ { on = 1; next }
      /^\\/ { on = 0 } on && NF >= 2 && $2 !~ /^</ { print "lm " $2 }' \
      > data/local/lm_vocab_text
    lm_texts+=(data/local/lm_vocab_text)
  fi
  dict_opts=(--oov-list data/local/dict_oov.txt)
  if [ -n "$lexicon" ]; then dict_opts+=(--extra-lexicon "$lexicon"); fi
  steps_kd/prepare_dict.sh "${dict_opts[@]}" "${lm_texts[@]}" data/local/dict
  steps_kd/prepare_lang.sh data/local/dict "<UNK>" data/local/lang_tmp data/lang
  if [ -f data/local/lm_tg.arpa.gz ]; then
    steps_kd/prune_lm.sh --threshold "$lm_prune" data/local/lm_tg.arpa.gz \
      data/local/lm/lm_tgpr.arpa.gz
  else  # no LM disc: a trigram of the training transcripts
    steps_kd/train_lm.sh --order 3 --words data/lang/words.txt --prune "$lm_prune" \
      data/train/text data/local/lm/lm_tgpr.arpa.gz
  fi
  steps_kd/format_lm.sh data/lang data/local/lm/lm_tgpr.arpa.gz data/lang_test
fi

if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  stage_begin 2 "MFCC with per-speaker CMVN"
  for x in train dev test; do
    steps_kd/make_feats.sh --nj "$nj" --cmd "$train_cmd" --feat-type mfcc \
      "data/$x" "exp/make_mfcc/$x" mfcc
    steps_kd/compute_cmvn_stats.sh "data/$x" "exp/make_mfcc/$x" mfcc
  done
fi

if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
  stage_begin 3 "GMM-HMMs: mono, tri1 (deltas), tri2 (LDA+MLLT), tri3 (SAT)"
  gmm_ladder
  steps_kd/make_results.sh --title "WSJ ($size), GMM systems, dev93 / eval92" \
    --baseline "$mono_label" --test-data data/test --dev-data data/dev \
    --order "$gmm_ladder_order" "$results" "${gmm_ladder_systems[@]}"
fi

if [ "$stage" -le 4 ] && [ "$stop_stage" -ge 4 ]; then
  stage_begin 4 "BLSTM teacher on $gmm_ali, its soft (top-20) and hard alignments"
  teacher_and_targets "$gmm_ali"
fi

if [ "$stage" -le 5 ] && [ "$stop_stage" -ge 5 ]; then
  stage_begin 5 "DNN students: one architecture and budget, only the targets differ"
  three_students "$gmm_ali"
fi

if [ "$stage" -le 6 ] && [ "$stop_stage" -ge 6 ]; then
  stage_begin 6 "$results"
  times_opt=()
  if [ -f exp/stage_times.tsv ]; then times_opt=(--stage-times exp/stage_times.tsv); fi
  mapfile -t nnet_systems < <(distill_systems)
  steps_kd/make_results.sh --title "WSJ ($size), dev = dev93, test = eval92" \
    --baseline "DNN student, GMM hard" "${times_opt[@]}" \
    --soft-targets exp/teacher_targets --topk 20 --target-ali "$gmm_ali" \
    --test-data data/test --dev-data data/dev --order "$gmm_ladder_order" "$results" \
    "${gmm_ladder_systems[@]}" "${nnet_systems[@]}"
  cat "$results"
fi
wait_background  # jobs of a run that stopped early
stage_end
