# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034  # cmd, train_opts, num_nodes, procs_per_node,
# help_message: the caller's; data, lang, targets, dir: set here for it
# Shared by train_teacher.sh and train_student.sh: checks the inputs of a hybrid model
# training run and runs pykaldi_distill.bin.train_nnet under $cmd. Expects: cmd, data,
# lang, targets, dir, the array train_opts, and hard_ali_dir (students; may be empty).

# nnet_step_arguments "$@": a training step's <data-dir> <lang-dir> <targets-dir> <exp-dir>
# as data, lang, targets and dir, their inputs checked (else the usage, and exit 1).
nnet_step_arguments() {
  if [ $# -ne 4 ]; then
    echo "$help_message" >&2
    exit 1
  fi
  data=$1
  lang=$2
  targets=$3
  dir=$4
  check_nnet_inputs
}

check_nnet_inputs() {
  require "$data/feats.scp" "$data/cmvn.scp" "$lang/phones.txt" "$targets/final.mdl" \
    "$targets/tree"
  if [ ! -f "$targets/targets.scp" ] && [ ! -f "$targets/post.scp" ] \
      && [ ! -f "$targets/num_jobs" ]; then
    echo "$0: ERROR: $targets has neither targets.scp or post.scp (soft targets) nor num_jobs" \
      "(a finished alignment); run the alignment or make_soft_targets stage (again) first" >&2
    exit 1
  fi
}

# The files training reads (as bin/train_nnet.py records them to decide whether saved
# epochs can be resumed): the data dir's tables and the targets' (and --hard-ali-dir's).
nnet_inputs() {
  local d f
  for f in feats.scp cmvn.scp utt2spk; do echo "$data/$f"; done
  for d in "$targets" ${hard_ali_dir:+"$hard_ali_dir"}; do
    for f in final.mdl tree num_jobs targets.scp post.scp; do
      if [ -f "$d/$f" ]; then echo "$d/$f"; fi
    done
  done
}

# run_nnet_training: skips a finished run with the same inputs and options;
# otherwise train_nnet resumes saved epochs, starts over when the inputs changed, or refuses
# settings that cannot be resumed.
run_nnet_training() {
  local inputs options stamp=$dir/fingerprint
  local launch=("$pkd_python" -m pykaldi_distill.bin.train_nnet) cmd_opts=()
  lock_dir "$dir"
  mapfile -t inputs < <(nnet_inputs)
  options="${train_opts[*]}"
  if [ $((num_nodes * procs_per_node)) -gt 1 ]; then
    if [ "$num_nodes" -gt 1 ] && [[ $cmd == run.pl* ]]; then
      echo "$0: ERROR: --num-nodes $num_nodes: run.pl runs on this machine only; give" \
        "--cmd slurm.pl (or --num-nodes 1 --procs-per-node N)" >&2
      exit 1
    fi
    launch=("$PKD_ROOT/local/torchrun.sh" --nnodes "$num_nodes"
      --nproc-per-node "$procs_per_node" -m pykaldi_distill.bin.train_nnet)
    if [ "$num_nodes" -gt 1 ]; then cmd_opts=(--num-nodes "$num_nodes"); fi
    options+=" nodes=$num_nodes procs_per_node=$procs_per_node"
  fi
  if [ -f "$dir/final.pt" ] && fingerprint_matches "$stamp" "$options" "${inputs[@]}"; then
    echo "$0: $dir/final.pt is up to date (same inputs and options; delete $stamp to redo)"
    return 0
  fi
  rm -f "$stamp" "$dir/log/train.log"
  mkdir -p "$dir/log"
  $cmd ${cmd_opts[@]+"${cmd_opts[@]}"} "$dir/log/train.log" \
    "${launch[@]}" "${train_opts[@]}" "$data" "$targets" "$dir" &
  local job=$!
  echo "$0: training, log in $dir/log/train.log; progress:"
  # The log's progress lines on the console while the job runs (tail stops when it ends).
  tail -n +1 -F --pid="$job" "$dir/log/train.log" 2>/dev/null \
    | grep --line-buffered -E "^(epoch |best epoch|[a-z]+: [0-9]+ parameters)|starting over" \
    || true
  wait "$job"
  fingerprint_write "$stamp" "$options" "${inputs[@]}"
}
