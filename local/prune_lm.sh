#!/usr/bin/env bash
# Prune an ARPA LM by relative entropy, as SRILM's `ngram -prune` (Kaldi's WSJ recipe: its
# tgpr LM is the discs' trigram pruned at 1e-7), for a smaller decoding graph.
set -euo pipefail

# Begin configuration section.
threshold=1e-7
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <in.arpa[.gz]> <out.arpa[.gz]>
 e.g.: $0 --threshold 1e-7 data/local/lm_tg.arpa.gz data/local/lm/lm_tgpr.arpa.gz
Options:
  --threshold <f>           # relative-entropy threshold (default: $threshold)"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -ne 2 ]; then
  echo "$help_message" >&2
  exit 1
fi
require "$1"
mkdir -p "$(dirname "$2")"
stamp=$2.fingerprint
skip_if_done "$stamp" "$2" "threshold=$threshold" "$1"
pkd prune_lm --threshold "$threshold" "$1" "$2"
fingerprint_write "$stamp" "threshold=$threshold" "$1"
