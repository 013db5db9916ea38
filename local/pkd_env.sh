# Sourced by every step script: finds the package and its Python, so a step works from a
# recipe (path.sh already set up) and when called directly.
# shellcheck shell=bash
PKD_ROOT=${PKD_ROOT:-$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
export PKD_ROOT
case ":$PATH:" in *":$PKD_ROOT/local:"*) ;; *) export PATH="$PKD_ROOT/local:$PATH" ;; esac
export PYTHONPATH="$PKD_ROOT${PYTHONPATH:+:$PYTHONPATH}"
if [ -x "$PKD_ROOT/.venv/bin/python" ]; then
  pkd_python="$PKD_ROOT/.venv/bin/python"
else
  pkd_python=python3
fi
export pkd_python
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

# pkd CLI [args...]: run `python -m pykaldi_distill.bin.CLI`.
pkd() {
  local name=$1
  shift
  "$pkd_python" -m "pykaldi_distill.bin.$name" "$@"
}

# require FILE...: stop with a message naming the first missing file.
require() {
  local f
  for f in "$@"; do
    if [ ! -e "$f" ]; then
      echo "$0: ERROR: expected file $f to exist" >&2
      exit 1
    fi
  done
}

# require_made_by HOW FILE...: stop naming the first missing file and what makes it
# (e.g. "./run.sh through stage 5"), for recipe scripts that continue an earlier run.
require_made_by() {
  local how=$1 f
  shift
  for f in "$@"; do
    if [ ! -f "$f" ]; then
      echo "$0: ERROR: $f is missing; run $how first" >&2
      exit 1
    fi
  done
}

# up_to_date TARGET INPUT...: TARGET exists and is newer than every INPUT.
up_to_date() {
  local target=$1 f
  shift
  [ -f "$target" ] || return 1
  for f in "$@"; do
    [ "$target" -nt "$f" ] || return 1
  done
}
