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
  if ! "$pkd_python" -c "import kaldi_native_io" 2>/dev/null; then
    echo "$0: ERROR: $PKD_ROOT/.venv is missing and $pkd_python has not the packages" \
      "either; install them with: make -C $PKD_ROOT install" >&2
    exit 1
  fi
fi
export pkd_python
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

# pkd CLI [args...]: run `python -m pykaldi_distill.bin.CLI`.
pkd() {
  local name=$1
  shift
  "$pkd_python" -m "pykaldi_distill.bin.$name" "$@"
}

# A step that fails removes what it put into the user's dirs on its way out (the split dirs
# of a data dir; Kaldi keeps them after success, and so do we).
pkd_remove_on_failure=()
remove_on_failure() { pkd_remove_on_failure+=("$@"); }
pkd_exit_cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ ${#pkd_remove_on_failure[@]} -gt 0 ]; then
    rm -rf -- "${pkd_remove_on_failure[@]}"
  fi
}
trap pkd_exit_cleanup EXIT

# split_for_jobs [--per-utt] DATA NJ: DATA/split<NJ>[utt]/{1..NJ} (Kaldi's split_data.sh),
# removed again if the step fails.
split_for_jobs() {
  local suffix="" nj=${*: -1}
  if [ "$1" = --per-utt ]; then suffix=utt; fi
  if ! [[ $nj =~ ^[0-9]+$ ]]; then
    echo "$0: ERROR: --nj '$nj' is not a number of jobs (fix: give --nj 1 or more)" >&2
    exit 1
  fi
  remove_on_failure "${*: -2:1}/split${*: -1}$suffix"
  pkd split_data "$@"
}

# lock_dir DIR: one step at a time writes DIR. The lock (DIR/.lock, fd 9) is held until
# this step and the jobs it started have ended; a second step on DIR stops at once.
lock_dir() {
  mkdir -p "$1"
  exec 9>>"$1/.lock"
  if ! flock -n 9; then
    echo "$0: ERROR: another step is writing $1 (it holds $1/.lock); wait for it to end," \
      "or give this one another dir" >&2
    exit 1
  fi
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

# "Up to date" means the same inputs and options, not only newer files. A step writes, as its
# last act, a fingerprint: its options and each input's identity (path, size, mtime to the
# nanosecond). On a rerun it skips only when the fingerprint it would write is the one there.
#   fingerprint_of OPTIONS INPUT...          the fingerprint, on stdout
#   fingerprint_matches STAMP OPTIONS INPUT...  true when STAMP holds exactly that
#   fingerprint_changes STAMP OPTIONS INPUT...  what differs from STAMP, for the console
#   fingerprint_write STAMP OPTIONS INPUT...    write it (temp, then rename)
fingerprint_of() {
  local opts=$1 f
  shift
  echo "options: $opts"
  for f in "$@"; do
    stat -L -c 'input: %n %s %.9Y' -- "$f" || return 1
  done
}

fingerprint_matches() {
  local stamp=$1
  shift
  [ -f "$stamp" ] && [ "$(fingerprint_of "$@" 2>/dev/null)" = "$(cat "$stamp")" ]
}

fingerprint_changes() {
  local stamp=$1
  shift
  if [ ! -f "$stamp" ]; then
    echo "no record of a finished run ($stamp)"
    return 0
  fi
  # diff exits 1 when the records differ, which is the point here
  { diff "$stamp" <(fingerprint_of "$@" 2>&1) || true; } \
    | sed -n 's/^< /was: /p; s/^> /now: /p' | awk 'NR <= 8'  # reads all: no SIGPIPE
}

fingerprint_write() {
  local stamp=$1
  shift
  fingerprint_of "$@" > "$stamp.tmp"
  mv "$stamp.tmp" "$stamp"
}

# skip_if_done STAMP WHAT OPTIONS INPUT...: exit 0 (printing that WHAT is up to date) when
# STAMP matches; otherwise say why the step runs again, when there was an earlier run.
skip_if_done() {
  local stamp=$1 what=$2
  shift 2
  if fingerprint_matches "$stamp" "$@"; then
    echo "$0: $what is up to date (same inputs and options; delete $stamp to redo)"
    exit 0
  fi
  if [ -f "$stamp" ]; then
    echo "$0: $what is out of date, redoing it:"
    fingerprint_changes "$stamp" "$@" | sed 's/^/  /'
    rm -f "$stamp"  # a redo that fails must not leave the old record beside half its outputs
  fi
}

# prepare_once OUT CMD...: a corpus's data preparation into OUT (a recipe's local/
# prepare_data.sh), skipped when OUT/prepare_data.fingerprint records the caller's `options`
# and `inputs` (the corpus files it reads). Without inputs it runs, so that the preparation
# itself names what is missing.
# shellcheck disable=SC2154  # options and inputs are the caller's
prepare_once() {
  local out=$1 stamp=$1/prepare_data.fingerprint
  shift
  mkdir -p "$out"
  if [ ${#inputs[@]} -gt 0 ]; then
    skip_if_done "$stamp" "$out/train" "$options" "${inputs[@]}"
  fi
  "$@"
  fingerprint_write "$stamp" "$options" "${inputs[@]}"
}

# begin_step DIR STAMP WHAT: what every step does before writing DIR: lock it, skip when
# STAMP records the caller's `options` and `inputs` (WHAT is up to date), make DIR/log.
# Sets the caller's stamp (STAMP).
# shellcheck disable=SC2034,SC2154  # stamp is the caller's; so are options and inputs
begin_step() {
  lock_dir "$1"
  stamp=$2
  skip_if_done "$stamp" "$3" "$options" "${inputs[@]}"
  mkdir -p "$1/log"
}

# begin_training DIR WHAT: begin_step for a GMM trainer, with Kaldi's --stage. From the start
# (stage < 0) it clears DIR/iters and records there the `options` and `inputs` its iteration
# files come from; --stage N (>= 0) resumes from DIR/iters/N.mdl, but only when that record
# matches (files of another run would give a model of neither), and always retrains.
# shellcheck disable=SC2034,SC2154  # stamp is the caller's; so are stage, options and inputs
begin_training() {
  local dir=$1 record=$1/iters/fingerprint
  if ! [[ $stage =~ ^-?[0-9]+$ ]]; then
    echo "$0: ERROR: --stage must be an integer (an iteration to resume at), got '$stage'" >&2
    exit 1
  fi
  if [ "$stage" -lt 0 ]; then
    begin_step "$dir" "$dir/fingerprint" "$2"
    rm -rf "$dir/iters"
    mkdir -p "$dir/iters"
    fingerprint_write "$record" "$options" "${inputs[@]}"
    return 0
  fi
  lock_dir "$dir"
  stamp=$dir/fingerprint
  if ! fingerprint_matches "$record" "$options" "${inputs[@]}"; then
    echo "$0: ERROR: --stage $stage resumes the run whose iteration files are in $dir/iters," \
      "but they come from other inputs or options (or from no run: $record):" >&2
    fingerprint_changes "$record" "$options" "${inputs[@]}" | sed 's/^/  /' >&2
    echo "  (fix: run without --stage, or with the options of that run)" >&2
    exit 1
  fi
  rm -f "$stamp"  # a resumed run that fails must not leave the old record
  mkdir -p "$dir/log"
  echo "$0: resuming $dir at iteration $stage ($dir/iters/$stage.mdl)"
}

# skip_if_scored DIR OPTIONS INPUT...: skip_if_done for a decode dir (DIR/fingerprint),
# printing the WER it holds.
skip_if_scored() {
  local dir=$1
  shift
  if fingerprint_matches "$dir/fingerprint" "$@" && [ -s "$dir/scoring_kaldi/best_wer" ]; then
    echo "$0: $dir is up to date: $(cat "$dir/scoring_kaldi/best_wer")"
    exit 0
  fi
  skip_if_done "$dir/fingerprint" "$dir" "$@"
}

# begin_decode_dir DIR: what every decode step does before decoding into DIR: lock it, add
# the caller's --word-map (if set) to its `inputs` and to `score_opts`, skip when DIR was
# scored with the same `options` and inputs, then clear the last run's scoring, hypotheses
# and job dirs. Sets the caller's score_opts and stamp (DIR/fingerprint).
# shellcheck disable=SC2034,SC2154  # score_opts/stamp are the caller's; so are its options
begin_decode_dir() {
  local dir=$1
  lock_dir "$dir"
  score_opts=()
  if [ -n "${word_map:-}" ]; then
    require "$word_map"
    inputs+=("$word_map")
    score_opts=(--word-map "$word_map")
  fi
  stamp=$dir/fingerprint
  skip_if_scored "$dir" "$options" "${inputs[@]}"
  mkdir -p "$dir/log"
  rm -rf "$dir/scoring_kaldi" "$dir"/wer_* "$dir"/tmp.*
}

# rescore_decode_dir DATA DIR [SCORE-OPTION...]: a decode step's --stage 1 (Kaldi's
# decode.sh --stage 1): score the hypotheses DIR/scoring_kaldi/penalty_*/ of an earlier
# decode again (with the caller's --word-map, if set), without decoding. The decode's
# fingerprint is removed: the next full run decodes again rather than trust the new scores.
# shellcheck disable=SC2154  # word_map is the caller's option
rescore_decode_dir() {
  local data=$1 dir=$2
  shift 2
  local opts=("$@")
  lock_dir "$dir"
  if ! compgen -G "$dir/scoring_kaldi/penalty_*/*.txt" > /dev/null; then
    echo "$0: ERROR: --stage 1 scores an earlier decode, but $dir/scoring_kaldi has no" \
      "hypotheses (penalty_<wip>/<lmwt>.txt); run without --stage first" >&2
    exit 1
  fi
  if [ -n "${word_map:-}" ]; then
    require "$word_map"
    opts+=(--word-map "$word_map")
  fi
  rm -f "$dir/fingerprint" "$dir"/wer_* "$dir/scoring_kaldi/best_wer"
  echo "$0: --stage 1: scoring the hypotheses in $dir again (no decoding)"
  pkd score "${opts[@]}" "$data" "$dir"
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
