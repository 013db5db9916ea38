"""fmllr: Kaldi's gmm-est-fmllr statistics and row-by-row transform estimation."""

import kaldi_hmm_gmm as khg
import numpy as np
import pytest

from pykaldi_distill.features import apply_transform
from pykaldi_distill.gmm.fmllr import (
    FmllrStats,
    estimate_fmllr,
    fmllr_objective,
    identity_transform,
)


def _model(means: np.ndarray, variances: np.ndarray, weights: np.ndarray | None = None
           ) -> khg.AmDiagGmm:
    """One pdf per row of means (pdfs, C, D); C Gaussians each."""
    am = khg.AmDiagGmm()
    for pdf in range(means.shape[0]):
        c = means.shape[1]
        gmm = khg.DiagGmm(nmix=c, dim=means.shape[2])
        gmm.set_weights(np.full(c, 1.0 / c, np.float32) if weights is None
                        else np.asarray(weights[pdf], np.float32))
        gmm.set_means(np.asarray(means[pdf], np.float32))
        gmm.set_invvars((1.0 / variances[pdf]).astype(np.float32))
        gmm.compute_gconsts()
        am.add_pdf(gmm)
    return am


def _speaker(rng: np.random.Generator, frames: int = 20000, dim: int = 3, pdfs: int = 6
             ) -> tuple[khg.AmDiagGmm, np.ndarray, np.ndarray, np.ndarray]:
    """A one-Gaussian-per-pdf model, frames drawn from it, seen through the inverse of a
    known affine map: returns (model, observed feats, pdf labels, true W = [A b])."""
    means = rng.normal(size=(pdfs, 1, dim)) * 3.0
    variances = rng.uniform(0.5, 2.0, size=(pdfs, 1, dim))
    labels = rng.integers(0, pdfs, size=frames)
    model_space = means[labels, 0] + rng.normal(size=(frames, dim)) * np.sqrt(variances[labels, 0])
    a = np.eye(dim) + 0.3 * rng.normal(size=(dim, dim))
    b = rng.normal(size=dim)
    observed = (model_space - b) @ np.linalg.inv(a).T
    return _model(means, variances), observed, labels, np.hstack([a, b[:, None]])


def test_recovers_the_speakers_affine_map() -> None:
    am, feats, labels, truth = _speaker(np.random.default_rng(0))
    stats = FmllrStats.zeros(3)
    stats.accumulate(am, feats, labels)
    w, gain = estimate_fmllr(stats)
    np.testing.assert_allclose(w, truth, atol=0.05)
    assert gain > 0
    assert fmllr_objective(stats, w) >= fmllr_objective(stats, truth) - 1e-6
    adapted = apply_transform(feats.astype(np.float32), w)
    assert adapted.shape == feats.shape


def test_stats_match_their_definition() -> None:
    rng = np.random.default_rng(1)
    means = rng.normal(size=(2, 2, 2))
    variances = rng.uniform(0.5, 2.0, size=(2, 2, 2))
    am = _model(means, variances, weights=np.array([[0.3, 0.7], [0.6, 0.4]]))
    x = rng.normal(size=(5, 2))
    pdfs = np.array([0, 1, 1, 0, 1])
    weights = np.array([1.0, 0.5, 0.0, 1.0, 2.0])
    stats = FmllrStats.zeros(2)
    stats.accumulate(am, x, pdfs, weights)
    beta, K, G = 0.0, np.zeros((2, 3)), np.zeros((2, 3, 3))
    for t in range(5):
        gmm = am.get_pdf(int(pdfs[t]))
        post = np.asarray(gmm.component_posteriors(x[t].astype(np.float32))[1], np.float64)
        xi = np.append(x[t], 1.0)
        for g in range(2):
            gamma = weights[t] * post[g]
            beta += gamma
            for i in range(2):
                K[i] += gamma * means[pdfs[t], g, i] / variances[pdfs[t], g, i] * xi
                G[i] += gamma / variances[pdfs[t], g, i] * np.outer(xi, xi)
    assert stats.beta == pytest.approx(beta)
    np.testing.assert_allclose(stats.K, K, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(stats.G, G, rtol=1e-4, atol=1e-6)


def test_each_iteration_raises_the_objective_and_stats_add_up() -> None:
    am, feats, labels, _ = _speaker(np.random.default_rng(2), frames=4000)
    whole, first, second = FmllrStats.zeros(3), FmllrStats.zeros(3), FmllrStats.zeros(3)
    whole.accumulate(am, feats, labels)
    first.accumulate(am, feats[:1500], labels[:1500])
    second.accumulate(am, feats[1500:], labels[1500:])
    first.add(second)
    np.testing.assert_allclose(first.G, whole.G, rtol=1e-9)
    assert first.beta == pytest.approx(whole.beta)
    objectives, w = [fmllr_objective(whole, identity_transform(3))], None
    for _ in range(4):
        w, _ = estimate_fmllr(whole, w, num_iters=1)
        objectives.append(fmllr_objective(whole, w))
    assert objectives == sorted(objectives)


def test_too_little_data_keeps_the_start() -> None:
    am, feats, labels, _ = _speaker(np.random.default_rng(3), frames=30)
    stats = FmllrStats.zeros(3)
    stats.accumulate(am, feats, labels)
    w, gain = estimate_fmllr(stats, min_count=50.0)
    np.testing.assert_array_equal(w, identity_transform(3))
    assert gain == 0.0


def test_singular_statistics_keep_the_start() -> None:
    am, feats, labels, _ = _speaker(np.random.default_rng(5), frames=200)
    stats = FmllrStats.zeros(3)
    flat = feats.copy()
    flat[:, 2] = 1.0  # a constant dimension: G is singular
    stats.accumulate(am, flat, labels)
    w, gain = estimate_fmllr(stats)
    np.testing.assert_array_equal(w, identity_transform(3))
    assert gain == 0.0


def test_bad_input_is_refused() -> None:
    am, feats, labels, _ = _speaker(np.random.default_rng(4), frames=10)
    stats = FmllrStats.zeros(3)
    with pytest.raises(ValueError, match="pdfs for"):
        stats.accumulate(am, feats, labels[:5])
    with pytest.raises(ValueError, match="pdf ids"):
        stats.accumulate(am, feats, labels + 100)
    with pytest.raises(ValueError, match="model dim"):
        FmllrStats.zeros(2).accumulate(am, feats[:, :2], labels)
    with pytest.raises(ValueError, match="must be"):
        estimate_fmllr(stats, np.eye(3))
    with pytest.raises(ValueError, match="dim 2 to dim 3"):
        stats.add(FmllrStats.zeros(2))
