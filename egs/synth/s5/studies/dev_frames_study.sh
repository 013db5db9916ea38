#!/usr/bin/env bash
# Does the teacher's frame-level lead survive on voices it never heard? After run.sh stage 8,
# force-align the dev set with the GMM system whose alignments trained the networks (tri3
# with fMLLR: align_fmllr.sh; tri2: align_si.sh), then measure each network's frame accuracy
# and mean log posterior of the aligned pdf against that alignment on the dev frames
# (frame_accuracy.py). STUDY_seen_voices.md measures the same on training voices. Dev only:
# the test set is not looked at. Writes STUDY_dev_frames.md.
#   studies/dev_frames_study.sh --networks "teacher student_gmm_s1 student_soft_s1"
# shellcheck source-path=SCRIPTDIR/..  # sourced files are named relative to the recipe dir
set -euo pipefail

# Begin configuration section.
seed=1
nj=2
networks=           # exp dir names; empty: the teacher and the seed-<seed> students
# End configuration section.

. ./cmd.sh
. ./path.sh
. steps_kd/parse_options.sh
. studies/study_common.sh

networks=${networks:-teacher student_gmm_s$seed student_rnnhard_s$seed student_soft_s$seed}
models=()
for name in $networks; do
  study_require "exp/$name/final.pt"
  models+=("$name=exp/$name")
done
dev_ali=${gmm_ali}_dev
if [ -f "$gmm/final.alimdl" ]; then
  steps_kd/align_fmllr.sh --nj "$nj" --cmd "$train_cmd" data/dev data/lang "$gmm" "$dev_ali"
else
  steps_kd/align_si.sh --nj "$nj" --cmd "$train_cmd" data/dev data/lang "$gmm" "$dev_ali"
fi
out=studies/STUDY_dev_frames.md
tmp=$out.tmp
{
  echo "# Frame accuracy on the held-out dev voices"
  echo
  echo "Written by studies/dev_frames_study.sh from the run's networks; do not edit by hand."
  echo "Reference: $dev_ali, $gmm's forced alignment of the dev transcripts (dev only; test"
  echo "is not looked at). STUDY_seen_voices.md has the same measure on training voices."
} > "$tmp"
python -m pykaldi_distill.bin.frame_accuracy --out "$tmp" "data/dev_$feats" "$dev_ali" "${models[@]}"
mv "$tmp" "$out"
cat "$out"
