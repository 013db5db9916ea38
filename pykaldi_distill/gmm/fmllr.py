"""Feature-space MLLR (constrained MLLR) per speaker against a diagonal-covariance GMM
model, as Kaldi's gmm-est-fmllr (FmllrDiagGmmAccs + ComputeFmllrMatrixDiagGmmFull): the
affine transform W = [A b], (D, D+1), maximising the likelihood of x' = A x + b under the
model, by Gales' row-by-row update. transform-feats applies W (features.apply_transform).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import kaldi_hmm_gmm as khg
import numpy as np

from .lda_mllt import (
    _CHUNK_ELEMENTS,
    _check_aligned_frames,
    _component_posteriors,
    _frame_weights,
)


@dataclass
class FmllrStats:
    """FmllrDiagGmmAccs for one speaker: beta = occupancy, K (D, D+1) and, per dim i,
    G[i] (D+1, D+1), with the extended frame xi = [x; 1]:
      K[i] = sum_tg gamma_tg mu_g[i] / var_g[i] xi_t,
      G[i] = sum_tg gamma_tg / var_g[i] xi_t xi_t^T."""

    beta: float
    K: np.ndarray  # (D, D+1) float64
    G: np.ndarray  # (D, D+1, D+1) float64

    @classmethod
    def zeros(cls, dim: int) -> FmllrStats:
        return cls(0.0, np.zeros((dim, dim + 1)), np.zeros((dim, dim + 1, dim + 1)))

    @property
    def dim(self) -> int:
        return self.K.shape[0]

    def accumulate(self, am: khg.AmDiagGmm, feats: np.ndarray, pdfs: np.ndarray,
                   weights: np.ndarray | None = None,
                   posterior_feats: np.ndarray | None = None) -> None:
        """gmm-est-fmllr's accumulation for aligned frames: `feats` (T, D) the speaker's
        unadapted features, `pdfs` (T,) each frame's pdf, `weights` (T,) (default 1; Kaldi
        weights silence 0 or 0.01). Gaussian posteriors within the pdf come from the model
        evaluated on `posterior_feats` (default `feats`; e.g. already adapted features)."""
        x = np.asarray(feats, np.float64)
        p = np.asarray(pdfs, np.int64).reshape(-1)
        w = _frame_weights(weights, x.shape[0])
        _check_aligned_frames(am, x, p, self.dim, "fMLLR")
        xp = x if posterior_feats is None else np.asarray(posterior_feats, np.float64)
        if xp.shape != x.shape:
            raise ValueError(f"posterior features {xp.shape} differ from features {x.shape}")
        frames = np.flatnonzero(w != 0.0)
        var_weight = np.zeros((frames.size, self.dim))  # sum_g gamma_g / var_g, per frame
        mean_weight = np.zeros((frames.size, self.dim))  # sum_g gamma_g mu_g / var_g
        order = np.argsort(p[frames], kind="stable")
        pdf_ids, starts = np.unique(p[frames[order]], return_index=True)
        ends = np.append(starts[1:], frames.size)
        for pdf, start, end in zip(pdf_ids, starts, ends, strict=True):
            gmm = am.get_pdf(int(pdf))
            inv_vars = np.asarray(gmm.inv_vars, np.float64)  # (C, D)
            means_invvars = np.asarray(gmm.means_invvars, np.float64)
            gconsts = np.asarray(gmm.gconsts, np.float64)
            step = max(1, _CHUNK_ELEMENTS // (gconsts.shape[0] * self.dim))
            for lo in range(start, end, step):
                rows = order[lo:min(lo + step, end)]
                post = _component_posteriors(xp[frames[rows]], gconsts, means_invvars, inv_vars)
                post *= w[frames[rows], None]  # (n, C)
                var_weight[rows] = post @ inv_vars
                mean_weight[rows] = post @ means_invvars
        xi = np.hstack([x[frames], np.ones((frames.size, 1))])  # (n, D+1)
        self.beta += float(w[frames].sum())
        self.K += mean_weight.T @ xi
        for i in range(self.dim):
            self.G[i] += (xi * var_weight[:, i:i + 1]).T @ xi

    def add(self, other: FmllrStats) -> None:
        """Sum another job's statistics for the same speaker into these."""
        if other.K.shape != self.K.shape:
            raise ValueError(f"cannot add fMLLR stats of dim {other.dim} to dim {self.dim}")
        self.beta += other.beta
        self.K += other.K
        self.G += other.G


def identity_transform(dim: int) -> np.ndarray:
    """[I 0]: (dim, dim + 1)."""
    return np.hstack([np.eye(dim), np.zeros((dim, 1))])


def fmllr_objective(stats: FmllrStats, W: np.ndarray) -> float:
    """beta log|det A| + sum_i (w_i . k_i - 0.5 w_i G_i w_i^T): the auxiliary function
    (up to a constant) that the row update increases."""
    w = np.asarray(W, np.float64)
    sign, logdet = np.linalg.slogdet(w[:, :-1])
    if sign == 0:
        return -math.inf
    quad = np.einsum("ij,ijk,ik->", w, stats.G, w)
    return stats.beta * logdet + float(np.sum(w * stats.K)) - 0.5 * float(quad)


def estimate_fmllr(stats: FmllrStats, W: np.ndarray | None = None, num_iters: int = 40,
                   min_count: float = 50.0) -> tuple[np.ndarray, float]:
    """ComputeFmllrMatrixDiagGmmFull: (W (D, D+1), objective gain per frame). Starts from W
    (default identity); with less than `min_count` frames of occupancy (Kaldi's
    --fmllr-min-count) or statistics too degenerate to invert, returns the start unchanged."""
    dim = stats.dim
    w = identity_transform(dim) if W is None else np.array(W, np.float64)
    if w.shape != (dim, dim + 1):
        raise ValueError(f"fMLLR transform must be ({dim}, {dim + 1}), got {w.shape}")
    if stats.beta < min_count:
        return w, 0.0
    start = fmllr_objective(stats, w)
    try:
        g_inv = np.linalg.inv(stats.G)  # (D, D+1, D+1)
    except np.linalg.LinAlgError:
        return w, 0.0
    first = w.copy()
    for _ in range(num_iters):
        for i in range(dim):
            w[i] = _updated_row(w, i, stats.beta, stats.K[i], g_inv[i])
    end = fmllr_objective(stats, w)
    if not (np.all(np.isfinite(w)) and end >= start):
        return first, 0.0
    return w, (end - start) / stats.beta


def _updated_row(w: np.ndarray, i: int, beta: float, k: np.ndarray,
                 g_inv: np.ndarray) -> np.ndarray:
    """Row i maximising the objective with the other rows fixed: w_i = (alpha c + k) G_i^-1
    where c is row i of A's cofactor matrix (any scale; here inv(A)^T) extended by 0, and
    alpha solves alpha^2 e1 + alpha e2 - beta = 0 (the root with the larger objective)."""
    c = np.append(np.linalg.inv(w[:, :-1]).T[i], 0.0)
    e1, e2 = c @ g_inv @ c, c @ g_inv @ k
    root = math.sqrt(e2 * e2 + 4.0 * e1 * beta)

    def objective(alpha: float) -> float:
        return beta * math.log(abs(alpha * e1 + e2)) - 0.5 * alpha * alpha * e1

    alpha = max(((-e2 + root) / (2 * e1), (-e2 - root) / (2 * e1)), key=objective)
    return (alpha * c + k) @ g_inv
