#!/usr/bin/env bash
# Read speech synthesised from the King James Bible (public domain) by several TTS voices,
# dev and test voices held out: the GMM half of the pipeline (mono -> tri1 on deltas) with a
# trigram LM, lattices, and LM weight / insertion penalty chosen on dev.
# Work in progress towards the default corpus of the distillation experiment (issue 4).
set -euo pipefail

# Begin configuration section.
stage=0
size=tiny           # tiny (CI) | small (~1 h) | demo (~10 h)
nj=2
seed=1
tri1_leaves=500
tri1_gauss=5000
# End configuration section.

. ./cmd.sh
. ./path.sh
. steps_kd/parse_options.sh
# shellcheck disable=SC2154  # train_cmd/decode_cmd come from cmd.sh
train_cmd=${train_cmd:-run.pl}
decode_cmd=${decode_cmd:-run.pl}

corpus=corpus
if [ "$stage" -le 0 ]; then
  echo "== stage 0: synthesise the corpus ($size): train/dev/test data dirs and LM text"
  local/prepare_data.sh --size "$size" --seed "$seed" --nj "$nj" "$corpus"
  mkdir -p data/local
  for x in train dev test; do
    rm -rf "data/$x"
    cp -r "$corpus/data/$x" "data/$x"
  done
  # The LM text (never dev/test sentences) as a Kaldi text file, for the dict and LM steps.
  awk '{printf "lm-%07d %s\n", NR, $0}' "$corpus/data/local/lm_text.txt" > data/local/lm_text
fi

if [ "$stage" -le 1 ]; then
  echo "== stage 1: CMUdict lexicon over the LM vocabulary, lang dir, trigram LM"
  steps_kd/prepare_dict.sh data/local/lm_text data/local/dict
  steps_kd/prepare_lang.sh data/local/dict "<UNK>" data/local/lang_tmp data/lang
  steps_kd/train_lm.sh --order 3 --words data/lang/words.txt data/local/lm_text \
    data/local/lm/lm.arpa.gz
  steps_kd/format_lm.sh data/lang data/local/lm/lm.arpa.gz data/lang_test
fi

if [ "$stage" -le 2 ]; then
  echo "== stage 2: MFCC features with per-speaker CMVN"
  for x in train dev test; do
    steps_kd/make_feats.sh --nj "$nj" --cmd "$train_cmd" --feat-type mfcc \
      "data/$x" "exp/make_mfcc/$x" mfcc
    steps_kd/compute_cmvn_stats.sh "data/$x" "exp/make_mfcc/$x" mfcc
  done
fi

decode_sets() {  # decode_sets <exp-dir>: graph, then lattice decoding of dev and test
  steps_kd/mkgraph.sh data/lang_test "$1" "$1/graph"
  for x in dev test; do
    steps_kd/decode.sh --nj "$nj" --cmd "$decode_cmd" --lattices true "$1/graph" "data/$x" \
      "$1/decode_$x"
  done
}

if [ "$stage" -le 3 ]; then
  echo "== stage 3: monophone GMM-HMM"
  steps_kd/train_mono.sh --cmd "$train_cmd" data/train data/lang exp/mono
  decode_sets exp/mono
  steps_kd/align_si.sh --nj "$nj" --cmd "$train_cmd" data/train data/lang exp/mono exp/mono_ali
fi

if [ "$stage" -le 4 ]; then
  echo "== stage 4: triphone GMM-HMM on deltas (tri1)"
  steps_kd/train_deltas.sh --cmd "$train_cmd" "$tri1_leaves" "$tri1_gauss" \
    data/train data/lang exp/mono_ali exp/tri1
  decode_sets exp/tri1
  steps_kd/align_si.sh --nj "$nj" --cmd "$train_cmd" data/train data/lang exp/tri1 exp/tri1_ali
fi

if [ "$stage" -le 5 ]; then
  echo "== stage 5: RESULTS.md"
  steps_kd/make_results.sh --title "synth read speech ($size), dev/test = held-out voices" \
    --baseline "mono GMM" RESULTS.md \
    "mono GMM=exp/mono/decode_test,exp/mono/decode_dev" \
    "tri1 GMM (deltas)=exp/tri1/decode_test,exp/tri1/decode_dev"
  cat RESULTS.md
fi
