#!/usr/bin/env bash
# Benchmark: data-parallel training under torchrun on this machine against one process.
# Trains the same network (local/train_student.sh, or train_teacher.sh with --teacher) for
# --epochs epochs as: 1 process x 2 threads (the default), 2 processes x 1 thread
# (--procs-per-node 2), and 1 process x 1 thread; writes training frames/s, seconds per
# epoch and cv loss of each, and the speed-up against the default.
#
#   bench/bench_torchrun.sh [--teacher] [--epochs 1] [--opts "<train options>"] \
#     [--out bench/REPORT_torchrun.md] <data-dir> <lang-dir> <ali-or-targets-dir>
set -euo pipefail

script=train_student.sh
epochs=1
opts=
out=bench/REPORT_torchrun.md
while [ $# -gt 0 ]; do
  case $1 in
    --teacher) script=train_teacher.sh; shift ;;
    --epochs) epochs=$2; shift 2 ;;
    --opts) opts=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) break ;;
  esac
done
if [ $# -ne 3 ]; then
  sed -n '2,9p' "$0" >&2
  exit 1
fi
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/bench_torchrun.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
runs=()
for setting in 1x2 2x1 1x1; do
  procs=${setting%x*}
  threads=${setting#*x}
  echo "$0: $script, $procs process(es) x $threads thread(s)"
  # shellcheck disable=SC2086  # option strings are meant to split
  "$root/local/$script" --max-epochs "$epochs" --min-epochs "$epochs" --num-threads "$threads" \
    --procs-per-node "$procs" $opts "$1" "$2" "$3" "$work/$setting" > "$work/$setting.out"
  runs+=("$setting=$work/$setting")
done
"$root/.venv/bin/python" "$root/bench/report_torchrun.py" --seconds $(($(date +%s) - start)) \
  --script "$script" --opts "$opts" --out "$out" "$1" "${runs[@]}"
