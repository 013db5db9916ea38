#!/usr/bin/env bash
# Align a data dir with a GMM system (Kaldi steps/align_si.sh): <ali-dir>/{ali.JOB.gz,
# final.mdl,tree,num_jobs,cmvn_opts,delta_opts}, in parallel over speaker splits. With
# --fmllr true (local/align_fmllr.sh) a SAT system aligns speaker-adapted features and
# writes each job's speaker transforms to trans.JOB.
set -euo pipefail

# Begin configuration section.
nj=4
cmd=run.pl
beam=10.0
retry_beam=40.0
boost_silence=1.0
fmllr=false          # true: speaker-adapted alignment of a SAT model (local/align_fmllr.sh)
max_unaligned=0.1    # the step fails when more of the utterances cannot be aligned
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <data-dir> <lang-dir> <src-dir> <ali-dir>
 e.g.: $0 --nj 4 data/train data/lang exp/mono exp/mono_ali
Options:
  --nj <n>                  # number of parallel jobs (default: $nj)
  --cmd <run.pl|slurm.pl>   # how to run jobs (default: $cmd)
  --beam <f> --retry-beam <f> --boost-silence <f>
  --max-unaligned <f>       # fail when more of the utterances cannot be aligned (default: $max_unaligned)
  --fmllr <true|false>      # per-speaker fMLLR, writes trans.JOB (SAT models; default: $fmllr)"
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

require "$data/feats.scp" "$data/cmvn.scp" "$data/text" "$lang/L.fst" "$srcdir/final.mdl" \
  "$srcdir/tree"
inputs=("$data/feats.scp" "$data/cmvn.scp" "$data/text" "$data/utt2spk" "$lang/L.fst"
  "$srcdir/final.mdl" "$srcdir/tree")
if [ "$fmllr" = true ]; then inputs+=("$srcdir/final.alimdl"); fi
options="beam=$beam retry_beam=$retry_beam boost_silence=$boost_silence fmllr=$fmllr"
begin_step "$dir" "$dir/fingerprint" "$dir"
rm -f "$dir"/ali.*.gz "$dir"/trans.* "$dir/num_jobs"
fmllr_opts=()
if [ "$fmllr" = true ]; then
  require "$srcdir/final.alimdl"
  fmllr_opts=(--fmllr --trans-name trans.JOB)
fi
split_for_jobs "$data" "$nj"
for f in final.mdl final.alimdl final.mat tree cmvn_opts delta_opts splice_opts feat_type fbank.conf mfcc.conf; do
  if [ -f "$srcdir/$f" ]; then cp "$srcdir/$f" "$dir/$f"; fi
done
$cmd JOB=1:"$nj" "$dir/log/align.JOB.log" \
  "$pkd_python" -m pykaldi_distill.bin.align_si --beam "$beam" --retry-beam "$retry_beam" \
    --boost-silence "$boost_silence" --ali-name ali.JOB.gz "${fmllr_opts[@]}" \
    "$data/split$nj/JOB" "$lang" "$srcdir" "$dir"
pkd check_alignments --max-unaligned "$max_unaligned" "$data" "$dir" "$nj"
echo "$nj" > "$dir/num_jobs"
echo "$0: aligned $data with $srcdir into $dir"
fingerprint_write "$stamp" "$options" "${inputs[@]}"
