#!/usr/bin/env bash
# Speaker-adapted alignment with a SAT system (Kaldi steps/align_fmllr.sh): final.alimdl
# aligns the unadapted features, each speaker's fMLLR transform is estimated from those
# alignments, then final.mdl aligns the adapted features. Writes <ali-dir>/ali.JOB.gz and
# trans.JOB; jobs are split by speaker. Takes local/align_si.sh's options and arguments:
#   e.g.: local/align_fmllr.sh --nj 2 data/train data/lang exp/tri3 exp/tri3_ali
set -euo pipefail
exec "$(dirname "$0")/align_si.sh" --fmllr true "$@"
