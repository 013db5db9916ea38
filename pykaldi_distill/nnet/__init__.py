"""Neural acoustic models for distillation: BLSTM teacher, spliced-frame DNN student,
checkpoints, datasets (Kaldi-style BLSTM chunks: nnet/chunking.py), newbob training and
hybrid-decoding inference helpers."""

from .checkpoint import build_model, load_checkpoint, load_model, model_kind, save_checkpoint
from .chunking import ChunkConfig, InferenceChunking
from .data import Batch, ChunkDataset, FrameDataset, split_train_cv
from .infer import (
    compute_pdf_counts,
    log_posteriors,
    log_priors_from_counts,
    pseudo_log_likelihoods,
)
from .student import Dnn, DnnConfig, count_params, mflops_per_frame, splice
from .teacher import Blstm, BlstmConfig, InputNorm
from .train import EpochStats, EvalStats, Newbob, TrainConfig, TrainHistory, evaluate

# `train()` itself lives in pykaldi_distill.nnet.train; it is not re-exported here so that
# the name `pykaldi_distill.nnet.train` keeps meaning the module.

__all__ = [
    "Batch", "Blstm", "BlstmConfig", "ChunkConfig", "ChunkDataset", "Dnn", "DnnConfig",
    "EpochStats", "EvalStats", "FrameDataset", "InferenceChunking", "InputNorm", "Newbob",
    "TrainConfig", "TrainHistory",
    "build_model", "compute_pdf_counts", "count_params", "evaluate", "load_checkpoint",
    "load_model", "log_posteriors", "log_priors_from_counts", "mflops_per_frame", "model_kind",
    "pseudo_log_likelihoods", "save_checkpoint", "splice", "split_train_cv",
]
