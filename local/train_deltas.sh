#!/usr/bin/env bash
# Triphone GMM-HMM on delta features (Kaldi steps/train_deltas.sh), from an alignment dir:
# <exp-dir>/{final.mdl,tree,ali.1.gz,num_jobs,cmvn_opts,delta_opts,config.json}.
set -euo pipefail

# Begin configuration section.
cmd=run.pl
num_iters=35
boost_silence=1.0
seed=0              # seed of the Gaussian splitting (mixing up)
cmvn_opts=          # e.g. "--norm-vars=true"
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <num-leaves> <tot-gauss> <data-dir> <lang-dir> <ali-dir> <exp-dir>
 e.g.: $0 2000 10000 data/train data/lang exp/mono_ali exp/tri1
Options:
  --cmd <run.pl|slurm.pl>   # how to run the job (default: $cmd)
  --num-iters <n>           # training iterations (default: $num_iters)
  --boost-silence <f>       # factor for silence likelihoods in alignment (default: $boost_silence)
  --seed <n>                # seed of the Gaussian splitting (default: $seed)
  --cmvn-opts <opts>        # apply-cmvn options (default: those of <ali-dir>)"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -ne 6 ]; then
  echo "$help_message" >&2
  exit 1
fi
num_leaves=$1
totgauss=$2
data=$3
lang=$4
alidir=$5
dir=$6

require "$data/feats.scp" "$data/cmvn.scp" "$data/text" "$lang/L.fst" "$lang/phones/roots.int" \
  "$lang/phones/sets.int" "$alidir/final.mdl" "$alidir/tree" "$alidir/ali.1.gz"
inputs=("$data/feats.scp" "$data/cmvn.scp" "$data/text" "$lang/L.fst" "$lang/phones/roots.int"
  "$lang/phones/sets.int" "$alidir/final.mdl" "$alidir/tree" "$alidir/num_jobs")
options="num_leaves=$num_leaves totgauss=$totgauss num_iters=$num_iters"
options+=" boost_silence=$boost_silence seed=$seed cmvn_opts=$cmvn_opts"
lock_dir "$dir"
stamp=$dir/fingerprint
skip_if_done "$stamp" "$dir/final.mdl" "$options" "${inputs[@]}"
mkdir -p "$dir/log"
$cmd "$dir/log/train.log" \
  "$pkd_python" -m pykaldi_distill.bin.train_deltas --num-leaves "$num_leaves" \
    --totgauss "$totgauss" --num-iters "$num_iters" --boost-silence "$boost_silence" \
    --seed "$seed" \
    --cmvn-opts="$cmvn_opts" \
    "$data" "$lang" "$alidir" "$dir"
grep -E "^iter|^tree" "$dir/log/train.log" | tail -n 2
echo "$0: done training triphone system in $dir"
fingerprint_write "$stamp" "$options" "${inputs[@]}"
