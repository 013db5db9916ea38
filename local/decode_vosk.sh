#!/usr/bin/env bash
# Decode a data dir through Vosk (pip `vosk`: Kaldi's online feature pipeline, nnet3 and
# online lattice decoder) with a model dir from local/export_nnet3.sh, each utterance
# streamed in --chunk-seconds pieces, then score it as local/decode.sh scores ours. Writes
# <decode-dir>/{scoring_kaldi/,wer_1_0.0,rtf.json,words.ctm,log/}; rtf.json has Vosk's CPU
# time per second of audio and the summed latency from the last chunk to the final result.
set -euo pipefail

# Begin configuration section.
nj=4
cmd=run.pl
chunk_seconds=0.2    # audio fed to the recogniser at a time
word_map=            # a file of 'FROM TO' lines applied to refs and hyps before scoring
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <data-dir> <vosk-model-dir> <decode-dir>
 e.g.: $0 --nj 2 data/test exp/student_soft/vosk exp/student_soft/decode_test_vosk
<data-dir> needs wav.scp and text (Vosk computes the features from the audio).
Options:
  --nj <n>                    # number of parallel jobs (default: $nj)
  --cmd <run.pl|slurm.pl>     # how to run jobs (default: $cmd)
  --chunk-seconds <s>         # streaming chunk (default: $chunk_seconds)
  --word-map <file>           # 'FROM TO' lines applied to refs and hyps before scoring"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -ne 3 ]; then
  echo "$help_message" >&2
  exit 1
fi
data=$1
model=$2
dir=$3
require "$data/wav.scp" "$data/text" "$model/am/final.mdl" "$model/conf/model.conf" \
  "$model/graph/HCLG.fst"
inputs=("$data/wav.scp" "$data/text" "$data/utt2spk" "$model/am/final.mdl"
  "$model/conf/model.conf" "$model/graph/HCLG.fst" "$model/graph/words.txt")
for f in "$data/segments" "$model/conf/fbank.conf" "$model/conf/mfcc.conf" \
    "$model/am/global_cmvn.stats"; do
  if [ -f "$f" ]; then inputs+=("$f"); fi
done
options="chunk_seconds=$chunk_seconds"
begin_decode_dir "$dir"
rm -f "$dir/words.ctm"
split_for_jobs --per-utt "$data" "$nj"
$cmd JOB=1:"$nj" "$dir/log/decode.JOB.log" \
  "$pkd_python" -m pykaldi_distill.bin.decode_vosk --chunk-seconds "$chunk_seconds" \
    "$data/split${nj}utt/JOB" "$model" "$dir/tmp.JOB"
pkd merge_decode "$dir" "$nj"
pkd score "${score_opts[@]}" "$data" "$dir"
require "$dir/scoring_kaldi/best_wer"
fingerprint_write "$stamp" "$options" "${inputs[@]}"
