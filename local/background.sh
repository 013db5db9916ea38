# Sourced by recipes: run slow steps that nothing waits for (decoding) in the background,
# as Kaldi's run.sh files do with `( ... ) &`, but never lose a failure: wait_background
# waits for every job and fails naming the log of each job that failed, and a recipe that
# stops early kills the jobs it started.
#   in_background <log> <command> [args...]   # command: a step script or a recipe function
#   wait_background                            # before anything reads the jobs' outputs
# shellcheck shell=bash
bg_pids=()
bg_logs=()

in_background() {
  local log=$1
  shift
  mkdir -p "$(dirname "$log")"
  echo "$0: in the background: $* (log: $log)"
  ( set -euo pipefail; "$@" ) > "$log" 2>&1 &
  bg_pids+=("$!")
  bg_logs+=("$log")
}

wait_background() {
  local i failed=0
  for i in "${!bg_pids[@]}"; do
    if wait "${bg_pids[$i]}"; then
      echo "$0: background job done (log: ${bg_logs[$i]})"
      grep "%WER" "${bg_logs[$i]}" || true  # a decoding job's results
    else
      echo "$0: ERROR: a background job failed; see ${bg_logs[$i]}" >&2
      tail -n 5 "${bg_logs[$i]}" >&2 || true
      failed=1
    fi
  done
  bg_pids=()
  bg_logs=()
  return "$failed"
}

kill_tree() {  # a job and everything it started (run.pl jobs, their Python processes)
  local child
  for child in $(pgrep -P "$1" || true); do
    kill_tree "$child"
  done
  kill "$1" 2>/dev/null || true
}

kill_background() {
  local pid
  for pid in "${bg_pids[@]}"; do
    kill_tree "$pid"
  done
}
trap kill_background EXIT
