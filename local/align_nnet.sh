#!/usr/bin/env bash
# Hard alignments from a hybrid network, e.g. the BLSTM teacher (Kaldi steps/nnet3/align.sh):
# <ali-dir>/{ali.JOB.gz,final.mdl,tree,num_jobs}, in parallel over speaker splits. --mode
# viterbi aligns each transcript through its training graph with the network's
# pseudo-log-likelihoods; --mode argmax writes the frame-wise most likely pdf.
set -euo pipefail

# Begin configuration section.
nj=4
cmd=run.pl
mode=viterbi        # viterbi | argmax
beam=10.0
retry_beam=40.0
acoustic_scale=0.1
num_threads=1
max_unaligned=0.1    # the step fails when more of the utterances cannot be aligned
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <data-dir> <lang-dir> <nnet-dir> <ali-dir>
 e.g.: $0 --nj 4 data/train_fbank data/lang exp/teacher exp/teacher_ali
Options:
  --nj <n>                  # number of parallel jobs (default: $nj)
  --cmd <run.pl|slurm.pl>   # how to run jobs (default: $cmd)
  --mode <viterbi|argmax>   # (default: $mode)
  --beam <f> --retry-beam <f> --acoustic-scale <f> --num-threads <n>
  --max-unaligned <f>  # fail when more of the utterances cannot be aligned (default: $max_unaligned)"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -ne 4 ]; then
  echo "$help_message" >&2
  exit 1
fi
data=$1
lang=$2
srcdir=$3
dir=$4

require "$data/feats.scp" "$data/cmvn.scp" "$lang/L.fst" "$srcdir/final.pt" \
  "$srcdir/final.mdl" "$srcdir/tree" "$srcdir/ali_train_pdf.counts"
if [ "$mode" = viterbi ]; then require "$data/text"; fi
inputs=("$data/feats.scp" "$data/cmvn.scp" "$data/utt2spk" "$lang/L.fst" "$srcdir/final.pt"
  "$srcdir/final.mdl" "$srcdir/tree" "$srcdir/ali_train_pdf.counts")
if [ "$mode" = viterbi ]; then inputs+=("$data/text"); fi
options="mode=$mode beam=$beam retry_beam=$retry_beam acoustic_scale=$acoustic_scale"
begin_step "$dir" "$dir/fingerprint" "$dir"
rm -f "$dir"/ali.*.gz "$dir/num_jobs"
split_for_jobs "$data" "$nj"
for f in final.mdl tree cmvn_opts feat_type fbank.conf mfcc.conf; do
  if [ -f "$srcdir/$f" ]; then cp "$srcdir/$f" "$dir/$f"; fi
done
$cmd JOB=1:"$nj" "$dir/log/align.JOB.log" \
  "$pkd_python" -m pykaldi_distill.bin.align_nnet --mode "$mode" --beam "$beam" \
    --retry-beam "$retry_beam" --acoustic-scale "$acoustic_scale" --num-threads "$num_threads" \
    --ali-name ali.JOB.gz "$data/split$nj/JOB" "$lang" "$srcdir" "$dir"
pkd check_alignments --max-unaligned "$max_unaligned" "$data" "$dir" "$nj"
echo "$nj" > "$dir/num_jobs"
echo "$0: aligned $data with $srcdir ($mode) into $dir"
fingerprint_write "$stamp" "$options" "${inputs[@]}"
