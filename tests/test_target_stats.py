import math

import numpy as np
import pytest

from pykaldi_distill.report.target_stats import (
    frame_entropy,
    frame_support,
    keep_topk,
    soft_target_stats,
    soft_target_stats_markdown,
)

# Two frames over 4 pdfs: a confident one and a split one.
POST = np.array([[0.9, 0.05, 0.05, 0.0],
                 [0.4, 0.4, 0.1, 0.1]], dtype=np.float32)  # (frames, pdfs)


def test_entropy_and_support_by_hand() -> None:
    p = POST.astype(np.float64)
    h0 = -(0.9 * math.log(0.9) + 2 * 0.05 * math.log(0.05))
    h1 = -(2 * 0.4 * math.log(0.4) + 2 * 0.1 * math.log(0.1))
    assert frame_entropy(p) == pytest.approx([h0, h1])
    # 0.9 alone reaches 90 %; 0.4 + 0.4 + 0.1 does with three pdfs.
    assert frame_support(p).tolist() == [1, 3]


def test_keep_topk_drops_the_tail_and_renormalises() -> None:
    p = keep_topk(POST, 2)
    assert p[0] == pytest.approx([0.9 / 0.95, 0.05 / 0.95, 0, 0]) or \
        p[0] == pytest.approx([0.9 / 0.95, 0, 0.05 / 0.95, 0])  # tie: either 0.05 stays
    assert p[1] == pytest.approx([0.5, 0.5, 0, 0])
    assert keep_topk(POST, None).sum(axis=1) == pytest.approx([1, 1])


def test_stats_with_alignment_and_temperatures() -> None:
    targets = [("u1", POST), ("u2", POST[:1])]
    ali = {"u1": np.array([0, 2]), "u2": np.array([1, 1])}  # u2 has the wrong length
    t1, t2 = soft_target_stats(targets, [1.0, 2.0], ali)
    assert t1.frames == t2.frames == 3
    assert t1.top1 == pytest.approx((0.9 + 0.4 + 0.9) / 3, rel=1e-6)
    # Only u1 is aligned: frame 0 agrees (argmax 0), frame 1 does not (argmax 0 vs 2).
    assert t1.agreement == pytest.approx(0.5)
    assert t1.aligned_mass == pytest.approx((0.9 + 0.1) / 2, rel=1e-6)
    # Softening flattens: less top-1 mass, more entropy, at least as wide a support.
    assert t2.top1 < t1.top1 and t2.entropy > t1.entropy and t2.support >= t1.support
    assert t2.agreement == t1.agreement  # the argmax does not move with T


def test_stats_without_alignment_and_markdown() -> None:
    (s,) = soft_target_stats([("u1", POST)], [1.0])
    assert s.agreement is None and s.aligned_mass is None
    md = soft_target_stats_markdown([s], topk=20)
    assert "top-20" in md and "agreement" not in md
    (a,) = soft_target_stats([("u1", POST)], [1.0], {"u1": np.array([0, 0])})
    md = soft_target_stats_markdown([a], alignment_name="exp/tri3_ali")
    assert "| 1 | 2 | 0.650 |" in md and "100.0 %" in md and "exp/tri3_ali" in md
