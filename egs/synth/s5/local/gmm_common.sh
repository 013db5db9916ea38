# Sourced by run.sh and the studies: the GMM systems' names in the results, their decoding
# and the networks' fMLLR input. The caller sources cmd.sh, path.sh and parse_options.sh and
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
