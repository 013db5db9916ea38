#!/usr/bin/env bash
# Mini-LibriSpeech (OpenSLR 31: train-clean-5, ~5 h, and dev-clean-2; CC BY 4.0; download and
# unpack it yourself and pass the directory holding LibriSpeech/), the Kaldi recipe's corpus:
# GMM ladder (mono -> tri1 deltas -> tri2 LDA+MLLT -> tri3 SAT with fMLLR decoding), then the
# distillation experiment of Chan, Ke & Lane (2015): a BLSTM teacher on tri3's alignments,
# its soft and hard alignments, and DNN students trained on each, all decoded with tri3's
# graph. dev-clean-2's readers are split into dev (LM weight, insertion penalty, every
# choice) and test (read once). Lexicon: CMUdict, plus --lexicon (e.g. OpenSLR 11's
# librispeech-lexicon.txt); words in neither train as <UNK> and count as errors in test.
# LM: a trigram on the training transcripts, or on --lm-text (e.g. OpenSLR 11's
# librispeech-lm-norm.txt, one sentence a line).
#   ./run.sh /data/mini_librispeech                 # the real corpus
#   ./run.sh --size tiny <fake-corpus>              # CI: a miniature corpus in the same layout
set -euo pipefail

# Begin configuration section.
stage=0
stop_stage=100
size=full           # full: the real corpus's model sizes | tiny: a few utterances (CI)
nj=2
seed=1
lexicon=            # a lexicon beside CMUdict ('WORD PH1 PH2 ...', CMUdict phones)
lm_text=            # sentences for the LM, one a line (upper case); empty: train's text
decode_beam=        # empty: 11 (8 at --size tiny)
max_active=         # the networks' decoders; empty: 7000 (1000 at --size tiny)
teacher_opts=       # BLSTM options; empty: the size's default below
student_opts=       # the same for every student; empty: the size's default
teacher_epochs=
student_epochs=
seeds=              # student seeds; empty: --seed
# End configuration section.

help_message="Usage: $0 [options] <corpus-dir>
 e.g.: $0 /data/mini_librispeech    (the directory holding LibriSpeech/train-clean-5)"
. ./cmd.sh
. ./path.sh
. steps_kd/parse_options.sh
. steps_kd/background.sh  # in_background / wait_background: GMM decoding overlaps training
. steps_kd/stage_times.sh  # stage_begin: exp/stage_times.tsv, RESULTS.md's run time
. steps_kd/gmm_recipe.sh  # gmm_ladder, the GMM systems' labels and expected order
. steps_kd/nnet_recipe.sh  # teacher_and_targets, three_students, distill_systems
. steps_kd/kd_recipe.sh  # kd_settings, kd_stages: stages 2-6, as every corpus's
if [ $# -ne 1 ]; then
  echo "$help_message" >&2
  exit 1
fi
corpus=$1
# Kaldi's mini_librispeech sizes for the GMMs (tri1 2000/10000, tri2 and tri3 2500/15000),
# with silence boosted as there.
case $size in
  tiny) leaves=(60 300 60 300 60 300); mono_gauss=300 ;;
  *) leaves=(2000 10000 2500 15000 2500 15000); mono_gauss=1000 ;;
esac
boost_silence=1.25
kd_settings

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  stage_begin 0 "data dirs: train-clean-5; dev-clean-2's readers split into dev and test"
  local/prepare_data.sh "$corpus" data
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  stage_begin 1 "lexicon (CMUdict${lexicon:+ + $lexicon}), lang dir, trigram LM"
  mkdir -p data/local
  if [ -n "$lm_text" ]; then  # one sentence a line, as OpenSLR 11's librispeech-lm-norm.txt
    awk '{ printf "lm-%08d %s\n", NR, $0 }' "$lm_text" > data/local/lm_text
  else
    cp data/train/text data/local/lm_text
  fi
  dict_opts=(--oov-list data/local/dict_oov.txt)
  if [ -n "$lexicon" ]; then dict_opts+=(--extra-lexicon "$lexicon"); fi
  steps_kd/prepare_dict.sh "${dict_opts[@]}" data/train/text data/local/lm_text data/local/dict
  steps_kd/prepare_lang.sh data/local/dict "<UNK>" data/local/lang_tmp data/lang
  steps_kd/train_lm.sh --order 3 --words data/lang/words.txt data/local/lm_text \
    data/local/lm/lm.arpa.gz
  steps_kd/format_lm.sh data/lang data/local/lm/lm.arpa.gz data/lang_test
fi

kd_stages "mini-LibriSpeech" "dev/test = dev-clean-2's readers"
