#!/usr/bin/env bash
# Speaker adaptive training (Kaldi steps/train_sat.sh) on top of an LDA+MLLT (or any) system's
# alignment dir: per-speaker fMLLR transforms from that system, a new tree and GMMs on the
# adapted features, transforms re-estimated on --fmllr-iters. Writes
# <exp-dir>/{final.mdl,final.alimdl,trans.1,final.mat,tree,ali.1.gz,num_jobs,cmvn_opts,
# splice_opts,config.json}; decode it with local/decode_fmllr.sh.
set -euo pipefail

# Begin configuration section.
cmd=run.pl
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
  --num-iters <n>           # training iterations (default: $num_iters)
  --boost-silence <f>       # factor for silence likelihoods in alignment (default: $boost_silence)
  --seed <n>                # seed of the Gaussian splitting (default: $seed)
  --fmllr-iters \"<i> ...\"   # iterations that re-estimate the transforms (default: $fmllr_iters)
  --silence-weight <f>      # silence frames' weight in fMLLR stats (default: $silence_weight)"
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

require "$data/feats.scp" "$data/cmvn.scp" "$data/text" "$data/utt2spk" "$lang/L.fst" \
  "$lang/phones/roots.int" "$lang/phones/sets.int" "$alidir/final.mdl" "$alidir/tree" \
  "$alidir/ali.1.gz"
inputs=("$data/feats.scp" "$data/cmvn.scp" "$data/text" "$data/utt2spk" "$lang/L.fst"
  "$lang/phones/roots.int" "$lang/phones/sets.int" "$alidir/final.mdl" "$alidir/tree"
  "$alidir/num_jobs")
options="num_leaves=$num_leaves totgauss=$totgauss num_iters=$num_iters"
options+=" boost_silence=$boost_silence seed=$seed fmllr_iters=$fmllr_iters"
options+=" silence_weight=$silence_weight"
lock_dir "$dir"
stamp=$dir/fingerprint
skip_if_done "$stamp" "$dir/final.mdl" "$options" "${inputs[@]}"
mkdir -p "$dir/log"
$cmd "$dir/log/train.log" \
  "$pkd_python" -m pykaldi_distill.bin.train_sat --num-leaves "$num_leaves" \
    --totgauss "$totgauss" --num-iters "$num_iters" --boost-silence "$boost_silence" \
    --seed "$seed" \
    --fmllr-iters "$fmllr_iters" --silence-weight "$silence_weight" "$data" "$lang" "$alidir" \
    "$dir"
grep -E "^iter|^tree" "$dir/log/train.log" | tail -n 2
echo "$0: done training SAT triphone system in $dir"
fingerprint_write "$stamp" "$options" "${inputs[@]}"
