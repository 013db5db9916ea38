"""Soft-target utilities for RNN-to-DNN distillation (Chan, Ke, Lane 2015).

The teacher's soft targets are stored as *posteriors* (softmax of the logits at T=1),
dense or as Kaldi Posterior objects (top-k, renormalised). Temperature is therefore
applied to posteriors, not logits:

    p_T(i) = p(i)^(1/T) / sum_j p(j)^(1/T)

which is exactly softmax(logits / T), because p(i)^(1/T) = exp(z_i / T) / Z^(1/T) and the
constant cancels in the normalisation. Pdfs with p(i) = 0 (dropped by top-k) stay at 0,
whereas softmax(logits/T) would give them a little mass; this is the only difference.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import InputError
from ..formats.io import TopkPosteriors, read_scp_matrices, read_topk_posteriors
from ..formats.model_io import read_transition_model_file

Posterior = list[list[tuple[int, float]]]  # per frame: [(pdf, weight), ...]
Reduction = Literal["mean", "sum", "none"]


def temperature_soften(posteriors: np.ndarray, temperature: float) -> np.ndarray:
    """Soften (T>1) or sharpen (T<1) posteriors: p_T ∝ p^(1/T), rows renormalised.

    posteriors: (frames, pdfs) non-negative, rows with positive sum. Returns float32.
    """
    _check_temperature(temperature)
    p = np.asarray(posteriors, dtype=np.float64)  # (frames, pdfs)
    with np.errstate(divide="ignore"):
        logp = np.log(p) / temperature  # (frames, pdfs), -inf where p == 0
    logp -= logp.max(axis=-1, keepdims=True)
    out = np.exp(logp)
    out /= out.sum(axis=-1, keepdims=True)
    return out.astype(np.float32)


def soften_targets(posteriors: torch.Tensor, temperature: float) -> torch.Tensor:
    """Torch version of `temperature_soften`: (..., pdfs) -> (..., pdfs), rows sum to 1.

    Also renormalises at T=1, so top-k targets whose weights do not sum exactly to 1 are
    proper distributions.
    """
    _check_temperature(temperature)
    if temperature == 1.0:
        return posteriors / posteriors.sum(dim=-1, keepdim=True)
    return torch.softmax(torch.log(posteriors) / temperature, dim=-1)


def kl_divergence(
    student_logits: torch.Tensor,
    target_posteriors: torch.Tensor,
    temperature: float = 1.0,
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """T^2 * KL(p_T || softmax(student_logits / T)), per frame over the last axis.

    student_logits: (..., pdfs); target_posteriors: (..., pdfs) teacher posteriors at T=1
    (softened here with `soften_targets`). The T^2 factor keeps gradient magnitudes
    comparable across temperatures (Hinton et al. 2015). reduction="none" gives (...,).
    """
    p = soften_targets(target_posteriors, temperature)  # (..., pdfs)
    log_q = F.log_softmax(student_logits / temperature, dim=-1)  # (..., pdfs)
    kl = (torch.special.xlogy(p, p) - p * log_q).sum(dim=-1) * temperature**2  # (...,)
    return _reduce(kl, reduction)


def soft_cross_entropy(
    student_logits: torch.Tensor, target_posteriors: torch.Tensor, reduction: Reduction = "mean"
) -> torch.Tensor:
    """-sum_i p(i) log q(i) at T=1 (KL plus the targets' entropy)."""
    p = target_posteriors / target_posteriors.sum(dim=-1, keepdim=True)
    ce = -(p * F.log_softmax(student_logits, dim=-1)).sum(dim=-1)  # (...,)
    return _reduce(ce, reduction)


def topk(posteriors: np.ndarray, k: int) -> TopkPosteriors:
    """The k largest posteriors of each frame, largest first, renormalised to sum to 1
    (a frame without mass keeps its first pdf at weight 1). posteriors: (frames, pdfs);
    k >= pdfs keeps them all."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    p = np.asarray(posteriors, dtype=np.float32)  # (frames, pdfs)
    k = min(k, p.shape[1])
    idx = np.argpartition(-p, k - 1, axis=1)[:, :k]  # (frames, k) unordered top-k
    vals = np.take_along_axis(p, idx, axis=1)  # (frames, k)
    order = np.argsort(-vals, axis=1, kind="stable")
    idx = np.take_along_axis(idx, order, axis=1)
    vals = np.take_along_axis(vals, order, axis=1)
    total = vals.sum(axis=1, keepdims=True)  # (frames, 1)
    weights = vals / np.where(total > 0, total, 1.0)
    weights[total[:, 0] <= 0, 0] = 1.0
    return TopkPosteriors(idx.astype(np.int32), weights.astype(np.float32))


def topk_posterior(posteriors: np.ndarray, k: int) -> Posterior:
    """`topk` as a Kaldi Posterior: entries by decreasing weight, zero weights dropped (but
    every frame keeps its best pdf)."""
    top = topk(posteriors, k)
    post: Posterior = []
    for ids, weights in zip(top.ids, top.weights, strict=True):
        keep = weights > 0
        keep[0] = True
        post.append([(int(i), float(w)) for i, w in zip(ids[keep], weights[keep], strict=True)])
    return post


def dense_from_posterior(post: Sequence[Sequence[tuple[int, float]]], num_pdfs: int) -> np.ndarray:
    """Kaldi Posterior -> (frames, num_pdfs) float32; repeated pdfs in a frame are summed."""
    dense = np.zeros((len(post), num_pdfs), dtype=np.float32)  # (frames, pdfs)
    rows = [t for t, frame in enumerate(post) for _ in frame]
    cols = [int(pdf) for frame in post for pdf, _ in frame]
    weights = [float(w) for frame in post for _, w in frame]
    if cols and (min(cols) < 0 or max(cols) >= num_pdfs):
        raise ValueError(f"posterior has pdf ids outside [0, {num_pdfs})")
    np.add.at(dense, (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)),
              np.asarray(weights, dtype=np.float32))
    return dense


def _check_temperature(temperature: float) -> None:
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")


def _reduce(values: torch.Tensor, reduction: Reduction) -> torch.Tensor:
    if reduction == "mean":
        return values.mean()
    if reduction == "sum":
        return values.sum()
    return values


def soft_target_scp(targets_dir: Path) -> Path:
    """A make_soft_targets dir's dense targets.scp or, without it, its top-k post.scp."""
    for name in ("targets.scp", "post.scp"):
        if (targets_dir / name).is_file():
            return targets_dir / name
    raise InputError(targets_dir / "targets.scp", "missing, and so is post.scp",
                     "run local/make_soft_targets.sh first")


def read_soft_targets(targets_dir: Path) -> Iterator[tuple[str, np.ndarray]]:
    """(utt, (frames, pdfs) float32 posteriors) of a make_soft_targets dir: its dense
    targets, or its top-k spread over the pdfs of the dir's final.mdl (the rest 0)."""
    scp = soft_target_scp(targets_dir)
    if scp.name == "targets.scp":
        yield from read_scp_matrices(scp)
        return
    num_pdfs = read_transition_model_file(targets_dir / "final.mdl").num_pdfs
    for utt, top in read_topk_posteriors(scp):
        yield utt, top.dense(num_pdfs)
