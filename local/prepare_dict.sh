#!/usr/bin/env bash
# Dict dir from CMUdict for the words of Kaldi text files (like a recipe's
# local/prepare_dict.sh): <dict-dir>/{lexicon.txt,silence_phones.txt,optional_silence.txt,
# nonsilence_phones.txt,extra_questions.txt}; with --g2p-dir, words CMUdict lacks are guessed
# (lexicon_g2p.lex, and lexiconp.txt with their probabilities). Stress is removed (39 phones); SIL and SPN are
# the silence phones, with the words !SIL and <UNK>.
set -euo pipefail

# Begin configuration section.
extra_lexicon=
oov_list=        # list words no lexicon has here and leave them out (else: an error)
g2p_dir=         # a G2P model (local/train_g2p.sh): guess the words no lexicon has
nbest=1          # with --g2p-dir: pronunciations per guessed word, at most
pmass=1.0        # with --g2p-dir: the fewest pronunciations whose probabilities reach this
phones_from=     # an existing model's lang dir: write its phones (a new lang for its graphs)
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <text> [<text> ...] <dict-dir>
 e.g.: $0 --extra-lexicon conf/extra_lexicon.txt data/train/text data/test/text data/local/dict
Options:
  --extra-lexicon <file>    # 'WORD PH1 PH2 ...' lines for words CMUdict lacks; they replace
                            # CMUdict's entries (default: none)
  --oov-list <file>         # words no lexicon has: listed here and left out (they train as
                            # <UNK>, as in Kaldi), instead of an error (default: an error)
  --g2p-dir <dir>           # G2P model for the words no lexicon has (default: none)
  --nbest <n> --pmass <p>   # with --g2p-dir (default: $nbest, $pmass)
  --phones-from <lang-dir>  # the phones of the lang dir a model was trained with, so that
                            # a lang made from this dict has that model's phones.txt"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -lt 2 ]; then
  echo "$help_message" >&2
  exit 1
fi
texts=("${@:1:$#-1}")
dir=${!#}

inputs=("${texts[@]}")
opts=()
if [ -n "$extra_lexicon" ]; then
  inputs+=("$extra_lexicon")
  opts+=(--extra-lexicon "$extra_lexicon")
fi
if [ -n "$oov_list" ]; then opts+=(--oov-list "$oov_list"); fi
if [ -n "$g2p_dir" ]; then
  inputs+=("$g2p_dir/model.fst")
  opts+=(--g2p-dir "$g2p_dir" --nbest "$nbest" --pmass "$pmass")
fi
if [ -n "$phones_from" ]; then
  inputs+=("$phones_from/phones/sets.txt" "$phones_from/phones/silence.txt"
    "$phones_from/phones/optional_silence.txt")
  opts+=(--phones-from "$phones_from")
fi
require "${inputs[@]}"
mkdir -p "$dir"
stamp=$dir/lexicon.fingerprint
options="extra_lexicon=$extra_lexicon"
if [ -n "$oov_list" ]; then options+=" oov_list=$oov_list"; fi
if [ -n "$g2p_dir" ]; then options+=" g2p_dir=$g2p_dir nbest=$nbest pmass=$pmass"; fi
if [ -n "$phones_from" ]; then options+=" phones_from=$phones_from"; fi
skip_if_done "$stamp" "$dir/lexicon.txt" "$options" "${inputs[@]}"
pkd prepare_dict ${opts[@]+"${opts[@]}"} "${texts[@]}" "$dir"
echo "$0: made dict dir $dir"
fingerprint_write "$stamp" "$options" "${inputs[@]}"
