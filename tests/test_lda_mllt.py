from pathlib import Path

import kaldi_hmm_gmm as khg
import kaldi_native_io as knio
import numpy as np
import pytest

from pykaldi_distill.errors import InputError
from pykaldi_distill.formats.kaldi_format import read_kaldi_matrix, write_kaldi_matrix
from pykaldi_distill.gmm.lda_mllt import (
    LdaStats,
    MlltStats,
    compose_transforms,
    estimate_lda,
    estimate_mllt,
    mllt_objective,
    transform_means,
)


def _diag_gmm(weights: np.ndarray, means: np.ndarray, variances: np.ndarray) -> khg.DiagGmm:
    gmm = khg.DiagGmm(nmix=len(weights), dim=means.shape[1])
    gmm.set_weights(np.asarray(weights, np.float32))
    gmm.set_means(np.asarray(means, np.float32))
    gmm.set_invvars((1.0 / np.asarray(variances)).astype(np.float32))
    gmm.compute_gconsts()
    return gmm


def _labelled_classes(rng: np.random.Generator, num_classes: int, dim: int, per_class: int
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Classes with a shared, correlated within-class covariance; means spread out."""
    mix = rng.normal(size=(dim, dim))
    means = rng.normal(size=(num_classes, dim)) * 3.0
    labels = np.repeat(np.arange(num_classes), per_class)
    feats = means[labels] + rng.normal(size=(labels.size, dim)) @ mix.T
    return feats, labels, means


# ---- LDA ---------------------------------------------------------------------------------

def test_lda_whitens_within_and_diagonalises_between() -> None:
    rng = np.random.default_rng(0)
    feats, labels, _ = _labelled_classes(rng, num_classes=5, dim=6, per_class=400)
    stats = LdaStats.zeros(5, 6)
    stats.accumulate(feats, labels)
    lda = estimate_lda(stats, dim=4)
    assert lda.shape == (4, 6)
    total, between, _, count = stats.covariances()
    assert count == pytest.approx(2000)
    within = total - between
    np.testing.assert_allclose(lda @ within @ lda.T, np.eye(4), atol=1e-9)
    projected_between = lda @ between @ lda.T
    values = np.diag(projected_between)
    np.testing.assert_allclose(projected_between, np.diag(values), atol=1e-9)
    assert np.all(np.diff(values) <= 0) and values[-1] > 0  # 5 classes: 4 non-zero values


def test_lda_stats_match_direct_covariances() -> None:
    rng = np.random.default_rng(1)
    feats, labels, _ = _labelled_classes(rng, num_classes=3, dim=4, per_class=300)
    stats = LdaStats.zeros(3, 4)
    stats.accumulate(feats, labels)
    total, between, mean, _ = stats.covariances()
    np.testing.assert_allclose(mean, feats.mean(axis=0))
    np.testing.assert_allclose(total, np.cov(feats.T, bias=True), atol=1e-9)
    class_means = np.stack([feats[labels == c].mean(axis=0) for c in range(3)])
    np.testing.assert_allclose(between, np.cov(class_means.T, bias=True), atol=1e-9)


def test_lda_top_direction_separates_classes() -> None:
    rng = np.random.default_rng(2)
    dim = 5
    # Two classes that differ along one direction hidden among large nuisance variance.
    direction = np.linalg.qr(rng.normal(size=(dim, dim)))[0][:, 0]
    noise_scale = np.diag([10.0, 8.0, 6.0, 4.0, 2.0])
    labels = np.repeat([0, 1], 1000)
    basis = np.linalg.qr(np.column_stack([direction, rng.normal(size=(dim, dim - 1))]))[0]
    noise = rng.normal(size=(labels.size, dim)) @ noise_scale @ basis[:, ::-1].T
    noise -= np.outer(noise @ direction, direction) * 0.98  # little noise along `direction`
    feats = noise + np.outer(labels * 2.0, direction)
    stats = LdaStats.zeros(2, dim)
    stats.accumulate(feats, labels)
    top = estimate_lda(stats, dim=1)[0]
    cosine = abs(top @ direction) / np.linalg.norm(top)
    assert cosine > 0.95
    projected = feats @ top
    threshold = 0.5 * (projected[labels == 0].mean() + projected[labels == 1].mean())
    sign = np.sign(projected[labels == 1].mean() - threshold)
    accuracy = np.mean((sign * (projected - threshold) > 0) == (labels == 1))
    assert accuracy > 0.95


def test_lda_stats_weights_and_add() -> None:
    rng = np.random.default_rng(3)
    feats, labels, _ = _labelled_classes(rng, num_classes=3, dim=4, per_class=100)
    weights = rng.random(labels.size)
    weights[::7] = 0.0  # silence frames
    whole = LdaStats.zeros(3, 4)
    whole.accumulate(feats, labels, weights)
    parts = LdaStats.zeros(3, 4)
    for half in (slice(0, 150), slice(150, None)):
        job = LdaStats.zeros(3, 4)
        job.accumulate(feats[half], labels[half], weights[half])
        parts.add(job)
    np.testing.assert_allclose(parts.scatter, whole.scatter)
    np.testing.assert_allclose(parts.first, whole.first)
    np.testing.assert_allclose(whole.occ, np.bincount(labels, weights))
    np.testing.assert_allclose(whole.first[1], weights[labels == 1] @ feats[labels == 1])


def test_lda_rejects_bad_dims_and_empty_stats() -> None:
    rng = np.random.default_rng(4)
    feats, labels, _ = _labelled_classes(rng, num_classes=3, dim=4, per_class=50)
    stats = LdaStats.zeros(3, 4)
    stats.accumulate(feats, labels)
    with pytest.raises(ValueError, match="LDA dim"):
        estimate_lda(stats, dim=5)
    with pytest.raises(ValueError, match="LDA dim"):
        estimate_lda(stats, dim=0)
    with pytest.raises(ValueError, match="empty"):
        estimate_lda(LdaStats.zeros(3, 4), dim=2)
    with pytest.raises(ValueError, match="class ids"):
        stats.accumulate(feats, labels + 1)
    with pytest.raises(ValueError, match="features"):
        stats.accumulate(feats[:, :3], labels)


def test_lda_within_class_factor_scales_rows() -> None:
    rng = np.random.default_rng(5)
    feats, labels, _ = _labelled_classes(rng, num_classes=4, dim=5, per_class=200)
    stats = LdaStats.zeros(4, 5)
    stats.accumulate(feats, labels)
    plain = estimate_lda(stats, dim=3)
    scaled = estimate_lda(stats, dim=3, within_class_factor=0.5)
    total, between, _, _ = stats.covariances()
    values = np.diag(plain @ between @ plain.T)
    np.testing.assert_allclose(scaled, plain * np.sqrt((0.5 + values) / (1 + values))[:, None])


# ---- MLLT --------------------------------------------------------------------------------

def _rotated_classes(rng: np.random.Generator, frames_per_class: int = 3000
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Three diagonal-covariance classes in z-space, observed as x = Q z."""
    dim = 4
    rotation = np.linalg.qr(rng.normal(size=(dim, dim)))[0]
    means = rng.normal(size=(3, dim)) * 4.0
    variances = np.array([[9.0, 1.0, 0.25, 4.0], [1.0, 9.0, 4.0, 0.25], [4.0, 0.25, 9.0, 1.0]])
    labels = np.repeat(np.arange(3), frames_per_class)
    z = means[labels] + rng.normal(size=(labels.size, dim)) * np.sqrt(variances[labels])
    return z @ rotation.T, labels, means @ rotation.T, variances, rotation


def _rotated_space_model(means_x: np.ndarray, variances: np.ndarray,
                         rotation: np.ndarray) -> khg.AmDiagGmm:
    """pdf 0: classes 0 and 1 as a 2-Gaussian mixture (soft posteriors); pdf 1: class 2.
    Diagonal variances are those of the true covariances in x-space."""
    diag_vars = np.stack([np.einsum("ij,j,ij->i", rotation, v, rotation) for v in variances])
    am = khg.AmDiagGmm()
    am.add_pdf(_diag_gmm(np.array([0.5, 0.5]), means_x[:2], diag_vars[:2]))
    am.add_pdf(_diag_gmm(np.array([1.0]), means_x[2:], diag_vars[2:]))
    return am


def _diag_loglike_per_frame(feats: np.ndarray, labels: np.ndarray) -> float:
    """Average log-likelihood of ML diagonal Gaussians re-estimated per class."""
    total = 0.0
    for c in np.unique(labels):
        x = feats[labels == c]
        var = x.var(axis=0)
        total += -0.5 * np.sum(np.log(2 * np.pi * var) + (x - x.mean(axis=0)) ** 2 / var)
    return total / feats.shape[0]


def test_mllt_improves_objective_and_diagonal_likelihood() -> None:
    rng = np.random.default_rng(6)
    feats, labels, means_x, variances, rotation = _rotated_classes(rng)
    am = _rotated_space_model(means_x, variances, rotation)
    pdfs = (labels == 2).astype(np.int64)  # classes 0,1 -> pdf 0; class 2 -> pdf 1
    stats = MlltStats.zeros(4)
    stats.accumulate(am, feats, pdfs)
    assert stats.beta == pytest.approx(labels.size)
    A, improvement = estimate_mllt(stats)
    assert improvement > 0.1
    assert mllt_objective(stats, A) - mllt_objective(stats, np.eye(4)) == pytest.approx(
        improvement * stats.beta)
    _, fewer = estimate_mllt(stats, num_iters=5)
    assert 0.0 <= fewer <= improvement + 1e-9
    _, logdet = np.linalg.slogdet(A)
    before = _diag_loglike_per_frame(feats, labels)
    after = _diag_loglike_per_frame(feats @ A.T, labels) + logdet  # with the Jacobian
    assert after > before + 0.1


def test_mllt_alternating_with_reestimation_undoes_the_rotation() -> None:
    """As train_lda_mllt.sh alternates est-mllt with gmm-est: the composed transform ends up
    a scaled permutation (with signs) of the inverse rotation."""
    rng = np.random.default_rng(6)
    feats, labels, _, _, rotation = _rotated_classes(rng)
    pdfs = (labels == 2).astype(np.int64)
    total = np.eye(4)
    for _ in range(2):
        y = feats @ total.T
        means = np.stack([y[labels == c].mean(axis=0) for c in range(3)])
        variances = np.stack([y[labels == c].var(axis=0) for c in range(3)])
        am = khg.AmDiagGmm()
        am.add_pdf(_diag_gmm(np.array([0.5, 0.5]), means[:2], variances[:2]))
        am.add_pdf(_diag_gmm(np.array([1.0]), means[2:], variances[2:]))
        stats = MlltStats.zeros(4)
        stats.accumulate(am, y, pdfs)
        A, improvement = estimate_mllt(stats)
        assert improvement >= 0.0
        total = compose_transforms(A, total)
    recovered = np.abs(total @ rotation)
    recovered /= recovered.max(axis=1, keepdims=True)
    assert np.sort(recovered, axis=1)[:, -2].max() < 0.15
    assert sorted(recovered.argmax(axis=1)) == [0, 1, 2, 3]


def test_mllt_stats_match_per_frame_reference() -> None:
    rng = np.random.default_rng(7)
    feats, labels, means_x, variances, rotation = _rotated_classes(rng, frames_per_class=20)
    am = _rotated_space_model(means_x, variances, rotation)
    pdfs = (labels == 2).astype(np.int64)
    weights = rng.random(labels.size)
    weights[::5] = 0.0
    stats = MlltStats.zeros(4)
    stats.accumulate(am, feats, pdfs, weights)
    G = np.zeros((4, 4, 4))
    beta = 0.0
    for x, pdf, w in zip(feats, pdfs, weights, strict=True):
        gmm = am.get_pdf(int(pdf))
        _, post = gmm.component_posteriors(x.astype(np.float32))
        inv_vars = np.asarray(gmm.inv_vars, np.float64)
        means = np.asarray(gmm.means_invvars, np.float64) / inv_vars
        for g, gamma in enumerate(np.asarray(post, np.float64).reshape(-1) * w):
            d = x - means[g]
            G += gamma * inv_vars[g][:, None, None] * np.outer(d, d)
            beta += gamma
    assert stats.beta == pytest.approx(beta, rel=1e-5)
    np.testing.assert_allclose(stats.G, G, rtol=1e-4, atol=1e-6 * np.abs(G).max())
    halves = MlltStats.zeros(4)
    for part in (slice(0, 30), slice(30, None)):
        job = MlltStats.zeros(4)
        job.accumulate(am, feats[part], pdfs[part], weights[part])
        halves.add(job)
    np.testing.assert_allclose(halves.G, stats.G, rtol=1e-10, atol=1e-10)


def test_mllt_rejects_empty_and_mismatched() -> None:
    with pytest.raises(ValueError, match="empty"):
        estimate_mllt(MlltStats.zeros(3))
    am = khg.AmDiagGmm()
    am.add_pdf(_diag_gmm(np.ones(1), np.zeros((1, 3)), np.ones((1, 3))))
    with pytest.raises(ValueError, match="model dim"):
        MlltStats.zeros(4).accumulate(am, np.zeros((2, 4)), np.zeros(2, np.int64))
    with pytest.raises(ValueError, match="pdf ids"):
        MlltStats.zeros(3).accumulate(am, np.zeros((2, 3)), np.array([0, 1]))


# ---- model and matrix helpers ------------------------------------------------------------

def test_transform_means_linear_and_affine() -> None:
    rng = np.random.default_rng(8)
    means = rng.normal(size=(2, 3))
    variances = rng.random((2, 3)) + 0.5
    am = khg.AmDiagGmm()
    am.add_pdf(_diag_gmm(np.array([0.3, 0.7]), means, variances))
    am.add_pdf(_diag_gmm(np.array([1.0]), means[:1], variances[:1]))
    A = rng.normal(size=(3, 3))
    transform_means(am, A)
    gmm = am.get_pdf(0)
    inv_vars = np.asarray(gmm.inv_vars, np.float64)
    np.testing.assert_allclose(inv_vars, 1.0 / variances, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(gmm.means_invvars) / inv_vars, means @ A.T,
                               rtol=1e-5, atol=1e-5)
    expected = _diag_gmm(np.array([0.3, 0.7]), means @ A.T, variances)
    np.testing.assert_allclose(np.asarray(gmm.gconsts), np.asarray(expected.gconsts),
                               rtol=1e-5, atol=1e-4)
    offset = rng.normal(size=3)
    transform_means(am, np.column_stack([np.eye(3), offset]))
    gmm1 = am.get_pdf(1)
    np.testing.assert_allclose(
        np.asarray(gmm1.means_invvars) / np.asarray(gmm1.inv_vars),
        means[:1] @ A.T + offset, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="does not fit"):
        transform_means(am, np.eye(4))


def test_compose_transforms() -> None:
    rng = np.random.default_rng(9)
    a, b = rng.normal(size=(3, 3)), rng.normal(size=(3, 5))
    np.testing.assert_allclose(compose_transforms(a, b), a @ b)
    affine_a = rng.normal(size=(3, 4))
    x = rng.normal(size=5)
    np.testing.assert_allclose(compose_transforms(affine_a, b) @ np.append(x, 1.0),
                               affine_a @ np.append(b @ x, 1.0))
    affine_b = rng.normal(size=(3, 4))
    y = rng.normal(size=3)
    np.testing.assert_allclose(compose_transforms(affine_a, affine_b, b_is_affine=True)
                               @ np.append(y, 1.0),
                               affine_a @ np.append(affine_b @ np.append(y, 1.0), 1.0))
    with pytest.raises(ValueError, match="cannot compose"):
        compose_transforms(a, rng.normal(size=(5, 2)))


@pytest.mark.parametrize("binary", [True, False])
def test_matrix_round_trip_and_kaldi_reader(tmp_path: Path, binary: bool) -> None:
    m = np.random.default_rng(10).normal(size=(3, 5))
    path = tmp_path / "final.mat"
    write_kaldi_matrix(path, m, binary=binary)
    assert path.read_bytes().startswith(b"\0B") == binary
    back = read_kaldi_matrix(path)
    assert back.shape == (3, 5)
    np.testing.assert_allclose(back, m.astype(np.float32), rtol=1e-7)
    np.testing.assert_allclose(knio.FloatMatrix.read(str(path)).numpy(), back, rtol=1e-7)
    assert not list(tmp_path.glob(".*tmp"))


def test_read_kaldi_matrix_rejects_bad_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_kaldi_matrix(tmp_path / "missing.mat")
    garbage = tmp_path / "garbage.mat"
    garbage.write_bytes(b"hello world")
    with pytest.raises(InputError, match="garbage.mat"):
        read_kaldi_matrix(garbage)
    truncated = tmp_path / "truncated.mat"
    write_kaldi_matrix(truncated, np.ones((4, 4)))
    truncated.write_bytes(truncated.read_bytes()[:-8])
    with pytest.raises(InputError, match="truncated.mat"):
        read_kaldi_matrix(truncated)


def test_pdf_and_weight_tables_match_the_transition_model() -> None:
    from test_model_io import make_model

    from pykaldi_distill.hmm.transitions import pdf_and_weight_tables

    tm, _, _ = make_model()
    silence = {1}
    tid2pdf, tid2weight = pdf_and_weight_tables(tm, silence)
    for tid in range(1, tm.num_transition_ids + 1):
        assert tid2pdf[tid] == tm.transition_id_to_pdf(tid)
        assert tid2weight[tid] == (0.0 if tm.transition_id_to_phone(tid) in silence else 1.0)
    assert 0.0 in tid2weight[1:] and 1.0 in tid2weight[1:]


def test_stack_aligned_concatenates_in_the_given_order() -> None:
    from pykaldi_distill.gmm.triphone import stack_aligned

    alignments = {"a": [1, 2], "b": [3], "c": [4, 5, 6]}
    feats = {u: np.full((len(a), 2), float(k)) for k, (u, a) in enumerate(alignments.items())}
    tids, x = stack_aligned(["c", "a"], alignments, feats)
    assert tids.tolist() == [4, 5, 6, 1, 2] and tids.dtype == np.int64
    assert x.shape == (5, 2)
    assert x[:, 0].tolist() == [2.0, 2.0, 2.0, 0.0, 0.0]


def test_initial_transform_deltas_and_bad_settings() -> None:
    """init_transform 'deltas' is the delta matrix (no statistics needed); a splice or dim
    that cannot hold deltas, or an unknown name, is a ValueError naming what is wrong."""
    from pykaldi_distill.features import delta_matrix
    from pykaldi_distill.gmm.triphone import LdaMlltConfig, initial_transform

    spliced = {"u": np.zeros((5, 13 * 9), np.float32)}
    config = LdaMlltConfig(splice=4, lda_dim=39, init_transform="deltas")
    np.testing.assert_array_equal(initial_transform(None, {}, spliced, [], config),
                                  delta_matrix(13))
    with pytest.raises(ValueError, match="splice 4 and lda_dim 39"):
        initial_transform(None, {}, spliced, [], LdaMlltConfig(splice=4, lda_dim=40,
                                                               init_transform="deltas"))
    with pytest.raises(ValueError, match="'lda' or 'deltas'"):
        initial_transform(None, {}, spliced, [], LdaMlltConfig(init_transform="hlda"))
    with pytest.raises(ValueError, match="larger than the spliced feature dimension 117"):
        initial_transform(None, {}, spliced, [], LdaMlltConfig(splice=4, lda_dim=120))
