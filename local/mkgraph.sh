#!/usr/bin/env bash
# Decoding graph HCLG.fst (Kaldi utils/mkgraph.sh): <graph-dir>/{HCLG.fst,words.txt,phones.txt,
# phones/,num_pdfs}.
set -euo pipefail

self_loop_scale=0.1
transition_scale=1.0

echo "$0 $*"
help_message="Usage: $0 [options] <lang-test-dir> <model-dir> <graph-dir>
 e.g.: $0 data/lang_test exp/mono exp/mono/graph
Options:
  --self-loop-scale <f>     # (default: $self_loop_scale; Kaldi uses 1.0 for chain models)"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -ne 3 ]; then
  echo "$help_message" >&2
  exit 1
fi
lang=$1
model=$2
dir=$3
require "$lang/G.fst" "$lang/L_disambig.fst" "$lang/phones.txt" "$lang/words.txt" \
  "$model/final.mdl" "$model/tree"
inputs=("$lang/G.fst" "$lang/L_disambig.fst" "$lang/phones.txt" "$lang/words.txt"
  "$model/final.mdl" "$model/tree")
options="self_loop_scale=$self_loop_scale transition_scale=$transition_scale"
lock_dir "$dir"
stamp=$dir/fingerprint
skip_if_done "$stamp" "$dir/HCLG.fst" "$options" "${inputs[@]}"
mkdir -p "$dir"
pkd mkgraph --self-loop-scale "$self_loop_scale" --transition-scale "$transition_scale" \
  "$lang" "$model" "$dir"
fingerprint_write "$stamp" "$options" "${inputs[@]}"
