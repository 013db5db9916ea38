#!/usr/bin/env bash
# Lang dir from a dict dir (Kaldi utils/prepare_lang.sh): <lang-dir>/{phones.txt,words.txt,
# L.fst,L_disambig.fst,topo,oov.txt,oov.int,phones/}. <tmp-dir> gets the intermediate
# lexicons (word-position phones, disambiguation symbols).
set -euo pipefail

# Begin configuration section.
position_dependent_phones=true
sil_prob=0.5
num_sil_states=5
num_nonsil_states=3
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <dict-dir> <oov-word> <tmp-dir> <lang-dir>
 e.g.: $0 data/local/dict '<UNK>' data/local/lang data/lang
<dict-dir> should contain lexicon.txt (or lexiconp.txt), silence_phones.txt,
nonsilence_phones.txt, optional_silence.txt and optionally extra_questions.txt.
Options:
  --position-dependent-phones <true|false>  # _B _E _I _S (default: $position_dependent_phones)
  --sil-prob <f>          # optional-silence probability, 0 <= f < 1 (default: $sil_prob)
  --num-sil-states <n>    # HMM states of silence phones (default: $num_sil_states)
  --num-nonsil-states <n> # HMM states of other phones (default: $num_nonsil_states)"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -ne 4 ]; then
  echo "$help_message" >&2
  exit 1
fi
src=$1
oov_word=$2
tmpdir=$3
dir=$4

lexicon=$src/lexicon.txt
if [ -f "$src/lexiconp.txt" ]; then lexicon=$src/lexiconp.txt; fi
inputs=("$lexicon" "$src/silence_phones.txt" "$src/nonsilence_phones.txt"
  "$src/optional_silence.txt")
if [ -f "$src/extra_questions.txt" ]; then inputs+=("$src/extra_questions.txt"); fi
require "${inputs[@]}"
outputs=(phones.txt words.txt topo oov.txt oov.int L.fst phones/sets.int phones/roots.int
  phones/disambig.int phones/silence.csl phones/nonsilence.csl phones/align_lexicon.int)
complete=true
for f in "${outputs[@]}"; do
  if [ ! -f "$dir/$f" ]; then complete=false; fi
done
# L_disambig.fst is written last.
options="position_dependent_phones=$position_dependent_phones sil_prob=$sil_prob"
options+=" num_sil_states=$num_sil_states num_nonsil_states=$num_nonsil_states oov=$oov_word"
stamp=$dir/fingerprint
if $complete && fingerprint_matches "$stamp" "$options" "${inputs[@]}"; then
  echo "$0: $dir is up to date (same inputs and options; delete $stamp to redo)"
  exit 0
fi
skip_if_done "$stamp" "$dir" "$options" "${inputs[@]}"
pkd prepare_lang --position-dependent-phones "$position_dependent_phones" \
  --sil-prob "$sil_prob" --num-sil-states "$num_sil_states" \
  --num-nonsil-states "$num_nonsil_states" "$src" "$oov_word" "$tmpdir" "$dir"
echo "$0: made lang dir $dir"
fingerprint_write "$stamp" "$options" "${inputs[@]}"
