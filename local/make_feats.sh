#!/usr/bin/env bash
# Features for a data dir (Kaldi steps/make_fbank.sh / make_mfcc.sh): writes
# <feat-dir>/raw_<type>_<name>.JOB.{ark,scp}, <data-dir>/feats.scp, and records the feature
# type and conf in <data-dir>/feat_type and <data-dir>/<type>.conf for the models trained on it.
set -euo pipefail

# Begin configuration section.
nj=4
cmd=run.pl
feat_type=fbank
feat_config=
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <data-dir> [<log-dir> [<feat-dir>]]
 e.g.: $0 --feat-type fbank --feat-config conf/fbank.conf data/train exp/make_fbank/train fbank
Options:
  --nj <n>                # number of parallel jobs (default: $nj)
  --cmd <run.pl|slurm.pl> # how to run jobs (default: $cmd)
  --feat-type <fbank|mfcc>
  --feat-config <file>    # Kaldi option file (default: conf/<feat-type>.conf)"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -lt 1 ] || [ $# -gt 3 ]; then
  echo "$help_message" >&2
  exit 1
fi
data=$1
name=$(basename "$data")
logdir=${2:-$data/log}
featdir=${3:-$data/data}
feat_config=${feat_config:-conf/$feat_type.conf}

require "$data/wav.scp" "$data/utt2spk" "$feat_config"
inputs=("$data/wav.scp" "$data/utt2spk" "$feat_config")
if [ -f "$data/segments" ]; then inputs+=("$data/segments"); fi
lock_dir "$data"
stamp=$data/feats.fingerprint
skip_if_done "$stamp" "$data/feats.scp" "feat_type=$feat_type" "${inputs[@]}"

pkd validate_data_dir --no-text --no-feats "$data"
mkdir -p "$logdir" "$featdir"
featdir=$(cd "$featdir" && pwd)
rm -f "$data/feats.scp" "$data/cmvn.scp"
split_for_jobs "$data" "$nj"

$cmd JOB=1:"$nj" "$logdir/make_${feat_type}_${name}.JOB.log" \
  "$pkd_python" -m pykaldi_distill.bin.compute_feats --kind "$feat_type" --config "$feat_config" \
    "$data/split$nj/JOB" "$featdir/raw_${feat_type}_$name.JOB.ark" \
    "$featdir/raw_${feat_type}_$name.JOB.scp"

for n in $(seq "$nj"); do
  cat "$featdir/raw_${feat_type}_$name.$n.scp"
done | LC_ALL=C sort > "$data/feats.scp.tmp"
cp "$feat_config" "$data/$feat_type.conf"
echo "$feat_type" > "$data/feat_type"
mv "$data/feats.scp.tmp" "$data/feats.scp"
rm -rf "$data/split$nj"
fingerprint_write "$stamp" "feat_type=$feat_type" "${inputs[@]}"
echo "$0: made $feat_type features for $(wc -l < "$data/feats.scp") utterances of $data"
