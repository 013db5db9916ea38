#!/usr/bin/env bash
# fMLLR-adapted features as a network's input (Kaldi steps/nnet/make_fmllr_feats.sh): the
# GMM system's pipeline (CMVN, splice, LDA+MLLT final.mat) and each speaker's fMLLR transform
# from --transform-dir (align_fmllr.sh's dir for training data, decode_fmllr.sh's decode dir
# for test data). Writes <fea-dir>/feats_fmllr_<name>.JOB.{ark,scp}, <tgt-data-dir>/feats.scp,
# feat_type (fmllr) and fmllr.conf (the GMM and transform dirs, for decoding new data).
# Compute CMVN stats on the new dir afterwards, as for any features.
set -euo pipefail

# Begin configuration section.
nj=4
cmd=run.pl
transform_dir=
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <tgt-data-dir> <src-data-dir> <gmm-dir> <log-dir> <fea-dir>
 e.g.: $0 --transform-dir exp/tri3_ali data/train_fmllr data/train exp/tri3 \\
         exp/make_fmllr/train fmllr
Options:
  --transform-dir <dir>   # dir with trans.JOB (required): align_fmllr.sh or decode_fmllr.sh
  --nj <n>                # number of parallel jobs, split by speaker (default: $nj)
  --cmd <run.pl|slurm.pl> # how to run jobs (default: $cmd)"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -ne 5 ] || [ -z "$transform_dir" ]; then
  echo "$help_message" >&2
  exit 1
fi
data=$1
srcdata=$2
gmm=$3
logdir=$4
feadir=$5
name=$(basename "$data")

require "$srcdata/feats.scp" "$srcdata/cmvn.scp" "$srcdata/utt2spk" "$gmm/final.mdl" \
  "$gmm/final.mat" "$transform_dir/trans.1"
inputs=("$srcdata/feats.scp" "$srcdata/cmvn.scp" "$srcdata/utt2spk" "$gmm/final.mdl"
  "$gmm/final.mat" "$transform_dir"/trans.*)
lock_dir "$data"
stamp=$data/feats.fingerprint
skip_if_done "$stamp" "$data/feats.scp" "gmm=$gmm transform_dir=$transform_dir" "${inputs[@]}"

"$(dirname "$0")/copy_data_dir.sh" "$srcdata" "$data"
rm -f "$data/feats.scp" "$data/cmvn.scp" "$data/feat_type" "$data/fmllr.conf"
# The jobs read the source dir's features and CMVN stats, split by speaker.
split_for_jobs "$srcdata" "$nj"
mkdir -p "$logdir" "$feadir"
feadir=$(cd "$feadir" && pwd)
$cmd JOB=1:"$nj" "$logdir/make_fmllr_feats_$name.JOB.log" \
  "$pkd_python" -m pykaldi_distill.bin.make_fmllr_feats "$srcdata/split$nj/JOB" "$gmm" \
    "$transform_dir" "$feadir/feats_fmllr_$name.JOB.ark" "$feadir/feats_fmllr_$name.JOB.scp"

for n in $(seq "$nj"); do
  cat "$feadir/feats_fmllr_$name.$n.scp"
done | LC_ALL=C sort > "$data/feats.scp.tmp"
printf '# fMLLR features (local/make_fmllr_feats.sh)\n--gmm-dir=%s\n--transform-dir=%s\n' \
  "$gmm" "$transform_dir" > "$data/fmllr.conf"
echo fmllr > "$data/feat_type"
mv "$data/feats.scp.tmp" "$data/feats.scp"
echo "$0: made fMLLR features ($gmm, transforms of $transform_dir) for" \
  "$(wc -l < "$data/feats.scp") utterances of $data"
fingerprint_write "$stamp" "gmm=$gmm transform_dir=$transform_dir" "${inputs[@]}"
