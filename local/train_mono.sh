#!/usr/bin/env bash
# Monophone GMM-HMM training (Kaldi steps/train_mono.sh): <exp-dir>/{final.mdl,tree,ali.1.gz,
# num_jobs,cmvn_opts,delta_opts,config.json}. Features: the data dir's feats.scp + cmvn + deltas.
set -euo pipefail

# Begin configuration section.
cmd=run.pl
stage=-1            # N >= 0: resume at iteration N from <exp-dir>/iters/N.mdl (Kaldi's --stage)
num_iters=40
totgauss=1000
boost_silence=1.0
cmvn_opts=          # e.g. "--norm-vars=true"
seed=0
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <data-dir> <lang-dir> <exp-dir>
 e.g.: $0 data/train data/lang exp/mono
Options:
  --cmd <run.pl|slurm.pl>   # how to run the job (default: $cmd)
  --stage <n>               # resume at iteration n from <exp-dir>/iters/n.mdl (default: start)
  --num-iters <n>           # training iterations (default: $num_iters)
  --totgauss <n>            # target number of Gaussians (default: $totgauss)
  --boost-silence <f>       # factor for silence likelihoods in alignment (default: $boost_silence)
  --cmvn-opts <opts>        # apply-cmvn options (default: means only, Kaldi's)"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -ne 3 ]; then
  echo "$help_message" >&2
  exit 1
fi
data=$1
lang=$2
dir=$3

require "$data/feats.scp" "$data/cmvn.scp" "$data/text" "$lang/L.fst" "$lang/phones.txt" \
  "$lang/topo" "$lang/phones/sets.int"
inputs=("$data/feats.scp" "$data/cmvn.scp" "$data/text" "$lang/L.fst" "$lang/phones.txt"
  "$lang/topo" "$lang/phones/sets.int")
options="num_iters=$num_iters totgauss=$totgauss boost_silence=$boost_silence"
options+=" cmvn_opts=$cmvn_opts seed=$seed"
begin_training "$dir" "$dir/final.mdl"
$cmd "$dir/log/train.log" \
  "$pkd_python" -m pykaldi_distill.bin.train_mono --stage "$stage" --num-iters "$num_iters" \
    --totgauss "$totgauss" --boost-silence "$boost_silence" \
    --cmvn-opts="$cmvn_opts" --seed "$seed" "$data" "$lang" "$dir"
grep "^iter" "$dir/log/train.log" | tail -n 1
echo "$0: done training monophone system in $dir"
fingerprint_write "$stamp" "$options" "${inputs[@]}"
