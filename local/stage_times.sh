# Sourced by recipes: how long each stage took, so a run reports its own wall-clock time.
#   stage_begin <n> <title>   # prints "== stage n: title"; ends the stage before it
#   stage_end                 # ends the current stage (stage_begin does it for the last one)
# Each stage that ends appends "<n><TAB><seconds><TAB><title>" to exp/stage_times.tsv;
# make_results.sh --stage-times reads the last line of each stage.
# shellcheck shell=bash
stage_name=
stage_title=
stage_start=0

stage_begin() {
  stage_end
  stage_name=$1
  stage_title=$2
  stage_start=$SECONDS
  echo "== stage $1: $2"
}

stage_end() {
  if [ -n "$stage_name" ]; then
    mkdir -p exp
    printf '%s\t%d\t%s\n' "$stage_name" $((SECONDS - stage_start)) "$stage_title" \
      >> exp/stage_times.tsv
    stage_name=
  fi
}
