#!/usr/bin/env bash
# The part of a data dir holding listed utterances (Kaldi's utils/subset_data_dir.sh
# --utt-list): tables, features and the cmvn.scp entries of their speakers.
set -euo pipefail

# Begin configuration section.
utt_list=
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 --utt-list <file> <src-data-dir> <dest-data-dir>
 e.g.: $0 --utt-list exp/student/valid_uttlist data/train_fbank data/train_cv_fbank"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -ne 2 ] || [ -z "$utt_list" ]; then
  echo "$help_message" >&2
  exit 1
fi
require "$utt_list" "$1/utt2spk"
pkd subset_data_dir --utt-list "$utt_list" "$1" "$2"
echo "$0: $(wc -l < "$2/utt2spk") utterances of $1 in $2"
