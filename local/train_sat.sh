#!/usr/bin/env bash
# Speaker adaptive training (Kaldi steps/train_sat.sh) on top of an LDA+MLLT (or any) system's
# alignment dir: per-speaker fMLLR transforms from that system, a new tree and GMMs on the
# adapted features, transforms re-estimated on --fmllr-iters. Writes
# <exp-dir>/{final.mdl,final.alimdl,trans.1,final.mat,tree,ali.1.gz,num_jobs,cmvn_opts,
# splice_opts,config.json}; decode it with local/decode_fmllr.sh.
set -euo pipefail

# Begin configuration section.
cmd=run.pl
stage=-1            # N >= 0: resume at iteration N from <exp-dir>/iters/N.mdl (Kaldi's --stage)
num_iters=35
boost_silence=1.0
seed=0              # seed of the Gaussian splitting (mixing up)
fmllr_iters="2 4 6 12"
silence_weight=0.0  # weight of silence frames in the fMLLR statistics
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <num-leaves> <tot-gauss> <data-dir> <lang-dir> <ali-dir> <exp-dir>
 e.g.: $0 2500 15000 data/train data/lang exp/tri2_ali exp/tri3
Options:
  --cmd <run.pl|slurm.pl>   # how to run the job (default: $cmd)
  --stage <n>               # resume at iteration n from <exp-dir>/iters/n.mdl (default: start)
  --num-iters <n>           # training iterations (default: $num_iters)
  --boost-silence <f>       # factor for silence likelihoods in alignment (default: $boost_silence)
  --seed <n>                # seed of the Gaussian splitting (default: $seed)
  --fmllr-iters \"<i> ...\"   # iterations that re-estimate the transforms (default: $fmllr_iters)
  --silence-weight <f>      # silence frames' weight in fMLLR stats (default: $silence_weight)"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"
. "$(dirname "$0")/tree_train_common.sh"

if [ $# -ne 6 ]; then
  echo "$help_message" >&2
  exit 1
fi
train_tree_system train_sat "SAT triphone system" \
  "fmllr_iters=$fmllr_iters silence_weight=$silence_weight" "$@" \
  --fmllr-iters "$fmllr_iters" --silence-weight "$silence_weight"
