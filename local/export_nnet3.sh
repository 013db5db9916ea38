#!/usr/bin/env bash
# Export a DNN student as a Kaldi nnet3 acoustic model inside a Vosk model directory:
# <out-dir>/am/final.mdl (TransitionModel + AmNnetSimple with priors, as nnet3-am-copy writes
# it; nnet3-latgen-faster and online2-wav-nnet3-latgen-faster read it), am/tree, conf/ (the
# features and Vosk's decoder options) and graph/ (HCLG.fst, words.txt, word boundaries).
# Decode with local/decode_vosk.sh. A student trained with per-speaker mean normalisation
# gets the training set's global mean (Vosk has no per-speaker CMVN): train one for streaming
# with --cmvn-opts "--norm-means=false".
set -euo pipefail

# Begin configuration section.
binary=true          # false: final.mdl in Kaldi text
acoustic_scale=0.1   # Vosk's acoustic scale: 1 / the LM weight chosen on dev
beam=13.0
max_active=7000
lattice_beam=6.0
train_data=          # data dir whose CMVN stats give the global mean (default: config.json's)
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <student-exp-dir> <graph-dir> <out-dir>
 e.g.: $0 --acoustic-scale 0.1 exp/student_soft exp/tri3/graph exp/student_soft/vosk
Options:
  --binary <true|false>     # final.mdl in Kaldi binary or text (default: $binary)
  --acoustic-scale <s>      # Vosk's acoustic scale, 1/LM weight (default: $acoustic_scale)
  --beam <b> --max-active <n> --lattice-beam <b>   # Vosk's decoder (default: $beam $max_active $lattice_beam)
  --train-data <dir>        # global mean's data dir, for a mean-normalised student"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -ne 3 ]; then
  echo "$help_message" >&2
  exit 1
fi
exp=$1
graph=$2
dir=$3
require "$exp/final.pt" "$exp/final.mdl" "$exp/tree" "$exp/ali_train_pdf.counts" \
  "$exp/cmvn_opts" "$exp/feat_type" "$graph/HCLG.fst" "$graph/words.txt" "$graph/num_pdfs" \
  "$graph/phones/silence.int"
inputs=("$exp/final.pt" "$exp/final.mdl" "$exp/tree" "$exp/ali_train_pdf.counts"
  "$exp/cmvn_opts" "$exp/feat_type" "$exp/$(cat "$exp/feat_type").conf" "$graph/HCLG.fst"
  "$graph/words.txt" "$graph/num_pdfs" "$graph/phones/silence.int")
if [ -n "$train_data" ]; then inputs+=("$train_data/cmvn.scp"); fi
options="binary=$binary acoustic_scale=$acoustic_scale beam=$beam max_active=$max_active"
options+=" lattice_beam=$lattice_beam train_data=$train_data"
lock_dir "$dir"
stamp=$dir/fingerprint
skip_if_done "$stamp" "$dir" "$options" "${inputs[@]}"
opts=(--binary "$binary" --acoustic-scale "$acoustic_scale" --beam "$beam"
  --max-active "$max_active" --lattice-beam "$lattice_beam")
if [ -n "$train_data" ]; then opts+=(--train-data "$train_data"); fi
pkd export_nnet3 "${opts[@]}" "$exp" "$graph" "$dir"
fingerprint_write "$stamp" "$options" "${inputs[@]}"
