# How jobs run. run.pl runs them on this machine; on a cluster use
#   export train_cmd="slurm.pl --mem 4G"   (or queue.pl for SGE)
# shellcheck shell=bash
export train_cmd="run.pl"
export decode_cmd="run.pl"
