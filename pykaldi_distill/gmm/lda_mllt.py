"""The maths of Kaldi's LDA+MLLT feature transform (steps/train_lda_mllt.sh).

- `LdaStats` / `estimate_lda`: acc-lda and est-lda (src/transform/lda-estimate.cc).
- `MlltStats` / `estimate_mllt`: gmm-acc-mllt and est-mllt (src/transform/mllt.cc),
  Gales' semi-tied covariance update, row by row, starting from the identity.
- `transform_means`: gmm-transform-means; `compose_transforms`: compose-transforms.

Differences from Kaldi: acc-lda and gmm-acc-mllt's `--rand-prune` (randomly dropping or
rounding up small posteriors, a speed hack whose expectation is the exact statistic) is not
done, the statistics here are exact; the sign of each LDA direction (arbitrary in Kaldi's
SVD) is fixed by making its largest-magnitude coefficient positive in the whitened basis.
"""

from __future__ import annotations

from dataclasses import dataclass

import kaldi_hmm_gmm as khg
import numpy as np

_CHUNK_ELEMENTS = 1 << 22  # numbers per block of frames processed at once (memory, cache)

# ---- LDA ---------------------------------------------------------------------------------


@dataclass
class LdaStats:
    """acc-lda's statistics (LdaEstimate): per-class counts and sums, total scatter."""

    occ: np.ndarray  # (num_classes,) float64
    first: np.ndarray  # (num_classes, dim) float64, weighted sum of x per class
    scatter: np.ndarray  # (dim, dim) float64, weighted sum of x x^T over all frames

    @classmethod
    def zeros(cls, num_classes: int, dim: int) -> LdaStats:
        return cls(np.zeros(num_classes), np.zeros((num_classes, dim)), np.zeros((dim, dim)))

    @property
    def num_classes(self) -> int:
        return self.occ.shape[0]

    @property
    def dim(self) -> int:
        return self.scatter.shape[0]

    def accumulate(self, feats: np.ndarray, classes: np.ndarray,
                   weights: np.ndarray | None = None) -> None:
        """Add frames `feats` (T, dim) labelled with `classes` (T,) (pdf ids), each with
        `weights` (T,) (default 1; 0 for silence frames, as weight-silence-post does)."""
        x = np.asarray(feats)
        c = np.asarray(classes, np.int64).reshape(-1)
        w = _frame_weights(weights, x.shape[0])
        _check_frames(x, c, self.dim, "classes")
        if c.size and (c.min() < 0 or c.max() >= self.num_classes):
            raise ValueError(f"class ids must be in [0, {self.num_classes}), "
                             f"got range [{c.min()}, {c.max()}]")
        self.occ += np.bincount(c, weights=w, minlength=self.num_classes)
        step = max(1, _CHUNK_ELEMENTS // max(1, self.dim))
        for lo in range(0, x.shape[0], step):
            xs, cs = np.asarray(x[lo:lo + step], np.float64), c[lo:lo + step]
            wx = xs * w[lo:lo + step, None]
            for d in range(self.dim):
                self.first[:, d] += np.bincount(cs, weights=wx[:, d], minlength=self.num_classes)
            self.scatter += wx.T @ xs

    def add(self, other: LdaStats) -> None:
        """Sum another job's statistics into these."""
        if other.first.shape != self.first.shape:
            raise ValueError(f"cannot add LDA stats of shape {other.first.shape} "
                             f"to stats of shape {self.first.shape}")
        self.occ += other.occ
        self.first += other.first
        self.scatter += other.scatter

    def covariances(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """LdaEstimate::GetStats: (total covariance, between-class covariance, total mean,
        total count)."""
        count = float(self.occ.sum())
        if count <= 0.0:
            raise ValueError("LDA stats are empty (total count is 0): no frames accumulated")
        mean = self.first.sum(axis=0) / count
        total = self.scatter / count - np.outer(mean, mean)
        seen = self.occ != 0.0
        class_means = self.first[seen] / self.occ[seen, None]
        between = (class_means.T * (self.occ[seen] / count)) @ class_means - np.outer(mean, mean)
        return _sym(total), _sym(between), mean, count


def estimate_lda(stats: LdaStats, dim: int, within_class_factor: float = 1.0) -> np.ndarray:
    """est-lda --dim=`dim`: a (dim, D) matrix M with M W M^T = I (W the within-class
    covariance) and M B M^T diagonal (B the between-class covariance), its values (the LDA
    eigenvalues) in descending order.

    As in Kaldi, W = T - B is factored W = L L^T (Cholesky), the eigenvectors U of
    L^-1 B L^-T give M = (U^T L^-1)[:dim]. A `within_class_factor` other than 1 (nnet1's
    option) then scales row i by sqrt((factor + d_i) / (1 + d_i)), so M W M^T is no longer I.
    No offset column (est-lda's default --remove-offset=false).
    """
    full_dim = stats.dim
    if not 0 < dim <= full_dim:
        raise ValueError(f"LDA dim must be in [1, {full_dim}] (the feature dim), got {dim}")
    total, between, _, _ = stats.covariances()
    chol = _cholesky_floored(_sym(total - between))
    chol_inv = np.linalg.solve(chol, np.eye(full_dim))
    values, vectors = np.linalg.eigh(_sym(chol_inv @ between @ chol_inv.T))
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    peak = np.argmax(np.abs(vectors), axis=0)
    vectors *= np.where(vectors[peak, np.arange(full_dim)] < 0, -1.0, 1.0)
    lda = (vectors.T @ chol_inv)[:dim]
    if within_class_factor != 1.0:
        lda *= np.sqrt((within_class_factor + values[:dim]) / (1.0 + values[:dim]))[:, None]
    return lda


def _cholesky_floored(within: np.ndarray) -> np.ndarray:
    """Cholesky of W; if W is not positive definite (near-constant feature dims on little
    data), its eigenvalues are floored at 1e-6 of the largest first."""
    try:
        return np.linalg.cholesky(within)
    except np.linalg.LinAlgError:
        pass
    values, vectors = np.linalg.eigh(within)
    if not values[-1] > 0:
        raise ValueError("within-class covariance is zero, cannot estimate LDA (no frames "
                         "or constant features)")
    floored = (vectors * np.maximum(values, 1e-6 * values[-1])) @ vectors.T
    return np.linalg.cholesky(_sym(floored))


# ---- MLLT --------------------------------------------------------------------------------


@dataclass
class MlltStats:
    """gmm-acc-mllt's statistics (MlltAccs): beta = total occupancy and, for each feature
    dim i, G[i] = sum_t sum_g gamma_tg (1 / var_g[i]) (x_t - mu_g)(x_t - mu_g)^T."""

    beta: float
    G: np.ndarray  # (D, D, D) float64

    @classmethod
    def zeros(cls, dim: int) -> MlltStats:
        return cls(0.0, np.zeros((dim, dim, dim)))

    @property
    def dim(self) -> int:
        return self.G.shape[0]

    def accumulate(self, am: khg.AmDiagGmm, feats: np.ndarray, pdfs: np.ndarray,
                   weights: np.ndarray | None = None) -> None:
        """MlltAccs::AccumulateFromGmm for each frame: `feats` (T, D) in the model's feature
        space, `pdfs` (T,) each frame's aligned pdf, `weights` (T,) (default 1, 0 for
        silence). Gaussian posteriors within the pdf are soft, from the GMM itself."""
        x = np.asarray(feats)
        p = np.asarray(pdfs, np.int64).reshape(-1)
        w = _frame_weights(weights, x.shape[0])
        _check_aligned_frames(am, x, p, self.dim, "MLLT")
        frames = np.flatnonzero(w != 0.0)
        frames = frames[np.argsort(p[frames], kind="stable")]  # grouped by pdf
        pdf_ids, starts = np.unique(p[frames], return_index=True)
        ends = np.append(starts[1:], frames.size)
        dim = self.dim
        G = self.G.reshape(dim, dim * dim)
        for pdf, start, end in zip(pdf_ids, starts, ends, strict=True):
            gmm = am.get_pdf(int(pdf))
            inv_vars = np.asarray(gmm.inv_vars, np.float64)  # (C, D)
            means_invvars = np.asarray(gmm.means_invvars, np.float64)
            gconsts = np.asarray(gmm.gconsts, np.float64)
            num_gauss = gconsts.shape[0]
            means = means_invvars / inv_vars
            centre = np.asarray(gmm.weights, np.float64) @ means  # less cancellation below
            occ = np.zeros(num_gauss)
            m1 = np.zeros((num_gauss, dim))  # sum_t gamma (x - c)
            m2 = np.zeros((num_gauss * dim, dim))  # sum_t gamma (x - c)(x - c)^T, stacked
            step = max(1, _CHUNK_ELEMENTS // (num_gauss * dim))
            for lo in range(start, end, step):
                sel = frames[lo:min(lo + step, end)]
                xs = np.asarray(x[sel], np.float64)
                post = _component_posteriors(xs, gconsts, means_invvars, inv_vars)
                post *= w[sel, None]  # (n, C)
                xc = xs - centre
                occ += post.sum(axis=0)
                m1 += post.T @ xc
                m2 += (post[:, :, None] * xc[:, None, :]).reshape(sel.size, -1).T @ xc
            mc = means - centre
            cross = m1[:, :, None] * mc[:, None, :]
            scatter = (m2.reshape(-1, dim, dim) - cross - cross.transpose(0, 2, 1)
                       + occ[:, None, None] * mc[:, :, None] * mc[:, None, :])
            G += inv_vars.T @ scatter.reshape(-1, dim * dim)  # G[j] += sum_g iv_g[j] S_g
            self.beta += float(occ.sum())

    def add(self, other: MlltStats) -> None:
        """Sum another job's statistics into these."""
        if other.G.shape != self.G.shape:
            raise ValueError(f"cannot add MLLT stats of dim {other.dim} to stats of dim "
                             f"{self.dim}")
        self.beta += other.beta
        self.G += other.G


def mllt_objective(stats: MlltStats, A: np.ndarray) -> float:
    """beta log|det A| - 0.5 sum_i a_i G_i a_i^T (the auxiliary function, up to a constant)."""
    a = np.asarray(A, np.float64)
    _, logdet = np.linalg.slogdet(a)
    return float(stats.beta * logdet - 0.5 * np.einsum("ij,ijk,ik->", a, stats.G, a))


def _floored_if_singular(g: np.ndarray) -> np.ndarray:
    """G_i itself when positive definite, else G_i + 1e-4 * mean(diag) * I (a dimension that
    is near-constant on little data); real data never needs the floor."""
    try:
        np.linalg.cholesky(g)
        return g
    except np.linalg.LinAlgError:
        return g + 1e-4 * max(float(np.mean(np.diag(g))), 1e-10) * np.eye(g.shape[0])


def estimate_mllt(stats: MlltStats, num_iters: int = 200) -> tuple[np.ndarray, float]:
    """est-mllt (MlltAccs::Update): starting from A = I, `num_iters` passes over the rows;
    row i becomes a_i = c_i G_i^-1 sqrt(beta / (c_i G_i^-1 c_i^T)) with c_i the i'th row of
    the cofactor matrix (any multiple of it: the i'th column of A^-1 is used). Returns
    (A, objective improvement per frame), the improvement >= 0.

    200 passes is Kaldi's hard-coded number; the row updates converge slowly, so far fewer
    (e.g. 10) leave much of the improvement for later MLLT iterations to find. Each pass
    costs D small linear solves (about 1 ms at D = 40).
    """
    dim = stats.dim
    beta = float(stats.beta)
    if beta <= 0.0:
        raise ValueError("MLLT stats are empty (total count is 0): no frames accumulated")
    G = np.array([_floored_if_singular(_sym(g)) for g in stats.G])
    try:
        G_inv = np.linalg.inv(G)
    except np.linalg.LinAlgError as err:
        raise ValueError("an MLLT G matrix is singular, cannot estimate MLLT (too little "
                         "data, or constant/duplicated feature dims)") from err
    A = np.eye(dim)
    eye = np.eye(dim)
    for _ in range(num_iters):
        for i in range(dim):
            cofactor = np.linalg.solve(A, eye[:, i])  # i'th column of A^-1
            g = G_inv[i] @ cofactor
            norm = float(cofactor @ g)
            if not norm > 0.0:
                raise ValueError("MLLT update failed: G matrix is not positive definite")
            A[i] = g * np.sqrt(beta / norm)
    improvement = mllt_objective(stats, A) - mllt_objective(stats, eye)
    return A, improvement / beta


# ---- models and matrices -----------------------------------------------------------------


def transform_means(am: khg.AmDiagGmm, A: np.ndarray) -> None:
    """gmm-transform-means, in place: mu <- A mu (or A [mu; 1] for an affine (D, D+1) A)
    for every Gaussian; variances unchanged, gconsts recomputed."""
    a = np.asarray(A, np.float64)
    dim = am.dim
    if a.ndim != 2 or a.shape[0] != dim or a.shape[1] not in (dim, dim + 1):
        raise ValueError(f"transform of shape {a.shape} does not fit a model of dim {dim} "
                         f"(need ({dim}, {dim}) or ({dim}, {dim + 1}))")
    linear, offset = a[:, :dim], (a[:, dim] if a.shape[1] == dim + 1 else np.zeros(dim))
    for pdf in range(am.num_pdfs):
        gmm = am.get_pdf(pdf)  # a reference into `am`
        means = np.asarray(gmm.means_invvars, np.float64) / np.asarray(gmm.inv_vars, np.float64)
        gmm.set_means((means @ linear.T + offset).astype(np.float32))
        gmm.compute_gconsts()


def compose_transforms(a: np.ndarray, b: np.ndarray, b_is_affine: bool = False) -> np.ndarray:
    """compose-transforms a b: the transform "b then a". Linear a: a @ b. Affine a
    (a.cols == b.rows + 1): b is extended with the row [0 ... 0 1] if `b_is_affine`, else
    a's offset column is kept: [a_lin @ b, a_offset]."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape[1] == b.shape[0]:
        return a @ b
    if a.shape[1] == b.shape[0] + 1:
        if b_is_affine:
            if b.shape[1] != b.shape[0] + 1:
                raise ValueError(f"b of shape {b.shape} is not an affine (n, n+1) transform")
            b_ext = np.vstack([b, np.eye(1, b.shape[1], b.shape[0])])
            return a @ b_ext
        return np.hstack([a[:, :-1] @ b, a[:, -1:]])
    raise ValueError(f"cannot compose transforms of shapes {a.shape} and {b.shape}")


# ---- helpers -----------------------------------------------------------------------------


def _sym(m: np.ndarray) -> np.ndarray:
    return 0.5 * (m + m.T)


def _frame_weights(weights: np.ndarray | None, num_frames: int) -> np.ndarray:
    if weights is None:
        return np.ones(num_frames)
    w = np.asarray(weights, np.float64).reshape(-1)
    if w.shape[0] != num_frames:
        raise ValueError(f"{w.shape[0]} weights for {num_frames} frames")
    return w


def _check_frames(x: np.ndarray, labels: np.ndarray, dim: int, what: str) -> None:
    if x.ndim != 2 or x.shape[1] != dim:
        raise ValueError(f"features must be (frames, {dim}), got shape {x.shape}")
    if labels.shape[0] != x.shape[0]:
        raise ValueError(f"{labels.shape[0]} {what} for {x.shape[0]} frames")


def _check_aligned_frames(am: khg.AmDiagGmm, x: np.ndarray, pdfs: np.ndarray, dim: int,
                          what: str) -> None:
    """Frames (T, dim) with one pdf id of `am` each, for `what` statistics of dim `dim`."""
    _check_frames(x, pdfs, dim, "pdfs")
    if am.dim != dim:
        raise ValueError(f"model dim {am.dim} != {what} stats dim {dim}")
    if pdfs.size and (pdfs.min() < 0 or pdfs.max() >= am.num_pdfs):
        raise ValueError(f"pdf ids must be in [0, {am.num_pdfs}), "
                         f"got range [{pdfs.min()}, {pdfs.max()}]")


def _component_posteriors(x: np.ndarray, gconsts: np.ndarray, means_invvars: np.ndarray,
                          inv_vars: np.ndarray) -> np.ndarray:
    """DiagGmm::ComponentPosteriors for each row of x: (n, C), rows summing to 1."""
    loglikes = gconsts + x @ means_invvars.T - 0.5 * (x * x) @ inv_vars.T
    loglikes -= loglikes.max(axis=1, keepdims=True)
    post = np.exp(loglikes)
    post /= post.sum(axis=1, keepdims=True)
    return post
