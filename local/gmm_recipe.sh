# Sourced by recipes (run.sh) and the synth studies: the GMM systems' names in the results,
# their decoding and the networks' fMLLR input. The caller sources cmd.sh, path.sh and parse_options.sh and
# sets nj, train_cmd, decode_cmd and decode_beam.
# shellcheck shell=bash disable=SC2154,SC2034  # the caller sets some variables, uses others

mono_label="mono GMM"
tri1_label="tri1 GMM (deltas)"
tri2_label="tri2 GMM (LDA+MLLT)"
tri3_label="tri3 GMM (LDA+MLLT+SAT)"
# The SI systems' expected order (worst first); the results say whether it held.
gmm_order="$mono_label,$tri1_label,$tri2_label"

decode_sets() {  # decode_sets <exp-dir> [decode-step]: graph, then lattice decoding of dev
  # and test with steps_kd/<decode-step> (decode.sh; decode_fmllr.sh for a SAT system)
  steps_kd/mkgraph.sh data/lang_test "$1" "$1/graph"
  local x
  for x in dev test; do
    "steps_kd/${2:-decode.sh}" --nj "$nj" --cmd "$decode_cmd" --beam "$decode_beam" \
      --lattices true "$1/graph" "data/$x" "$1/decode_$x"
  done
}

make_fmllr_inputs() {  # the networks' fMLLR input, data/{train,dev,test}_fmllr: tri3's
  # features adapted by the transforms of its alignment (train) and of its first decoding
  # pass (dev, test), then per-speaker CMVN
  local x transforms
  for x in train dev test; do
    if [ "$x" = train ]; then transforms=exp/tri3_ali; else transforms=exp/tri3/decode_$x; fi
    steps_kd/make_fmllr_feats.sh --nj "$nj" --cmd "$train_cmd" --transform-dir "$transforms" \
      "data/${x}_fmllr" "data/$x" exp/tri3 "exp/make_fmllr/$x" fmllr
    steps_kd/compute_cmvn_stats.sh "data/${x}_fmllr" "exp/make_fmllr/$x" fmllr
  done
}

gmm_ladder() {  # gmm_ladder: mono -> tri1 (deltas) -> tri2 (LDA+MLLT) -> tri3 (SAT) on
  # data/train, each decoded on dev and test in the background while the next trains, then
  # tri3's fMLLR alignments and the networks' fMLLR inputs. Sizes from the caller's
  # mono_gauss and leaves=(tri1 leaves, gauss, tri2 leaves, gauss, tri3 leaves, gauss);
  # boost_silence (default 1.0) for mono and tri1, as Kaldi's recipes.
  local boost=${boost_silence:-1.0}
  steps_kd/train_mono.sh --cmd "$train_cmd" --totgauss "$mono_gauss" --boost-silence "$boost" \
    data/train data/lang exp/mono
  in_background exp/mono/log/decode_sets.log decode_sets exp/mono
  steps_kd/align_si.sh --nj "$nj" --cmd "$train_cmd" --boost-silence "$boost" \
    data/train data/lang exp/mono exp/mono_ali
  steps_kd/train_deltas.sh --cmd "$train_cmd" --boost-silence "$boost" "${leaves[0]}" \
    "${leaves[1]}" data/train data/lang exp/mono_ali exp/tri1
  in_background exp/tri1/log/decode_sets.log decode_sets exp/tri1
  steps_kd/align_si.sh --nj "$nj" --cmd "$train_cmd" data/train data/lang exp/tri1 exp/tri1_ali
  steps_kd/train_lda_mllt.sh --cmd "$train_cmd" "${leaves[2]}" "${leaves[3]}" \
    data/train data/lang exp/tri1_ali exp/tri2
  in_background exp/tri2/log/decode_sets.log decode_sets exp/tri2
  steps_kd/align_si.sh --nj "$nj" --cmd "$train_cmd" data/train data/lang exp/tri2 exp/tri2_ali
  steps_kd/train_sat.sh --cmd "$train_cmd" "${leaves[4]}" "${leaves[5]}" \
    data/train data/lang exp/tri2_ali exp/tri3
  in_background exp/tri3/log/decode_sets.log decode_sets exp/tri3 decode_fmllr.sh
  steps_kd/align_fmllr.sh --nj "$nj" --cmd "$train_cmd" data/train data/lang exp/tri3 exp/tri3_ali
  wait_background
  make_fmllr_inputs
}

# The four GMM systems' rows (test and dev decodes) and the ladder RESULTS.md judges.
gmm_ladder_systems=("$mono_label=exp/mono/decode_test,exp/mono/decode_dev"
  "$tri1_label=exp/tri1/decode_test,exp/tri1/decode_dev"
  "$tri2_label=exp/tri2/decode_test,exp/tri2/decode_dev"
  "$tri3_label=exp/tri3/decode_test,exp/tri3/decode_dev")
gmm_ladder_order="$gmm_order,$tri3_label"
