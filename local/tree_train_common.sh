# shellcheck shell=bash
# shellcheck disable=SC2154  # cmd, num_iters, boost_silence, seed, stage: the caller's options
# Shared by train_deltas.sh, train_lda_mllt.sh and train_sat.sh (Kaldi's trainers that build
# a tree from an alignment dir): the inputs' check, the fingerprint and the logged job.

# train_tree_system <cli> <what> <options> <num-leaves> <tot-gauss> <data-dir> <lang-dir>
#   <ali-dir> <exp-dir> [<cli option>...]: run pykaldi_distill.bin.<cli> under $cmd unless
#   <exp-dir> holds a model made from the same inputs and options. <options> are the
#   script's own options as its fingerprint records them, besides the common ones.
train_tree_system() {
  local cli=$1 what=$2 own_options=$3 num_leaves=$4 totgauss=$5 data=$6 lang=$7 alidir=$8 dir=$9
  shift 9
  local inputs=("$data/feats.scp" "$data/cmvn.scp" "$data/text" "$data/utt2spk" "$lang/L.fst"
    "$lang/phones/roots.int" "$lang/phones/sets.int" "$alidir/final.mdl" "$alidir/tree")
  require "${inputs[@]}" "$alidir/ali.1.gz"
  inputs+=("$alidir/num_jobs")
  local options="num_leaves=$num_leaves totgauss=$totgauss num_iters=$num_iters"
  options+=" boost_silence=$boost_silence seed=$seed $own_options"
  begin_training "$dir" "$dir/final.mdl"
  $cmd "$dir/log/train.log" "$pkd_python" -m "pykaldi_distill.bin.$cli" --stage "$stage" \
    --num-leaves "$num_leaves" --totgauss "$totgauss" --num-iters "$num_iters" \
    --boost-silence "$boost_silence" --seed "$seed" "$@" "$data" "$lang" "$alidir" "$dir"
  grep -E "^iter|^tree" "$dir/log/train.log" | tail -n 2
  echo "$0: done training $what in $dir"
  fingerprint_write "$dir/fingerprint" "$options" "${inputs[@]}"
}
