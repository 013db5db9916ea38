#!/usr/bin/env bash
# Data preparation for the digits recipe: synthesises the connected-digits corpus offline
# (espeak-ng, flite and festival voices with light sox perturbation) into <corpus-dir>/wav
# and writes the Kaldi data dirs <corpus-dir>/data/{train,test}. The test set holds only
# voices unseen in training. Re-running with the same size and seed does nothing.
# shellcheck source-path=SCRIPTDIR/..  # sourced files are named relative to the recipe dir
set -euo pipefail

# Begin configuration section.
size=tiny   # tiny (~4 min of training audio, CI) | small (~15 min) | demo (~55 min)
seed=1
nj=2
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [--size tiny|small|demo] [--seed N] [--nj N] <corpus-dir>
 e.g.: $0 --size demo --nj 4 corpus
Options:
  --size <tiny|small|demo>  # how much audio (default: $size)
  --seed <n>                # random seed of texts and perturbations (default: $seed)
  --nj <n>                  # parallel synthesis jobs (default: $nj)"
. steps_kd/parse_options.sh

if [ $# -ne 1 ]; then
  echo "$help_message" >&2
  exit 1
fi
corpus=$1

. ./path.sh
. steps_kd/pkd_env.sh

pkd make_digits_corpus --size "$size" --seed "$seed" --nj "$nj" "$corpus"
