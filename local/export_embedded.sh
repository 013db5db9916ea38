#!/usr/bin/env bash
# Export a DNN student for embedded runtimes: <out-dir>/student.onnx (float32),
# <out-dir>/student.int8.onnx (ONNX Runtime's dynamic int8 quantisation) and
# <out-dir>/student.int8.pt (PyTorch's dynamic int8). Decode any of them with
# local/decode.sh --exported <file> --model-dir <student-exp-dir> <graph> <data> <decode-dir>.
set -euo pipefail

echo "$0 $*"
help_message="Usage: $0 <student-exp-dir> <out-dir>
 e.g.: $0 exp/student_soft_s1 exp/student_soft_s1/embedded"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -ne 2 ]; then
  echo "$help_message" >&2
  exit 1
fi
exp=$1
dir=$2
require "$exp/final.pt" "$exp/ali_train_pdf.counts"
inputs=("$exp/final.pt" "$exp/ali_train_pdf.counts")
lock_dir "$dir"
stamp=$dir/fingerprint
skip_if_done "$stamp" "$dir" "" "${inputs[@]}"
pkd export_embedded "$exp" "$dir"
fingerprint_write "$stamp" "" "${inputs[@]}"
