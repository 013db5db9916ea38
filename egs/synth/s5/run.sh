#!/usr/bin/env bash
# Read speech synthesised from the King James Bible (public domain) by several TTS voices,
# dev and test voices held out: the GMM half of the pipeline (mono -> tri1 on deltas ->
# tri2 on LDA+MLLT) with a trigram LM, lattices, and LM weight / insertion penalty chosen
# on dev. The default corpus of the distillation experiment; `make demo` runs --size demo.
set -euo pipefail

# Begin configuration section.
stage=0
size=tiny           # tiny (CI, ~5 min of audio) | small (~1 h) | demo (~3 h) | full (~10 h)
nj=2
seed=1
decode_beam=11      # Kaldi's 13 is 3x slower here (no max-active in the lattice decoder)
tri1_leaves=        # tree leaves / Gaussians; empty: the size's default below
tri1_gauss=
tri2_leaves=
tri2_gauss=
# End configuration section.

. ./cmd.sh
. ./path.sh
. steps_kd/parse_options.sh
# shellcheck disable=SC2154  # train_cmd/decode_cmd come from cmd.sh
train_cmd=${train_cmd:-run.pl}
decode_cmd=${decode_cmd:-run.pl}

# Model sizes per corpus size, about 200 training frames per Gaussian as in Kaldi recipes
# (more overfits the 8 training voices: at --size small, 250 leaves / 2000 Gaussians beat
# 500/5000 and 1000/10000 on dev for tri1, and 300/2500 for tri2).
case $size in
  tiny) leaves=(80 600 100 800) ;;
  small) leaves=(250 2000 250 2000) ;;
  demo) leaves=(600 5000 600 5000) ;;
  *) leaves=(1500 12000 2000 15000) ;;
esac
tri1_leaves=${tri1_leaves:-${leaves[0]}}
tri1_gauss=${tri1_gauss:-${leaves[1]}}
tri2_leaves=${tri2_leaves:-${leaves[2]}}
tri2_gauss=${tri2_gauss:-${leaves[3]}}

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
    steps_kd/decode.sh --nj "$nj" --cmd "$decode_cmd" --beam "$decode_beam" --lattices true \
      "$1/graph" "data/$x" "$1/decode_$x"
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
  echo "== stage 5: triphone GMM-HMM on LDA+MLLT features (tri2)"
  steps_kd/train_lda_mllt.sh --cmd "$train_cmd" "$tri2_leaves" "$tri2_gauss" \
    data/train data/lang exp/tri1_ali exp/tri2
  decode_sets exp/tri2
  steps_kd/align_si.sh --nj "$nj" --cmd "$train_cmd" data/train data/lang exp/tri2 exp/tri2_ali
fi

if [ "$stage" -le 6 ]; then
  echo "== stage 6: RESULTS.md"
  steps_kd/make_results.sh --title "synth read speech ($size), dev/test = held-out voices" \
    --baseline "mono GMM" --corpus-info corpus/corpus.json RESULTS.md \
    "mono GMM=exp/mono/decode_test,exp/mono/decode_dev" \
    "tri1 GMM (deltas)=exp/tri1/decode_test,exp/tri1/decode_dev" \
    "tri2 GMM (LDA+MLLT)=exp/tri2/decode_test,exp/tri2/decode_dev"
  cat RESULTS.md
fi
