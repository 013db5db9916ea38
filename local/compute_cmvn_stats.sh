#!/usr/bin/env bash
# Per-speaker CMVN statistics (Kaldi steps/compute_cmvn_stats.sh): writes
# <cmvn-dir>/cmvn_<name>.{ark,scp} and <data-dir>/cmvn.scp.
set -euo pipefail

cmd=run.pl

echo "$0 $*"
help_message="Usage: $0 [options] <data-dir> [<log-dir> [<cmvn-dir>]]
 e.g.: $0 data/train exp/make_fbank/train fbank"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -lt 1 ] || [ $# -gt 3 ]; then
  echo "$help_message" >&2
  exit 1
fi
data=$1
name=$(basename "$data")
logdir=${2:-$data/log}
cmvndir=${3:-$data/data}

require "$data/feats.scp" "$data/utt2spk"
lock_dir "$data"
stamp=$data/cmvn.fingerprint
skip_if_done "$stamp" "$data/cmvn.scp" "" "$data/feats.scp" "$data/utt2spk"
mkdir -p "$logdir" "$cmvndir"
cmvndir=$(cd "$cmvndir" && pwd)
$cmd "$logdir/cmvn_$name.log" \
  "$pkd_python" -m pykaldi_distill.bin.compute_cmvn_stats "$data" \
    "$cmvndir/cmvn_$name.ark" "$cmvndir/cmvn_$name.scp"
cp "$cmvndir/cmvn_$name.scp" "$data/cmvn.scp.tmp"
mv "$data/cmvn.scp.tmp" "$data/cmvn.scp"
fingerprint_write "$stamp" "" "$data/feats.scp" "$data/utt2spk"
echo "$0: wrote per-speaker CMVN stats for $data"
