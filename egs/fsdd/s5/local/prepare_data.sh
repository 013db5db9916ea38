#!/usr/bin/env bash
# Data preparation for the FSDD recipe: checks the corpus dir (an FSDD checkout holding
# recordings/<digit>_<speaker>_<index>.wav) and writes, for each leave-one-speaker-out fold,
# <out-dir>/<test-speaker>/{train,dev,test,dev_connected,test_connected} and the digit-loop LM
# text <out-dir>/lm_text. The recordings are not copied. Re-running with the same options
# does nothing.
# shellcheck source-path=SCRIPTDIR/..  # sourced files are named relative to the recipe dir
set -euo pipefail

# Begin configuration section.
per_digit=        # recordings per speaker and digit (first by index); empty: all
connected=100     # connected-digit utterances per held-out speaker
test_speakers=    # the folds' test speakers, e.g. "george theo"; empty: every speaker
seed=1
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <fsdd-dir> <out-dir>
 e.g.: $0 /data/free-spoken-digit-dataset data/folds
Options:
  --per-digit <n>            # recordings per speaker and digit (default: all)
  --connected <n>            # connected-digit utterances per held-out speaker (default: $connected)
  --test-speakers \"<s> ...\"  # the folds to make (default: one per speaker)
  --seed <n>                 # of the connected strings and pauses (default: $seed)"
. steps_kd/parse_options.sh

if [ $# -ne 2 ]; then
  echo "$help_message" >&2
  exit 1
fi

. ./path.sh
. steps_kd/pkd_env.sh

opts=(--connected "$connected" --test-speakers "$test_speakers" --seed "$seed")
if [ -n "$per_digit" ]; then opts+=(--per-digit "$per_digit"); fi
pkd make_fsdd_data "${opts[@]}" "$1" "$2"
