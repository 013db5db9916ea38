#!/usr/bin/env bash
# Benchmark: the same decode (local/decode.sh, lattices on, as the recipes decode networks)
# run by two checkouts of the plugin on the same models, graph and data, one after the other
# on an idle machine, each model --rounds times (alternating checkouts); writes a report of
# wall and CPU RTF (best round) and WER per model and checkout. Each checkout needs its
# .venv (make install, or a link to another checkout's).
#
#   bench/bench_decode_commits.sh [--nj 2] [--rounds 2] [--out bench/REPORT_decode_path.md] \
#     <before-checkout> <after-checkout> <graph-dir> <data-dir> <model-dir>...
set -euo pipefail

nj=2
rounds=2
out=bench/REPORT_decode_path.md
while [ $# -gt 0 ]; do
  case $1 in
    --nj) nj=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) break ;;
  esac
done
if [ $# -lt 5 ]; then
  sed -n '2,9p' "$0" >&2
  exit 1
fi
before=$1
after=$2
graph=$3
data=$4
shift 4
for checkout in "$before" "$after"; do
  if [ ! -x "$checkout/local/decode.sh" ] || [ ! -x "$checkout/.venv/bin/python" ]; then
    echo "$0: ERROR: $checkout is not an installed plugin checkout (local/decode.sh and" \
      ".venv/bin/python expected; fix: make -C $checkout install)" >&2
    exit 1
  fi
done
work=$(mktemp -d "${TMPDIR:-/tmp}/bench_decode_commits.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
for model in "$@"; do
  for round in $(seq "$rounds"); do
    for side in before after; do
      checkout=$before
      if [ "$side" = after ]; then checkout=$after; fi
      dir=$work/$(basename "$model")/$side.$round
      echo "$0: $(basename "$model") round $round: $side ($checkout)"
      (unset PKD_ROOT PYTHONPATH; "$checkout/local/decode.sh" --nj "$nj" --lattices true \
        --model-dir "$model" "$graph" "$data" "$dir" > "$work/last.log" 2>&1) ||
        { cat "$work/last.log" >&2; exit 1; }
    done
  done
done
"$after/.venv/bin/python" "$(dirname "$0")/report_decode_commits.py" \
  --seconds $(($(date +%s) - start)) --nj "$nj" --out "$out" \
  "$before" "$after" "$graph" "$data" "$work" "$@"
