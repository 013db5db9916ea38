import numpy as np
import pytest

from pykaldi_distill.report.frame_accuracy import frame_accuracy, frame_accuracy_markdown


def test_frame_accuracy_by_hand() -> None:
    post = np.log(np.array([[0.7, 0.2, 0.1],
                            [0.1, 0.6, 0.3],
                            [0.5, 0.1, 0.4]]))  # (frames, pdfs)
    ali = {"u1": np.array([0, 2, 0]), "u2": np.array([1])}  # u2: wrong length
    acc = frame_accuracy([("u1", post), ("u2", post), ("u3", post)], ali)
    assert acc.frames == 3 and acc.skipped_utts == 2
    assert acc.accuracy == pytest.approx(2 / 3)  # frames 0 and 2 agree
    assert acc.mean_log_post == pytest.approx(np.log([0.7, 0.3, 0.5]).mean())
    p = np.exp(post)
    assert acc.mean_entropy == pytest.approx(-(p * post).sum(axis=1).mean())
    assert acc.confident_misses == 0.0
    sure = np.log(np.array([[1e-4, 1 - 1e-4], [0.5, 0.5]]))
    missed = frame_accuracy([("u", sure)], {"u": np.array([0, 0])})
    assert missed.confident_misses == pytest.approx(0.5)  # frame 0 gives pdf 0 only 1e-4
    md = frame_accuracy_markdown([("teacher", acc)], "exp/tri3_ali")
    assert "against exp/tri3_ali" in md and "| teacher | 3 | 0.6667 |" in md
    assert "| mean entropy | aligned pdf < 0.001 |" in md
