#!/usr/bin/env bash
# Train the small DNN student (spliced context). Drop-in for Kaldi's nnet training step:
#   <targets-dir> = an alignment dir (ali.*.gz: hard targets, cross-entropy), e.g. exp/mono_ali
#                   or a Kaldi exp/tri3_ali, or
#                 = a soft-target dir from make_soft_targets.sh (targets.scp dense, or post.scp
#                   Kaldi Posteriors of the top-k: KL divergence to the teacher's posteriors at
#                   --temperature, optionally interpolated with the hard CE of --hard-ali-dir by
#                   --hard-weight). With --soft-topk k the top-k post.scp is read when it holds
#                   k posteriors a frame, else targets.scp cut to k.
# Writes final.pt, final.mdl, tree, ali_train_pdf.counts, config.json, history.json.
set -euo pipefail

# Begin configuration section.
cmd=run.pl
num_layers=4
hidden=512
context=5           # frames spliced on each side
dropout=0.0
temperature=1.0
hard_weight=0.0
hard_ali_dir=
soft_topk=
lr=0.001
final_lr=           # set: decay lr to this over --max-epochs, every epoch kept (nnet3);
                    # empty: newbob halving on cv frame accuracy (nnet1)
max_epochs=20
min_epochs=0
batch_size=256
cv_fraction=0.1
seed=0
num_threads=2       # torch threads of each training process
num_nodes=1         # torchrun: nodes to train on (--cmd slurm.pl; run.pl trains on one)
procs_per_node=1    # torchrun: training processes per node (data-parallel; each minibatch
                    # is split between all processes, gradients summed)
device=cpu          # cuda: train on GPUs, one per process
cmvn_opts="--norm-means=true --norm-vars=false"  # "--norm-means=false": a streaming student
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <data-dir> <lang-dir> <ali-or-targets-dir> <exp-dir>
 e.g.: $0 data/train_fbank data/lang exp/mono_ali exp/student_gmm
       $0 --temperature 2 data/train_fbank data/lang exp/teacher_targets exp/student_soft
Options:
  --cmd <run.pl|slurm.pl>  --num-layers <n>  --hidden <n>  --context <n>  --dropout <f>
  --temperature <T>        # soft targets: p_T ∝ p^(1/T)
  --hard-weight <w> --hard-ali-dir <dir>   # loss = (1-w) KL + w CE(hard)
  --soft-topk <k>          # keep only the top-k teacher posteriors per frame in memory
  --lr <f>  --final-lr <f>  --max-epochs <n>  --batch-size <n>  --cv-fraction <f>  --seed <n>
  --cmvn-opts <opts>       # per-speaker CMVN (default: $cmvn_opts); \"--norm-means=false\"
                           # for a student that streams (local/export_nnet3.sh, Vosk)
  --num-threads <n>  --num-nodes <n>  --procs-per-node <n>  --device <cpu|cuda>
                           # several processes: torchrun, data-parallel (local/torchrun.sh)"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"
. "$(dirname "$0")/nnet_train_common.sh"

nnet_step_arguments "$@"  # data lang targets dir, checked
train_opts=(--model dnn --num-layers "$num_layers" --hidden "$hidden" --context "$context"
  --dropout "$dropout" --lr "$lr" --max-epochs "$max_epochs" --min-epochs "$min_epochs"
  --batch-size "$batch_size" --cv-fraction "$cv_fraction" --seed "$seed"
  --num-threads "$num_threads" "--cmvn-opts=$cmvn_opts")
if [ -f "$targets/targets.scp" ] || [ -f "$targets/post.scp" ]; then
  train_opts+=(--temperature "$temperature" --hard-weight "$hard_weight")
fi
if [ -n "$hard_ali_dir" ]; then train_opts+=(--hard-ali-dir "$hard_ali_dir"); fi
if [ -n "$soft_topk" ]; then train_opts+=(--soft-topk "$soft_topk"); fi
if [ -n "$final_lr" ]; then train_opts+=(--final-lr "$final_lr"); fi
if [ "$device" != cpu ]; then train_opts+=(--device "$device"); fi
run_nnet_training
