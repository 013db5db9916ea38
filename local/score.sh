#!/usr/bin/env bash
# Score a decode directory like Kaldi's local/score.sh (steps/scoring/score_kaldi_wer.sh).
#
# The decoder leaves its hypotheses as Kaldi text files
#   <decode-dir>/scoring_kaldi/penalty_<wip>/<lmwt>.txt
# (one per LM weight and word insertion penalty). This writes <decode-dir>/wer_<lmwt>_<wip>,
# scoring_kaldi/{test_filt.txt,best_wer} and scoring_kaldi/wer_details/{lmwt,wip,per_utt,
# per_spk} for the best setting, and prints the best_wer line.
set -euo pipefail

# Begin configuration section.
cmd=run.pl
min_lmwt=7
max_lmwt=17
word_ins_penalty=
filter_noise=false
filter_regex=
mode=present
word_map=           # a file of 'FROM TO' lines applied to refs and hyps (e.g. OH ZERO)
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <data-dir> <lang-or-graph-dir> <decode-dir>
 e.g.: $0 --min-lmwt 7 --max-lmwt 17 data/test exp/mono/graph exp/mono/decode_test
Options:
  --min-lmwt <n>                # smallest LM weight to score (default: $min_lmwt)
  --max-lmwt <n>                # largest LM weight to score (default: $max_lmwt)
  --word-ins-penalty \"<p> ...\"  # penalties to score, e.g. \"0.0 0.5 1.0\" or 0.0,0.5
                                # (default: every penalty_<wip> dir the decoder wrote)
  --filter-noise (true|false)   # drop <UNK>, <sil>, [noise], !SIL ... tokens from refs
                                # and hyps before scoring (default: $filter_noise)
  --filter-regex <regex>        # drop tokens matching this (Python) regex instead
  --mode (present|all|strict)   # compute-wer mode for utterances without a hypothesis
  --word-map <file>             # 'FROM TO' lines applied to refs and hyps before scoring
  --cmd <cmd>                   # accepted for Kaldi compatibility; scoring runs here"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -ne 3 ]; then
  echo "$help_message" >&2
  exit 1
fi
data=$1
lang_or_graph=$2
dir=$3

require "$data/text" "$data/utt2spk" "$dir"
if [ ! -d "$lang_or_graph" ]; then
  echo "$0: ERROR: expected a lang or graph directory, got '$lang_or_graph'" >&2
  exit 1
fi
: "$cmd"  # scoring takes seconds: it is not sent to a queue

opts=(--min-lmwt "$min_lmwt" --max-lmwt "$max_lmwt" --mode "$mode")
if [ -n "$word_ins_penalty" ]; then
  opts+=(--word-ins-penalty "$word_ins_penalty")
fi
if [ -n "$filter_regex" ]; then
  opts+=(--filter-regex "$filter_regex")
elif $filter_noise; then
  opts+=(--filter-noise)
fi
if [ -n "$word_map" ]; then opts+=(--word-map "$word_map"); fi
pkd score "${opts[@]}" "$data" "$dir"
