#!/usr/bin/env bash
# Part of a data dir (Kaldi's utils/subset_data_dir.sh): the utterances of --utt-list, or
# <num-utt> utterances evenly spaced over the sorted list (as subset_scp.pl picks them);
# tables, features and the cmvn.scp entries of their speakers.
set -euo pipefail

# Begin configuration section.
utt_list=
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 --utt-list <file> <src-data-dir> <dest-data-dir>
       $0 <src-data-dir> <num-utt> <dest-data-dir>
 e.g.: $0 --utt-list exp/student/valid_uttlist data/train_fbank data/train_cv_fbank
       $0 data/train_fbank 1000 data/train_1k_fbank"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ -n "$utt_list" ] && [ $# -eq 2 ]; then
  require "$utt_list" "$1/utt2spk"
  pkd subset_data_dir --utt-list "$utt_list" "$1" "$2"
  dest=$2
elif [ -z "$utt_list" ] && [ $# -eq 3 ]; then
  require "$1/utt2spk"
  pkd subset_data_dir --num-utts "$2" "$1" "$3"
  dest=$3
else
  echo "$help_message" >&2
  exit 1
fi
echo "$0: $(wc -l < "$dest/utt2spk") utterances of $1 in $dest"
