"""Inference for hybrid decoding: log posteriors, pdf priors and pseudo log-likelihoods.

Priors follow Kaldi nnet1 (PdfPrior): prior = count / total over the training targets,
log_prior = log(prior); pdfs whose prior is below `floor` (in particular never-seen pdfs)
get log_prior = UNSEEN_LOG_PRIOR = sqrt(FLT_MAX), i.e. a pseudo log-likelihood of about
-1.8e19: the decoder treats them as impossible. Dividing a tiny posterior by a tiny floored
prior instead would *inflate* pdfs the network never learnt, which is the classic failure
mode; the finite huge value (not inf) keeps decoder arithmetic free of NaNs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..formats.io import TopkPosteriors
from .chunking import InferenceChunking, chunked_logits
from .teacher import Blstm

UNSEEN_LOG_PRIOR = float(np.sqrt(np.finfo(np.float32).max))
DEFAULT_PRIOR_FLOOR = 1e-10  # nnet1's --prior-floor default


def log_posteriors(model: nn.Module, feats: np.ndarray,
                   chunking: InferenceChunking | None = None) -> np.ndarray:
    """One utterance (frames, dim) -> log posteriors (frames, pdfs) float32.

    A BLSTM runs in chunks with extra context as `chunking` says (see nnet/chunking.py;
    None: the whole utterance as one sequence, which sees full left/right context); the DNN
    splices with edge replication and ignores `chunking`. Eval mode and no grad; the
    model's mode is restored.
    """
    x = torch.from_numpy(np.require(feats, np.float32, ["C", "W"]))  # (frames, dim)
    num_pdfs = model.config.num_pdfs  # type: ignore[attr-defined]
    if x.shape[0] == 0:
        return np.zeros((0, num_pdfs), dtype=np.float32)
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            if isinstance(model, Blstm) and chunking is not None:
                logits = chunked_logits(model, x, chunking)  # (frames, pdfs)
            else:
                logits = model(x[None])[0]  # (frames, pdfs)
            return F.log_softmax(logits, dim=-1).numpy().astype(np.float32, copy=False)
    finally:
        model.train(was_training)


def pseudo_log_likelihoods(log_post: np.ndarray, log_priors: np.ndarray,
                           prior_floor: float | None = None,
                           prior_scale: float = 1.0) -> np.ndarray:
    """log p(x|s) + const = log P(s|x) - prior_scale * log P(s): (frames, pdfs) float32.

    log_priors: (pdfs,) as from `log_priors_from_counts`. With `prior_floor`, pdfs whose
    prior is below it (e.g. -inf log priors computed elsewhere) are also made impossible.
    """
    lp = np.asarray(log_priors, dtype=np.float64)  # (pdfs,)
    if lp.shape != (log_post.shape[-1],):
        raise ValueError(f"{lp.shape[0]} log priors for {log_post.shape[-1]} pdfs")
    if prior_floor is not None:
        lp = np.where(lp < np.log(prior_floor), UNSEEN_LOG_PRIOR, lp)
    # A real log prior is <= 0; positive values are the unseen marker (float32 rounding of
    # UNSEEN_LOG_PRIOR makes an equality test fragile).
    lp = np.where(lp > 0, UNSEEN_LOG_PRIOR, prior_scale * lp)
    return (np.asarray(log_post, dtype=np.float64) - lp).astype(np.float32)


def compute_pdf_counts(targets: Mapping[str, np.ndarray] | Iterable[np.ndarray],
                       num_pdfs: int) -> np.ndarray:
    """Per-pdf frame counts (pdfs,) float64 from hard targets ((frames,) pdf ids, like
    analyze-counts) or soft targets ((frames, pdfs) posteriors, or the top-k of a post.scp:
    summed occupancy, each row normalised to sum 1 as the training loss normalises it, so one
    frame counts once)."""
    arrays = targets.values() if isinstance(targets, Mapping) else targets
    counts = np.zeros(num_pdfs, dtype=np.float64)
    for arr in arrays:
        if isinstance(arr, TopkPosteriors):  # a post.scp's top-k: (frames, k) ids, weights
            rows = arr.weights.sum(axis=1, dtype=np.float64, keepdims=True)  # (frames, 1)
            weights = arr.weights / np.where(rows > 0, rows, 1.0)
            counts += np.bincount(arr.ids.reshape(-1).astype(np.int64), weights.reshape(-1),
                                  minlength=num_pdfs)[:num_pdfs]
            continue
        a = np.asarray(arr)
        if a.ndim == 1:
            if a.size and (a.min() < 0 or a.max() >= num_pdfs):
                raise ValueError(f"pdf ids outside [0, {num_pdfs})")
            counts += np.bincount(a.astype(np.int64), minlength=num_pdfs)
        elif a.ndim == 2 and a.shape[1] == num_pdfs:
            rows = a.sum(axis=1, dtype=np.float64, keepdims=True)  # (frames, 1)
            counts += (a / np.where(rows > 0, rows, 1.0)).sum(axis=0)
        else:
            raise ValueError(f"targets of shape {a.shape} do not match {num_pdfs} pdfs")
    return counts


def log_priors_from_counts(counts: np.ndarray,
                           floor: float = DEFAULT_PRIOR_FLOOR) -> np.ndarray:
    """counts (pdfs,) -> log priors (pdfs,) float32; priors < floor get UNSEEN_LOG_PRIOR."""
    c = np.asarray(counts, dtype=np.float64)
    total = c.sum()
    if total <= 0:
        raise ValueError("pdf counts are all zero")
    prior = c / total
    with np.errstate(divide="ignore"):
        log_prior = np.log(prior)
    return np.where(prior < floor, UNSEEN_LOG_PRIOR, log_prior).astype(np.float32)
