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
. steps_kd/kd_recipe.sh  # kd_settings, kd_stages: stages 2-6, as every corpus's
if [ $# -lt 1 ]; then
  echo "$help_message" >&2
  exit 1
fi
# Kaldi's wsj sizes for the GMMs (tri1 2000/10000, tri2 2500/15000, tri3 4200/40000),
# with silence boosted as there.
case $size in
  tiny) leaves=(60 300 60 300 60 300); mono_gauss=300 ;;
  *) leaves=(2000 10000 2500 15000 4200 40000); mono_gauss=1000 ;;
esac
boost_silence=1.25
kd_settings

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

kd_stages "WSJ" "dev = dev93, test = eval92"
