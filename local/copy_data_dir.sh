#!/usr/bin/env bash
# Copy the tables of a data dir (not its features), like Kaldi's utils/copy_data_dir.sh.
set -euo pipefail

echo "$0 $*"
help_message="Usage: $0 <src-data-dir> <dest-data-dir>"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -ne 2 ]; then
  echo "$help_message" >&2
  exit 1
fi
src=$1
dest=$2
require "$src/wav.scp" "$src/utt2spk"
mkdir -p "$dest"
for f in wav.scp utt2spk spk2utt text segments reco2file_and_channel; do
  if [ -f "$src/$f" ] && ! cmp -s "$src/$f" "$dest/$f"; then cp "$src/$f" "$dest/$f"; fi
done
pkd validate_data_dir --no-feats --no-text "$dest"
