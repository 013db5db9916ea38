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
    md = frame_accuracy_markdown([("teacher", acc)], "exp/tri3_ali")
    assert "against exp/tri3_ali" in md and "| teacher | 3 | 0.6667 |" in md
