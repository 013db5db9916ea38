#!/usr/bin/env bash
# Lang dir with a grammar (Kaldi utils/format_lm.sh): copies <lang-dir> to <lang-test-dir>
# and adds G.fst made from the ARPA LM (arpa2fst --disambig-symbol=#0); n-grams with words
# not in words.txt are dropped.
set -euo pipefail

echo "$0 $*"
help_message="Usage: $0 <lang-dir> <arpa-or-arpa.gz> <lang-test-dir>
 e.g.: $0 data/lang data/local/lm/lm_tg.arpa.gz data/lang_test_tg"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -ne 3 ]; then
  echo "$help_message" >&2
  exit 1
fi
lang=$1
arpa=$2
dir=$3

inputs=("$arpa" "$lang/words.txt" "$lang/phones.txt" "$lang/L.fst" "$lang/L_disambig.fst"
  "$lang/topo")
require "${inputs[@]}"
stamp=$dir/G.fst.fingerprint
skip_if_done "$stamp" "$dir/G.fst" "" "${inputs[@]}"
pkd format_lm "$lang" "$arpa" "$dir"
echo "$0: made $dir"
fingerprint_write "$stamp" "" "${inputs[@]}"
