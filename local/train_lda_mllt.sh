#!/usr/bin/env bash
# Triphone GMM-HMM on LDA+MLLT features (Kaldi steps/train_lda_mllt.sh), from an alignment dir:
# spliced CMVN'd features -> LDA (est-lda) -> MLLT re-estimated on --mllt-iters;
# <exp-dir>/{final.mdl,final.mat,tree,ali.1.gz,num_jobs,cmvn_opts,splice_opts,config.json}.
set -euo pipefail

# Begin configuration section.
cmd=run.pl
stage=-1            # N >= 0: resume at iteration N from <exp-dir>/iters/N.mdl (Kaldi's --stage)
num_iters=35
boost_silence=1.0
seed=0              # seed of the Gaussian splitting (mixing up)
cmvn_opts=          # e.g. "--norm-vars=true"
splice=3            # frames of context each side (Kaldi: --left-context=3 --right-context=3)
dim=40              # LDA output dimension
mllt_iters="2 4 6 12"
init_transform=lda  # what MLLT starts from: lda, or deltas (with --splice 4 --dim 39 on
                    # 13-dim MFCC: add-deltas as a matrix, i.e. MLLT on tri1's features)
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <num-leaves> <tot-gauss> <data-dir> <lang-dir> <ali-dir> <exp-dir>
 e.g.: $0 2500 15000 data/train data/lang exp/tri1_ali exp/tri2
Options:
  --cmd <run.pl|slurm.pl>   # how to run the job (default: $cmd)
  --stage <n>               # resume at iteration n from <exp-dir>/iters/n.mdl (default: start)
  --num-iters <n>           # training iterations (default: $num_iters)
  --boost-silence <f>       # factor for silence likelihoods in alignment (default: $boost_silence)
  --seed <n>                # seed of the Gaussian splitting (default: $seed)
  --cmvn-opts <opts>        # apply-cmvn options (default: those of <ali-dir>)
  --splice <n>              # context frames each side before LDA (default: $splice)
  --dim <n>                 # LDA dimension (default: $dim)
  --mllt-iters \"<i> ...\"    # iterations that re-estimate MLLT (default: $mllt_iters)
  --init-transform <lda|deltas>  # what MLLT starts from (default: $init_transform)"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"
. "$(dirname "$0")/tree_train_common.sh"

if [ $# -ne 6 ]; then
  echo "$help_message" >&2
  exit 1
fi
train_tree_system train_lda_mllt "the MLLT triphone system ($init_transform start)" \
  "cmvn_opts=$cmvn_opts splice=$splice dim=$dim mllt_iters=$mllt_iters init_transform=$init_transform" \
  "$@" --cmvn-opts="$cmvn_opts" --splice "$splice" --dim "$dim" --mllt-iters "$mllt_iters" \
  --init-transform "$init_transform"
