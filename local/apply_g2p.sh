#!/usr/bin/env bash
# Pronunciations for a word list from a G2P model (Kaldi's steps/dict/apply_g2p_phonetisaurus.sh):
# <out-dir>/lexicon.lex (`word<TAB>prob<TAB>phones`, most likely first) and
# <out-dir>/lexicon.failed (words with letters the model never saw).
set -euo pipefail

# Begin configuration section.
nbest=1      # pronunciations per word, at most
pmass=1.0    # keep the fewest pronunciations whose probabilities sum to this
thresh=5     # prune n-best paths this far (-log prob) behind the best
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <word-list> <g2p-dir> <out-dir>
 e.g.: $0 --nbest 3 --pmass 0.9 data/local/oov_words.txt exp/g2p exp/g2p/oov_lex
Options:
  --nbest <n>     # (default: $nbest)
  --pmass <p>     # in (0, 1] (default: $pmass)
  --thresh <t>    # (default: $thresh)"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -ne 3 ]; then
  echo "$help_message" >&2
  exit 1
fi
words=$1
g2p=$2
dir=$3

require "$words" "$g2p/model.fst" "$g2p/config.json"
inputs=("$words" "$g2p/model.fst")
options="nbest=$nbest pmass=$pmass thresh=$thresh"
lock_dir "$dir"
stamp=$dir/lexicon.fingerprint
skip_if_done "$stamp" "$dir/lexicon.lex" "$options" "${inputs[@]}"
pkd apply_g2p --nbest "$nbest" --pmass "$pmass" --thresh "$thresh" "$words" "$g2p" "$dir"
fingerprint_write "$stamp" "$options" "${inputs[@]}"
