# Sourced by run.sh and local/gmm_seed_study.sh: the GMM systems' names in the results and
# their decoding. The caller sources cmd.sh, path.sh and parse_options.sh and sets nj,
# decode_cmd and decode_beam.
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
