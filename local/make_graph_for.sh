#!/usr/bin/env bash
# Decode your own words with an existing model, no retraining: from a word list, a list of
# phrases or LM text, a lexicon (CMUdict, an --extra-lexicon, and a G2P for the words they
# lack), a lang dir over the model's own phones (Kaldi: prepare_lang.sh
# --phone-symbol-table), G.fst (a word loop, a phrase grammar, or an n-gram LM), and HCLG with
# the model's tree: <out-dir> is then a graph dir for local/decode_data.sh. Work files go to
# <out-dir>/local (text, dict with lexicon_g2p.lex for the guessed words, lang, lang_test).
set -euo pipefail

# Begin configuration section.
grammar=words       # words: any sequence of the listed words; phrases: exactly one line of
                    # the list; ngram: an n-gram LM of the lines (sentences of your domain)
order=3             # ngram: the LM order, 1 to 3
g2p_dir=            # G2P (local/train_g2p.sh) for words no lexicon has (else: an error)
nbest=1             # with --g2p-dir: pronunciations per guessed word, at most
pmass=1.0
extra_lexicon=      # 'WORD PH1 PH2 ...' lines, the model's phones; they replace CMUdict's
sil_prob=0.5        # as the model's lang dir was made (local/prepare_lang.sh --sil-prob)
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <lang-dir> <model-dir> <words-or-text> <out-dir>
 e.g.: $0 --g2p-dir exp/g2p data/lang exp/tri3 my_words.txt exp/tri3/graph_mine
       $0 --grammar phrases data/lang exp/tri3 commands.txt exp/tri3/graph_commands
       local/decode_data.sh my_recordings exp/tri3/graph_mine exp/student_soft exp/student_soft/decode_mine
 <lang-dir> is the lang dir the model was trained with; <words-or-text> has one word,
 phrase or sentence per line. A network decodes with the graph of the GMM whose tree it
 shares (e.g. exp/tri3 for students trained on exp/tri3_ali).
Options:
  --grammar <words|phrases|ngram>  # (default: $grammar)
  --order <n>               # ngram: LM order (default: $order)
  --g2p-dir <dir>           # G2P for words CMUdict and --extra-lexicon lack (default: none)
  --nbest <n> --pmass <p>   # with --g2p-dir (default: $nbest, $pmass)
  --extra-lexicon <file>    # (default: none)
  --sil-prob <f>            # the model's lang dir's optional-silence probability (default: $sil_prob)"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -ne 4 ]; then
  echo "$help_message" >&2
  exit 1
fi
lang=$1
model=$2
list=$3
dir=$4
steps=$(dirname "$0")

case $grammar in
  words|phrases|ngram) ;;
  *) echo "$0: ERROR: --grammar must be words, phrases or ngram, not '$grammar'" >&2; exit 1 ;;
esac
require "$list" "$lang/phones.txt" "$lang/topo" "$lang/oov.txt" "$lang/phones/sets.txt" \
  "$model/final.mdl" "$model/tree"
work=$dir/local
mkdir -p "$work"

# The list as a Kaldi text file (the dict and LM steps read those): one line per phrase or
# sentence, one per word for a word list.
if [ "$grammar" = words ]; then
  awk '{ for (i = 1; i <= NF; i++) printf "w%06d %s\n", ++n, $i }' "$list" > "$work/text.tmp"
else
  awk 'NF { printf "p%06d %s\n", ++n, $0 }' "$list" > "$work/text.tmp"
fi
if ! cmp -s "$work/text.tmp" "$work/text"; then mv "$work/text.tmp" "$work/text"; else rm "$work/text.tmp"; fi
if [ ! -s "$work/text" ]; then
  echo "$0: ERROR: $list has no words (give one word, phrase or sentence per line)" >&2
  exit 1
fi

dict_opts=(--phones-from "$lang")
if [ -n "$g2p_dir" ]; then dict_opts+=(--g2p-dir "$g2p_dir" --nbest "$nbest" --pmass "$pmass"); fi
if [ -n "$extra_lexicon" ]; then dict_opts+=(--extra-lexicon "$extra_lexicon"); fi
if ! "$steps/prepare_dict.sh" "${dict_opts[@]}" "$work/text" "$work/dict"; then
  echo "$0: ERROR: no lexicon for the words of $list (above: which words, and why)" >&2
  exit 1
fi

positions=false
if [ -f "$lang/phones/word_boundary.txt" ]; then positions=true; fi
"$steps/prepare_lang.sh" --sil-prob "$sil_prob" --position-dependent-phones "$positions" \
  "$work/dict" "$(cat "$lang/oov.txt")" "$work/lang_tmp" "$work/lang"
# Same phones and ids as the model's lang (the #n disambiguation symbols may differ) and the
# same HMM topology, or the graph would decode into nonsense.
if ! cmp -s <(grep -v '^#' "$lang/phones.txt") <(grep -v '^#' "$work/lang/phones.txt") \
    || ! cmp -s "$lang/topo" "$work/lang/topo"; then
  echo "$0: ERROR: the lang dir made for $list has other phones or HMM topology than $lang" \
    "(fix: give the lang dir $model was trained with; if it was made with other" \
    "local/prepare_lang.sh options, make it again with the defaults)" >&2
  exit 1
fi

case $grammar in
  ngram)
    "$steps/train_lm.sh" --order "$order" --words "$work/lang/words.txt" "$work/text" \
      "$work/lm.arpa.gz"
    "$steps/format_lm.sh" "$work/lang" "$work/lm.arpa.gz" "$work/lang_test" ;;
  *)
    stamp=$work/lang_test/G.fst.fingerprint
    inputs=("$list" "$work/lang/words.txt" "$work/lang/L_disambig.fst")
    if ! fingerprint_matches "$stamp" "grammar=$grammar" "${inputs[@]}"; then
      rm -f "$stamp"
      pkd make_grammar --grammar "$grammar" "$work/lang" "$list" "$work/lang_test"
      fingerprint_write "$stamp" "grammar=$grammar" "${inputs[@]}"
    fi ;;
esac
"$steps/mkgraph.sh" "$work/lang_test" "$model" "$dir"
echo "$0: made $dir/HCLG.fst for the words of $list ($grammar); decode with" \
  "local/decode_data.sh <data-dir> $dir <model-dir> <decode-dir>"
