#!/usr/bin/env bash
# Train an n-gram LM (interpolated Witten-Bell) on Kaldi text files, utterance ids dropped:
# writes <arpa-out>, gzipped if it ends in .gz. With --prune, relative-entropy pruning as
# SRILM's `ngram -prune` (for a smaller decoding graph).
set -euo pipefail

# Begin configuration section.
order=3
words=
oov_word="<UNK>"
prune=0
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <text> [<text> ...] <arpa-out>
 e.g.: $0 --order 3 --words data/lang/words.txt data/train/text data/local/lm/lm_tg.arpa.gz
       $0 --order 3 --prune 1e-8 data/train/text data/local/lm/lm_tgpr.arpa.gz
Options:
  --order <n>           # n-gram order, 1 to 3 (default: $order)
  --words <words.txt>   # map words not in it to --oov-word, and give all its words a
                        # unigram (default: none; the text's words)
  --oov-word <word>     # (default: $oov_word)
  --prune <threshold>   # relative-entropy pruning threshold, as SRILM's ngram -prune,
                        # e.g. 1e-8 (default: $prune, no pruning)"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -lt 2 ]; then
  echo "$help_message" >&2
  exit 1
fi
texts=("${@:1:$#-1}")
arpa=${!#}

inputs=("${texts[@]}")
opts=(--order "$order" --oov "$oov_word" --prune "$prune")
if [ -n "$words" ]; then
  inputs+=("$words")
  opts+=(--words "$words")
fi
require "${inputs[@]}"
mkdir -p "$(dirname "$arpa")"
stamp=$arpa.fingerprint
skip_if_done "$stamp" "$arpa" "${opts[*]}" "${inputs[@]}"
mkdir -p "$(dirname "$arpa")"
pkd make_lm "${opts[@]}" "${texts[@]}" "$arpa"
echo "$0: wrote $arpa"
fingerprint_write "$stamp" "${opts[*]}" "${inputs[@]}"
