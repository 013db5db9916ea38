"""Soft-target utilities: temperature, KL, top-k Posterior conversion."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from pykaldi_distill.nnet.distill import (
    dense_from_posterior,
    kl_divergence,
    soft_cross_entropy,
    soften_targets,
    temperature_soften,
    topk_posterior,
)


def _logits(frames: int = 7, pdfs: int = 11, seed: int = 0) -> torch.Tensor:
    return torch.randn(frames, pdfs, generator=torch.Generator().manual_seed(seed),
                       dtype=torch.float64) * 3


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.0, 5.0])
def test_temperature_soften_matches_softmax_of_logits(temperature: float) -> None:
    z = _logits()
    post = torch.softmax(z, dim=-1)
    expected = torch.softmax(z / temperature, dim=-1)
    np.testing.assert_allclose(temperature_soften(post.numpy(), temperature), expected.numpy(),
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(soften_targets(post, temperature).numpy(), expected.numpy(),
                               rtol=1e-9, atol=1e-12)


def test_soften_keeps_zeros_and_renormalises() -> None:
    post = np.array([[0.5, 0.3, 0.0, 0.1]], dtype=np.float32)  # top-k style, sums to 0.9
    out = temperature_soften(post, 2.0)
    assert out[0, 2] == 0.0
    assert out.sum() == pytest.approx(1.0, abs=1e-6)
    t1 = soften_targets(torch.from_numpy(post), 1.0)
    assert float(t1.sum()) == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ValueError):
        temperature_soften(post, 0.0)


def test_kl_at_t1_is_cross_entropy_minus_entropy() -> None:
    teacher = torch.softmax(_logits(seed=1), dim=-1)
    student = _logits(seed=2)
    entropy = -(teacher * teacher.log()).sum(-1)
    ce = soft_cross_entropy(student, teacher, reduction="none")
    expected_ce = -(teacher * F.log_softmax(student, -1)).sum(-1)
    torch.testing.assert_close(ce, expected_ce)
    kl = kl_divergence(student, teacher, 1.0, reduction="none")
    torch.testing.assert_close(kl, ce - entropy)
    torch.testing.assert_close(kl_divergence(student, teacher), (ce - entropy).mean())
    torch.testing.assert_close(kl_divergence(student, teacher, reduction="sum"),
                               (ce - entropy).sum())


@pytest.mark.parametrize("temperature", [1.0, 3.0])
def test_kl_of_identical_distributions_is_zero(temperature: float) -> None:
    z = _logits(seed=3)
    kl = kl_divergence(z, torch.softmax(z, -1), temperature, reduction="none")
    torch.testing.assert_close(kl, torch.zeros_like(kl), atol=1e-10, rtol=0)


def test_kl_with_temperature_matches_hinton_formula() -> None:
    teacher_z, student_z, t = _logits(seed=4), _logits(seed=5), 2.5
    p = torch.softmax(teacher_z / t, -1)
    expected = t**2 * (p * (p.log() - F.log_softmax(student_z / t, -1))).sum(-1)
    got = kl_divergence(student_z, torch.softmax(teacher_z, -1), t, reduction="none")
    torch.testing.assert_close(got, expected)


def test_kl_gradient_is_finite_with_zero_targets() -> None:
    student = torch.zeros(2, 4, requires_grad=True)
    target = torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.5, 0.5, 0.0, 0.0]])
    kl_divergence(student, target, 2.0).backward()
    assert student.grad is not None and torch.isfinite(student.grad).all()


def test_topk_posterior_sorted_renormalised() -> None:
    post = np.array([[0.1, 0.6, 0.05, 0.25], [0.0, 0.0, 1.0, 0.0]], dtype=np.float32)
    top = topk_posterior(post, 2)
    assert [pdf for pdf, _ in top[0]] == [1, 3]
    assert top[0][0][1] == pytest.approx(0.6 / 0.85, rel=1e-6)
    assert sum(w for _, w in top[0]) == pytest.approx(1.0, abs=1e-6)
    assert top[1] == [(2, 1.0)]  # zero weights dropped
    assert len(topk_posterior(post, 10)[0]) == 4  # k > pdfs
    with pytest.raises(ValueError):
        topk_posterior(post, 0)


def test_dense_from_posterior_round_trip() -> None:
    post = torch.softmax(_logits(seed=6), -1).numpy().astype(np.float32)
    dense = dense_from_posterior(topk_posterior(post, post.shape[1]), post.shape[1])
    np.testing.assert_allclose(dense, post / post.sum(1, keepdims=True), rtol=1e-5, atol=1e-7)
    summed = dense_from_posterior([[(0, 0.25), (0, 0.25), (2, 0.5)]], 3)
    np.testing.assert_allclose(summed, [[0.5, 0.0, 0.5]])
    with pytest.raises(ValueError):
        dense_from_posterior([[(3, 1.0)]], 3)
