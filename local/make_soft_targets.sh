#!/usr/bin/env bash
# Soft alignments: run the teacher over a data dir and write its per-frame pdf posteriors as
# <out-dir>/targets.{scp,JOB.ark} (dense float matrices, frames x pdfs, T=1) and, with
# --topk K, sparse Kaldi Posteriors <out-dir>/post.{scp,JOB.ark}. The teacher's final.mdl and
# tree are copied so the dir is a self-contained targets dir for train_student.sh.
# The temperature is applied by the student's training (--temperature), not here.
set -euo pipefail

# Begin configuration section.
nj=4
cmd=run.pl
topk=0
num_threads=1
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <data-dir> <teacher-dir> <out-dir>
 e.g.: $0 --nj 4 data/train_fbank exp/teacher exp/teacher_targets
Options:
  --nj <n>  --cmd <run.pl|slurm.pl>  --topk <k>  --num-threads <n>"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -ne 3 ]; then
  echo "$help_message" >&2
  exit 1
fi
data=$1
teacher=$2
dir=$3

require "$data/feats.scp" "$data/cmvn.scp" "$teacher/final.pt" "$teacher/final.mdl" \
  "$teacher/tree" "$teacher/ali_train_pdf.counts"
inputs=("$data/feats.scp" "$data/cmvn.scp" "$data/utt2spk" "$teacher/final.pt"
  "$teacher/final.mdl" "$teacher/tree" "$teacher/ali_train_pdf.counts")
mkdir -p "$dir/log"
dir=$(cd "$dir" && pwd)
lock_dir "$dir"
stamp=$dir/fingerprint
skip_if_done "$stamp" "$dir/targets.scp" "topk=$topk" "${inputs[@]}"
rm -f "$dir/targets.scp" "$dir/post.scp"
split_for_jobs "$data" "$nj"
post_opts=()
if [ "$topk" -gt 0 ]; then
  post_opts=(--topk "$topk" --post-ark "$dir/post.JOB.ark" --post-scp "$dir/post.JOB.scp")
fi
$cmd JOB=1:"$nj" "$dir/log/make_targets.JOB.log" \
  "$pkd_python" -m pykaldi_distill.bin.make_soft_targets --num-threads "$num_threads" \
    "${post_opts[@]}" "$data/split$nj/JOB" "$teacher" "$dir/targets.JOB.ark" \
    "$dir/targets.JOB.scp"
cp "$teacher/final.mdl" "$teacher/tree" "$dir/"
if [ "$topk" -gt 0 ]; then
  for n in $(seq "$nj"); do cat "$dir/post.$n.scp"; done | LC_ALL=C sort > "$dir/post.scp"
  rm -f "$dir"/post.*[0-9].scp
fi
for n in $(seq "$nj"); do cat "$dir/targets.$n.scp"; done | LC_ALL=C sort > "$dir/targets.scp.tmp"
rm -f "$dir"/targets.*[0-9].scp
mv "$dir/targets.scp.tmp" "$dir/targets.scp"
echo "$0: wrote soft targets for $(wc -l < "$dir/targets.scp") utterances to $dir"
fingerprint_write "$stamp" "topk=$topk" "${inputs[@]}"
