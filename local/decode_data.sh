#!/usr/bin/env bash
# Decode your own data with a trained model: any Kaldi data dir (audio in any format sox
# reads, at any sample rate) -> features with the model's own feature config -> CMVN ->
# decode -> score. The data dir is copied into <decode-dir>/data, never modified.
# A network trained on fMLLR features (feat_type fmllr) takes two passes, as in Kaldi's nnet1
# recipes: the GMM system named in its fmllr.conf decodes the data with fMLLR
# (<decode-dir>/decode_gmm), whose transforms make the network's input (<decode-dir>/data_fmllr).
set -euo pipefail

# Begin configuration section.
nj=2
cmd=run.pl
lmwts=
decode_opts=        # more local/decode.sh options, e.g. "--lattices true --word-map map.txt"
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <data-dir> <graph-dir> <model-dir> <decode-dir>
 e.g.: $0 /data/my_recordings exp/mono/graph exp/student_soft exp/student_soft/decode_mine
 The data dir needs wav.scp, utt2spk and text (for the WER).
Options:
  --nj <n>  --cmd <run.pl|slurm.pl>  --lmwts \"<w> ...\"
  --decode-opts \"<decode.sh options>\"  # e.g. \"--lattices true --word-map map.txt\""
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -ne 4 ]; then
  echo "$help_message" >&2
  exit 1
fi
src=$1
graph=$2
model=$3
dir=$4

require "$src/wav.scp" "$src/utt2spk" "$src/text" "$graph/HCLG.fst" "$model/final.mdl" \
  "$model/feat_type"
feat_type=$(cat "$model/feat_type")
require "$model/$feat_type.conf"
steps=$(dirname "$0")
feat_src=$model
if [ "$feat_type" = fmllr ]; then
  feat_src=$(sed -n 's/^--gmm-dir=//p' "$model/fmllr.conf")
  if [ -z "$feat_src" ]; then
    echo "$0: ERROR: no --gmm-dir= line in $model/fmllr.conf (re-make the features with" \
      "local/make_fmllr_feats.sh and retrain)" >&2
    exit 1
  fi
  require "$feat_src/final.mdl" "$feat_src/final.alimdl" "$feat_src/feat_type" "$feat_src/tree"
  if ! cmp -s "$feat_src/tree" "$model/tree"; then
    echo "$0: ERROR: $model was trained on the alignments of another tree than $feat_src's;" \
      "its graph cannot decode with $feat_src" >&2
    exit 1
  fi
  feat_type=$(cat "$feat_src/feat_type")
  require "$feat_src/$feat_type.conf"
fi
data=$dir/data
"$steps/copy_data_dir.sh" "$src" "$data"
if [ ! -f "$data/spk2utt" ]; then
  pkd split_data "$data" 1 >/dev/null && cp "$data/split1/1/spk2utt" "$data/spk2utt"
fi
pkd validate_data_dir --no-feats "$data"
nspk=$(wc -l < "$data/spk2utt")
if [ "$nj" -gt "$nspk" ]; then nj=$nspk; fi
"$steps/make_feats.sh" --nj "$nj" --cmd "$cmd" --feat-type "$feat_type" \
  --feat-config "$feat_src/$feat_type.conf" "$data" "$dir/log" "$data/data"
"$steps/compute_cmvn_stats.sh" "$data" "$dir/log" "$data/data"
if [ "$feat_src" != "$model" ]; then
  "$steps/decode_fmllr.sh" --nj "$nj" --cmd "$cmd" --model-dir "$feat_src" \
    "$graph" "$data" "$dir/decode_gmm"
  "$steps/make_fmllr_feats.sh" --nj "$nj" --cmd "$cmd" --transform-dir "$dir/decode_gmm" \
    "$dir/data_fmllr" "$data" "$feat_src" "$dir/log" "$dir/data_fmllr/data"
  data=$dir/data_fmllr
  "$steps/compute_cmvn_stats.sh" "$data" "$dir/log" "$data/data"
fi
# shellcheck disable=SC2086  # an option string, meant to split
"$steps/decode.sh" --nj "$nj" --cmd "$cmd" --model-dir "$model" --lmwts "$lmwts" $decode_opts \
  "$graph" "$data" "$dir"
