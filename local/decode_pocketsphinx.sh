#!/usr/bin/env bash
# Decode a data dir with PocketSphinx (pip `pocketsphinx`, its packaged US-English model)
# and a JSGF grammar over a word list, then score it as local/decode.sh scores ours: a peer
# system on the same recordings. Writes <decode-dir>/{scoring_kaldi/,wer_1_0.0,rtf.json,log/};
# RTF is PocketSphinx's CPU time (features and search) per second of audio.
set -euo pipefail

# Begin configuration section.
nj=4
cmd=run.pl
single_word=false    # true: exactly one word per utterance (isolated words); false: a loop
rate=16000           # the rate audio is resampled to (the packaged model's)
word_map=            # a file of 'FROM TO' lines applied to refs and hyps before scoring
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <words> <data-dir> <decode-dir>
 e.g.: $0 --nj 2 data/lang/words.txt data/test exp/pocketsphinx/decode_test
<words> is a Kaldi words.txt or a word list: the grammar's vocabulary (<eps>, <UNK>, #0 ...
are skipped). Every word must be in PocketSphinx's dictionary.
Options:
  --nj <n>                    # number of parallel jobs (default: $nj)
  --cmd <run.pl|slurm.pl>     # how to run jobs (default: $cmd)
  --single-word <true|false>  # one word per utterance, not a loop (default: $single_word)
  --rate <hz>                 # sample rate for the model (default: $rate)
  --word-map <file>           # 'FROM TO' lines applied to refs and hyps before scoring"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -ne 3 ]; then
  echo "$help_message" >&2
  exit 1
fi
words=$1
data=$2
dir=$3
require "$words" "$data/wav.scp" "$data/text"
inputs=("$words" "$data/wav.scp" "$data/text" "$data/utt2spk")
if [ -f "$data/segments" ]; then inputs+=("$data/segments"); fi
options="single_word=$single_word rate=$rate"
begin_decode_dir "$dir"
sphinx_opts=(--rate "$rate")
if [ "$single_word" = true ]; then sphinx_opts+=(--single-word); fi
split_for_jobs --per-utt "$data" "$nj"
$cmd JOB=1:"$nj" "$dir/log/decode.JOB.log" \
  "$pkd_python" -m pykaldi_distill.bin.decode_pocketsphinx "${sphinx_opts[@]}" \
    "$words" "$data/split${nj}utt/JOB" "$dir/tmp.JOB"
pkd merge_decode "$dir" "$nj"
pkd score "${score_opts[@]}" "$data" "$dir"
require "$dir/scoring_kaldi/best_wer"
fingerprint_write "$stamp" "$options" "${inputs[@]}"
