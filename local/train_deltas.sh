#!/usr/bin/env bash
# Triphone GMM-HMM on delta features (Kaldi steps/train_deltas.sh), from an alignment dir:
# <exp-dir>/{final.mdl,tree,ali.1.gz,num_jobs,cmvn_opts,delta_opts,config.json}.
set -euo pipefail

# Begin configuration section.
cmd=run.pl
stage=-1            # N >= 0: resume at iteration N from <exp-dir>/iters/N.mdl (Kaldi's --stage)
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
  --stage <n>               # resume at iteration n from <exp-dir>/iters/n.mdl (default: start)
  --num-iters <n>           # training iterations (default: $num_iters)
  --boost-silence <f>       # factor for silence likelihoods in alignment (default: $boost_silence)
  --seed <n>                # seed of the Gaussian splitting (default: $seed)
  --cmvn-opts <opts>        # apply-cmvn options (default: those of <ali-dir>)"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"
. "$(dirname "$0")/tree_train_common.sh"

if [ $# -ne 6 ]; then
  echo "$help_message" >&2
  exit 1
fi
train_tree_system train_deltas "triphone system" "cmvn_opts=$cmvn_opts" "$@" \
  --cmvn-opts="$cmvn_opts"
