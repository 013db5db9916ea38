#!/usr/bin/env bash
# Data preparation for the mini-LibriSpeech recipe (OpenSLR 31; any LibriSpeech-layout corpus):
# checks <corpus-dir> (holding LibriSpeech/<part>/<reader>/<chapter>/*.flac + *.trans.txt)
# and writes <out-dir>/{train,dev,test}: --train-part, and --held-out-part split into dev and
# test halves of whole readers. wav.scp decodes the flac files where they are (`flac -c -d
# -s <file> |`, as Kaldi's data_prep.sh). Re-running with the same inputs does nothing.
# shellcheck source-path=SCRIPTDIR/..  # sourced files are named relative to the recipe dir
set -euo pipefail

# Begin configuration section.
train_part=train-clean-5
held_out_part=dev-clean-2
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <corpus-dir> <out-dir>
 e.g.: $0 /data/mini_librispeech data
Options:
  --train-part <name>       # the part to train on (default: $train_part)
  --held-out-part <name>    # the part split into dev and test by reader (default: $held_out_part)"
. steps_kd/parse_options.sh

if [ $# -ne 2 ]; then
  echo "$help_message" >&2
  exit 1
fi
. ./path.sh
. steps_kd/pkd_env.sh

corpus=$1
out=$2
inputs=()
for part in "$train_part" "$held_out_part"; do
  # A part is as new as its newest transcript file: what the fingerprint records.
  for root in "$corpus/LibriSpeech" "$corpus"; do
    if [ -d "$root/$part" ]; then
      mapfile -t -O "${#inputs[@]}" inputs < <(find -L "$root/$part" -name '*.trans.txt' | sort)
      break
    fi
  done
done
options="corpus=$corpus train_part=$train_part held_out_part=$held_out_part"
prepare_once "$out" pkd prepare_librispeech --train-part "$train_part" \
  --held-out-part "$held_out_part" "$corpus" "$out"
