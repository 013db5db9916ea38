# Sourced by the recipe's studies, which continue a run.sh run after stage 8: the run's
# settings read back from its exp dirs, and its student and decoding steps. The caller
# sources cmd.sh, path.sh and parse_options.sh and sets seed, nj, decode_beam, max_active
# and lattices.
# shellcheck shell=bash disable=SC2154  # the caller's variables

train_cmd=${train_cmd:-run.pl}
decode_cmd=${decode_cmd:-run.pl}

study_require() {  # study_require <file>...: each must exist, else say which stage makes it
  local f
  for f in "$@"; do
    if [ ! -f "$f" ]; then
      echo "$0: ERROR: $f is missing; run ./run.sh through stage 8 (with --seed $seed) first" >&2
      exit 1
    fi
  done
}

study_require_students() {  # the run's GMM-hard and soft students of each of $seeds, decoded
  local s
  for s in ${seeds:-$seed}; do
    study_require "exp/student_gmm_s$s/decode_test/scoring_kaldi/best_wer" \
      "exp/student_soft_s$s/decode_test/scoring_kaldi/best_wer"
  done
}

study_require exp/teacher/config.json "exp/student_gmm_s$seed/config.json"
gmm_ali=$(python -m pykaldi_distill.bin.nnet_options --targets exp/teacher)
gmm=${gmm_ali%_ali}  # Kaldi's naming: exp/tri3_ali holds exp/tri3's alignments
train_data=$(python -m pykaldi_distill.bin.nnet_options --data exp/teacher)
feats=${train_data#data/train_}  # the networks' input: data/{train,dev,test}_<feats>
student_opts=$(python -m pykaldi_distill.bin.nnet_options "exp/student_gmm_s$seed")
study_require "$gmm/graph/HCLG.fst"

decode_nnet() {  # decode_nnet <exp-dir> [<dir-suffix> [decode.sh options]]: dev and test
  # with the GMM system's graph, as run.sh decodes every network
  local dir=$1 suffix=${2:-} x
  shift $(($# < 2 ? $# : 2))
  for x in dev test; do
    steps_kd/decode.sh --nj "$nj" --cmd "$decode_cmd" --beam "$decode_beam" \
      --max-active "${max_active:-7000}" --lattices "$lattices" "$@" "$gmm/graph" \
      "data/${x}_$feats" "$dir/decode_$x$suffix"
  done
}

runs_of() {  # runs_of <name>: the test,dev decode dirs of exp/<name>_s<seed> for each of
  # $seeds (else $seed), ';'-separated as make_results.sh takes a system's runs
  local out="" s
  for s in ${seeds:-$seed}; do
    out+="${out:+;}exp/${1}_s$s/decode_test,exp/${1}_s$s/decode_dev"
  done
  echo "$out"
}

student() {  # student <name> <data-dir> <targets-or-ali-dir> [train_student.sh options]:
  # run.sh's student (its options, seed and budget; later options win), trained and decoded
  local name=$1 data=$2 targets=$3
  shift 3
  # shellcheck disable=SC2086  # option strings are meant to split
  steps_kd/train_student.sh --cmd "$train_cmd" $student_opts --seed "$seed" "$@" \
    "$data" data/lang "$targets" "exp/$name"
  decode_nnet "exp/$name"
}
