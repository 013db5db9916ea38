# Source this to use pykaldi_distill from a recipe: puts the package, its venv and
# the step scripts on the paths. Kaldi's own path.sh plays the same role.
PKD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PKD_ROOT
export PATH="$PKD_ROOT/.venv/bin:$PKD_ROOT/local:$PATH"
export PYTHONPATH="$PKD_ROOT${PYTHONPATH:+:$PYTHONPATH}"
export LC_ALL=C
# Keep torch/numpy to the cores the job scheduler gives us.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
