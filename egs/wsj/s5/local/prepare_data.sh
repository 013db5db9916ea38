#!/usr/bin/env bash
# Data preparation for the WSJ recipe: finds the discs (11-13.1, 13-34.1, ...) in or below the
# directories given and writes <out-dir>/{train,dev,test} = si284, dev93, eval92 (Kaldi's
# wsj_data_prep.sh sets and transcript normalisation) and, when the LM disc 13-32.1 is there,
# <out-dir>/local/lm_tg.arpa.gz (its 20k open-vocabulary trigram). wav.scp reads the .wv1
# files where they are, through steps_kd/sph2pipe. Re-running with the same inputs does nothing.
# shellcheck source-path=SCRIPTDIR/..  # sourced files are named relative to the recipe dir
set -euo pipefail

echo "$0 $*"
help_message="Usage: $0 <out-dir> <wsj-dir> [<wsj-dir> ...]
 e.g.: $0 data /data/LDC93S6B /data/LDC94S13B"
. steps_kd/parse_options.sh

if [ $# -lt 2 ]; then
  echo "$help_message" >&2
  exit 1
fi
. ./path.sh
. steps_kd/pkd_env.sh

out=$1
shift
# What the fingerprint records: the index and transcript files of the discs given.
mapfile -t inputs < <(find -L "$@" \( -iname '*.ndx' -o -iname '*.dot' \) \
  2>/dev/null | sort)
options="wsj_dirs=$*"
prepare_once "$out" pkd prepare_wsj "$out" "$@"
