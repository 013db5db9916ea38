#!/usr/bin/env bash
# Decode a data dir with HCLG and a GMM or hybrid neural model, then score (Kaldi
# steps/decode.sh + local/score.sh). The model dir is the decode dir's parent unless
# --model-dir is given. Writes <decode-dir>/{scoring_kaldi/,wer_*,rtf.json,log/}.
set -euo pipefail

# Begin configuration section.
nj=4
cmd=run.pl
model_dir=
lmwts=
beam=13.0
max_active=7000
lattices=false       # true: write lat.JOB.gz and rescore LMWT min..max x WIPs, with oracle WER
lattice_beam=6.0
min_lmwt=            # LM weights scored with --lattices (default: 4..15 for networks, as
max_lmwt=            # Kaldi's steps/nnet/decode.sh; 7..17 for GMMs, as its local/score.sh)
wips="0.0 0.5 1.0"
fmllr=false          # true: speaker-adapted decoding of a SAT model (local/decode_fmllr.sh)
class_frame_counts=  # neural models: pdf counts for the priors (default ali_train_pdf.counts)
prior_scale=1.0      # neural models: log P(s|x) - prior_scale * log P(s)
exported=            # DNN students: score with this export (local/export_embedded.sh)
frames_per_chunk=    # BLSTMs: output frames per chunk, 0 = whole utterance (empty: as trained)
extra_left_context=  # BLSTMs: context frames before / after each chunk (empty: as trained)
extra_right_context=
word_map=            # a file of 'FROM TO' lines applied to refs and hyps before scoring
stage=0              # 1: only score the hypotheses an earlier run left (e.g. a new --word-map)
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <graph-dir> <data-dir> <decode-dir>
 e.g.: $0 --nj 4 exp/mono/graph data/test exp/mono/decode_test
Options:
  --nj <n>                  # number of parallel jobs (default: $nj)
  --cmd <run.pl|slurm.pl>   # how to run jobs (default: $cmd)
  --model-dir <dir>         # model to decode with (default: parent of <decode-dir>)
  --lmwts \"<w> ...\"         # LM weights = 1/acoustic scale (default: 12 GMM, 10 nnet)
  --beam <f> --max-active <n>
  --lattices <true|false>   # lattices + LMWT/WIP sweep + oracle (default: $lattices)
  --lattice-beam <f> --wips \"<p> ...\"
  --min-lmwt <n> --max-lmwt <n>  # LM weights scored (default: 4..15 networks, 7..17 GMMs)
  --fmllr <true|false>      # per-speaker fMLLR first (SAT models; default: $fmllr)
  --class-frame-counts <f>  # neural models: counts for the priors (default: ali_train_pdf.counts)
  --prior-scale <f>         # neural models: scale of the log priors (default: $prior_scale)
  --exported <file>         # DNN students: an export (.onnx fp32/int8, .int8.pt) scores instead
  --word-map <file>         # 'FROM TO' lines applied to refs and hyps before scoring
  --stage <0|1>             # 1: score the hypotheses of an earlier run again, no decoding
  --frames-per-chunk <n> --extra-left-context <n> --extra-right-context <n>
                            # BLSTMs: how to chunk an utterance (default: as trained)"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -ne 3 ]; then
  echo "$help_message" >&2
  exit 1
fi
graph=$1
data=$2
dir=$3
model_dir=${model_dir:-$(dirname "$dir")}
lmwt_opts=()  # empty: the decoder's range for the model (acoustic.AcousticModel.lmwt_range)
if [ -n "$min_lmwt" ]; then lmwt_opts+=(--min-lmwt "$min_lmwt"); fi
if [ -n "$max_lmwt" ]; then lmwt_opts+=(--max-lmwt "$max_lmwt"); fi
nnet_opts=(--prior-scale "$prior_scale")
if [ -n "$class_frame_counts" ]; then
  require "$class_frame_counts"
  nnet_opts+=(--class-frame-counts "$class_frame_counts")
fi
if [ -n "$exported" ]; then
  require "$exported"
  nnet_opts+=(--exported "$exported")
fi
if [ -n "$frames_per_chunk" ]; then nnet_opts+=(--frames-per-chunk "$frames_per_chunk"); fi
if [ -n "$extra_left_context" ]; then nnet_opts+=(--extra-left-context "$extra_left_context"); fi
if [ -n "$extra_right_context" ]; then nnet_opts+=(--extra-right-context "$extra_right_context"); fi

require "$graph/HCLG.fst" "$graph/words.txt" "$data/feats.scp" "$data/text" "$model_dir/final.mdl"
inputs=("$graph/HCLG.fst" "$graph/words.txt" "$data/feats.scp" "$data/text" "$data/utt2spk"
  "$model_dir/final.mdl")
for f in "$data/cmvn.scp" "$model_dir/final.pt" "$model_dir/final.alimdl" \
    "${class_frame_counts:-$model_dir/ali_train_pdf.counts}"; do
  if [ -f "$f" ]; then inputs+=("$f"); fi
done
options="lmwts=$lmwts beam=$beam max_active=$max_active lattices=$lattices"
options+=" lattice_beam=$lattice_beam min_lmwt=$min_lmwt max_lmwt=$max_lmwt wips=$wips"
options+=" fmllr=$fmllr prior_scale=$prior_scale frames_per_chunk=$frames_per_chunk"
options+=" extra_left_context=$extra_left_context extra_right_context=$extra_right_context"
if [ -n "$exported" ]; then
  inputs+=("$exported")
  options+=" exported=$exported"
fi
if [ "$stage" -ge 1 ]; then
  rescore_decode_dir "$data" "$dir" "${lmwt_opts[@]}"
  exit 0
fi
begin_decode_dir "$dir"
rm -f "$dir"/lat.*.gz "$dir"/trans.*
# By utterance, not speaker: a few held-out voices that differ in decoding cost would
# otherwise leave one job running long after the others (CMVN stays per speaker). fMLLR
# estimates one transform per speaker, so it splits by speaker, as Kaldi does.
split_opts=(--per-utt)
sdata=$data/split${nj}utt
fmllr_opts=()
if [ "$fmllr" = true ]; then
  require "$model_dir/final.alimdl" "$graph/phones/silence.int"
  split_opts=()
  sdata=$data/split$nj
  fmllr_opts=(--fmllr)
fi
split_for_jobs "${split_opts[@]}" "$data" "$nj"
lat_opts=()
if [ "$lattices" = true ]; then
  lat_opts=(--lattices --lattice-beam "$lattice_beam" "${lmwt_opts[@]}" --wips "$wips")
fi
$cmd JOB=1:"$nj" "$dir/log/decode.JOB.log" \
  "$pkd_python" -m pykaldi_distill.bin.decode --lmwts "$lmwts" --beam "$beam" \
    --max-active "$max_active" "${lat_opts[@]}" "${fmllr_opts[@]}" "${nnet_opts[@]}" \
    "$graph" "$sdata/JOB" \
    "$model_dir" "$dir/tmp.JOB"
pkd merge_decode "$dir" "$nj"
pkd score "${score_opts[@]}" "${lmwt_opts[@]}" "$data" "$dir"
if [ -f "$dir/scoring_kaldi/oracle.txt" ]; then
  pkd compute_wer --text --mode=present "ark:$data/text" "ark:$dir/scoring_kaldi/oracle.txt" \
    > "$dir/scoring_kaldi/oracle_wer"
  echo "$0: lattice oracle $(head -n 1 "$dir/scoring_kaldi/oracle_wer")"
fi
require "$dir/scoring_kaldi/best_wer"
fingerprint_write "$stamp" "$options" "${inputs[@]}"
