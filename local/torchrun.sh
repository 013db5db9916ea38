#!/usr/bin/env bash
# Start a training module under torchrun (torch.distributed.run): one process per
# --nproc-per-node on each of --nnodes nodes. One node: a standalone rendezvous on this
# machine. Several: the c10d rendezvous at --rdzv-endpoint, by default port 29500 of the
# allocation's first node under Slurm (slurm.pl --num-nodes runs this once per node).
#   torchrun.sh --nnodes <n> --nproc-per-node <p> [--rdzv-endpoint host:port] -m <module> [args]
set -euo pipefail
nnodes=1
nproc_per_node=1
rdzv_endpoint=
while [ $# -gt 0 ]; do
  case $1 in
    --nnodes) nnodes=$2; shift 2 ;;
    --nproc-per-node) nproc_per_node=$2; shift 2 ;;
    --rdzv-endpoint) rdzv_endpoint=$2; shift 2 ;;
    *) break ;;
  esac
done
if [ $# -lt 2 ] || [ "$1" != -m ]; then
  echo "Usage: $0 [--nnodes N] [--nproc-per-node P] [--rdzv-endpoint host:port] -m <module> [args]" >&2
  exit 1
fi
. "$(dirname "$0")/pkd_env.sh"
run=("$pkd_python" -m torch.distributed.run --nnodes "$nnodes" --nproc-per-node "$nproc_per_node")
if [ "$nnodes" -eq 1 ]; then
  run+=(--standalone)
else
  if [ -z "$rdzv_endpoint" ]; then
    if [ -z "${SLURM_JOB_NODELIST:-}" ]; then
      echo "$0: ERROR: --nnodes $nnodes needs --rdzv-endpoint host:port (or a Slurm job)" >&2
      exit 1
    fi
    rdzv_endpoint="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1):29500"
  fi
  run+=(--rdzv-backend c10d --rdzv-endpoint "$rdzv_endpoint"
    --rdzv-id "${SLURM_JOB_ID:-pkd-$nnodes}")
fi
exec "${run[@]}" "$@"
