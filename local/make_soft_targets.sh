#!/usr/bin/env bash
# Soft alignments: run the teacher over a data dir and write its per-frame pdf posteriors as
# <out-dir>/targets.{scp,JOB.ark} (dense float matrices, frames x pdfs, T=1) and, with
# --topk K, sparse Kaldi Posteriors <out-dir>/post.{scp,JOB.ark}; --dense false writes only
# the latter (8 K bytes a frame instead of 4 x pdfs; train_student.sh reads either). The teacher's final.mdl and
# tree are copied so the dir is a self-contained targets dir for train_student.sh.
# The temperature is applied by the student's training (--temperature), not here.
set -euo pipefail

# Begin configuration section.
nj=4
cmd=run.pl
topk=0
dense=true          # false: no targets.scp, only the top-k post.scp (needs --topk)
num_threads=1
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <data-dir> <teacher-dir> <out-dir>
 e.g.: $0 --nj 4 data/train_fbank exp/teacher exp/teacher_targets
Options:
  --nj <n>  --cmd <run.pl|slurm.pl>  --topk <k>  --num-threads <n>
  --dense <true|false>   # dense targets.scp too (default: $dense; false needs --topk)"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -ne 3 ]; then
  echo "$help_message" >&2
  exit 1
fi
data=$1
teacher=$2
dir=$3

done_file=targets.scp options="topk=$topk"  # parse_options.sh checked --dense is true/false
if [ "$dense" = false ]; then done_file=post.scp options="topk=$topk dense=false"; fi
if [ "$dense" = false ] && [ "$topk" -le 0 ]; then
  echo "$0: ERROR: --dense false keeps only the top-k posteriors: give --topk <k>" >&2
  exit 1
fi
require "$data/feats.scp" "$data/cmvn.scp" "$teacher/final.pt" "$teacher/final.mdl" \
  "$teacher/tree" "$teacher/ali_train_pdf.counts"
inputs=("$data/feats.scp" "$data/cmvn.scp" "$data/utt2spk" "$teacher/final.pt"
  "$teacher/final.mdl" "$teacher/tree" "$teacher/ali_train_pdf.counts")
mkdir -p "$dir/log"
dir=$(cd "$dir" && pwd)
begin_step "$dir" "$dir/fingerprint" "$dir/$done_file"
rm -f "$dir/targets.scp" "$dir/post.scp"
if [ "$dense" = false ]; then rm -f "$dir"/targets.*.ark; fi  # a dense run's, now stale
if [ "$topk" -le 0 ]; then rm -f "$dir"/post.*.ark; fi
split_for_jobs "$data" "$nj"
post_opts=()
if [ "$topk" -gt 0 ]; then
  post_opts=(--topk "$topk" --post-ark "$dir/post.JOB.ark" --post-scp "$dir/post.JOB.scp")
fi
dense_out=()
if [ "$dense" = true ]; then dense_out=("$dir/targets.JOB.ark" "$dir/targets.JOB.scp"); fi
$cmd JOB=1:"$nj" "$dir/log/make_targets.JOB.log" \
  "$pkd_python" -m pykaldi_distill.bin.make_soft_targets --num-threads "$num_threads" \
    "${post_opts[@]}" "$data/split$nj/JOB" "$teacher" "${dense_out[@]}"
cp "$teacher/final.mdl" "$teacher/tree" "$dir/"
if [ "$topk" -gt 0 ]; then
  for n in $(seq "$nj"); do cat "$dir/post.$n.scp"; done | LC_ALL=C sort > "$dir/post.scp"
  rm -f "$dir"/post.*[0-9].scp
fi
if [ "$dense" = true ]; then
  for n in $(seq "$nj"); do cat "$dir/targets.$n.scp"; done | LC_ALL=C sort > "$dir/targets.scp.tmp"
  rm -f "$dir"/targets.*[0-9].scp
  mv "$dir/targets.scp.tmp" "$dir/targets.scp"
fi
echo "$0: wrote soft targets for $(wc -l < "$dir/$done_file") utterances to $dir"
fingerprint_write "$stamp" "$options" "${inputs[@]}"
