#!/usr/bin/env bash
# Train the BLSTM teacher with cross-entropy on GMM alignments (the paper's RNN trained on
# GMM-HMM alignments). Drop-in for a Kaldi nnet training step: data dir + alignment dir ->
# exp dir with final.pt, final.mdl, tree, ali_train_pdf.counts, config.json, history.json.
set -euo pipefail

# Begin configuration section.
cmd=run.pl
num_layers=3
hidden=256          # cells per direction
projection=         # recurrent projection dim (empty: none)
dnn_dim=512         # width of the feed-forward layers around the BLSTM
dropout=0.1
lr=0.001
final_lr=           # set: decay lr to this over --max-epochs, every epoch kept (nnet3);
                    # empty: newbob halving on cv frame accuracy (nnet1)
max_epochs=15
min_epochs=0
batch_size=64       # chunks per minibatch (Kaldi's num-chunk-per-minibatch)
chunk_width=40      # frames per chunk that carry the loss (Kaldi's --egs.chunk-width)
chunk_left_context=40   # frames of context before / after each chunk, without loss;
chunk_right_context=40  # decoding uses the same chunks (the model carries them)
cv_fraction=0.1
seed=0
num_threads=2       # torch threads of each training process
num_nodes=1         # torchrun: nodes to train on (--cmd slurm.pl; run.pl trains on one)
procs_per_node=1    # torchrun: training processes per node (data-parallel; each minibatch
                    # is split between all processes, gradients summed)
device=cpu          # cuda: train on GPUs, one per process
# End configuration section.

echo "$0 $*"
help_message="Usage: $0 [options] <data-dir> <lang-dir> <ali-dir> <exp-dir>
 e.g.: $0 data/train_fbank data/lang exp/mono_ali exp/teacher
Options:
  --cmd <run.pl|slurm.pl>  --num-layers <n>  --hidden <n>  --projection <n>  --dnn-dim <n>
  --dropout <f>  --lr <f>  --final-lr <f>  --max-epochs <n>  --batch-size <chunks>
  --chunk-width <n>  --chunk-left-context <n>  --chunk-right-context <n>
  --cv-fraction <f>  --seed <n>  --num-threads <n>
  --num-nodes <n>  --procs-per-node <n>  --device <cpu|cuda>
                           # several processes: torchrun, data-parallel (local/torchrun.sh)"
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"
. "$(dirname "$0")/nnet_train_common.sh"

nnet_step_arguments "$@"  # data lang targets dir, checked
train_opts=(--model blstm --num-layers "$num_layers" --hidden "$hidden" --dnn-dim "$dnn_dim"
  --dropout "$dropout" --lr "$lr" --max-epochs "$max_epochs" --min-epochs "$min_epochs"
  --batch-size "$batch_size" --chunk-width "$chunk_width"
  --chunk-left-context "$chunk_left_context" --chunk-right-context "$chunk_right_context"
  --cv-fraction "$cv_fraction" --seed "$seed" --num-threads "$num_threads")
if [ -n "$projection" ]; then train_opts+=(--projection "$projection"); fi
if [ -n "$final_lr" ]; then train_opts+=(--final-lr "$final_lr"); fi
if [ "$device" != cpu ]; then train_opts+=(--device "$device"); fi
run_nnet_training
