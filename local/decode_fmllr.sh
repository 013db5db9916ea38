#!/usr/bin/env bash
# Speaker-adapted decoding of a SAT model (Kaldi steps/decode_fmllr.sh): per speaker, a
# speaker-independent best path with final.alimdl gives a first fMLLR transform, a best path
# with final.mdl on the adapted features refines it, then the adapted features are decoded
# (lattices and scoring as local/decode.sh). Writes <decode-dir>/trans.JOB too. Jobs are
# split by speaker. Takes local/decode.sh's options and arguments:
#   e.g.: local/decode_fmllr.sh --nj 2 --lattices true exp/tri3/graph data/test exp/tri3/decode_test
set -euo pipefail
exec "$(dirname "$0")/decode.sh" --fmllr true "$@"
