"""Learning-curve and posterior-vs-alignment figures: library functions write PNGs, the CLIs
read history.json / targets.scp + ali dirs and stop with exit 1 naming the bad file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_model_io import make_model

from pykaldi_distill.bin import plot_learning_curves as curves_cli
from pykaldi_distill.bin import plot_posteriors as post_cli
from pykaldi_distill.formats import model_io
from pykaldi_distill.formats.io import write_int_vectors_gz, write_matrices
from pykaldi_distill.nnet import hybrid
from pykaldi_distill.report.plots import plot_learning_curves, plot_posteriors_vs_alignment

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC)
    assert len(data) > 1024


def fake_history(n_epochs: int, soft: bool, rejected: tuple[int, ...] = ()) -> dict:
    """A history.json as nnet.train writes it (epoch 0 = untrained model, no train stats)."""
    epochs = []
    for ep in range(n_epochs + 1):
        acc = 0.9 * (1 - np.exp(-ep)) + 0.01
        epochs.append({
            "epoch": ep, "lr": 0.0 if ep == 0 else 1e-3 / 2 ** max(0, ep - 3),
            "train_loss": None if ep == 0 else 2.0 / (ep + 1),
            "train_acc": None if ep == 0 else acc + 0.02,
            "cv_loss": 4.0 / (ep + 1) + 0.1, "cv_acc": acc,
            "cv_hard_acc": None if soft else acc,
            "frames_per_sec": None if ep == 0 else 3000.0, "seconds": 1.0,
            "accepted": ep not in rejected})
    accepted = [e["epoch"] for e in epochs if e["accepted"]]
    return {"epochs": epochs, "best_epoch": accepted[-1], "stop_reason": "converged"}


def softmax_rows(rng: np.random.Generator, frames: int, pdfs: int) -> np.ndarray:
    logits = rng.normal(scale=3.0, size=(frames, pdfs))
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def test_learning_curves_png(tmp_path: Path) -> None:
    histories = {"teacher": fake_history(6, soft=False, rejected=(5,))["epochs"],
                 "student_soft": fake_history(4, soft=True)["epochs"]}
    out = tmp_path / "figs" / "curves.png"
    plot_learning_curves(histories, out, title="digits")
    assert_png(out)
    assert not list(out.parent.glob(".*.tmp"))  # written atomically, no leftovers
    with pytest.raises(ValueError):
        plot_learning_curves({}, tmp_path / "empty.png")


def test_learning_curves_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, soft in (("teacher", False), ("student", True)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "history.json").write_text(json.dumps(fake_history(3, soft)))
    out = tmp_path / "curves.png"
    assert curves_cli.main([str(out), f"teacher={tmp_path / 'teacher'}",
                            f"student={tmp_path / 'student'}"]) == 0
    assert_png(out)

    missing = tmp_path / "nowhere" / "history.json"
    assert curves_cli.main([str(tmp_path / "bad.png"), f"x={missing.parent}"]) == 1
    assert str(missing) in capsys.readouterr().err
    (tmp_path / "teacher" / "history.json").write_text("{not json")
    assert curves_cli.main([str(tmp_path / "bad.png"), f"t={tmp_path / 'teacher'}"]) == 1
    assert "history.json" in capsys.readouterr().err
    (tmp_path / "teacher" / "history.json").write_text(json.dumps({"epochs": [{"epoch": 0}]}))
    assert curves_cli.main([str(tmp_path / "bad.png"), f"t={tmp_path / 'teacher'}"]) == 1
    assert "cv_loss" in capsys.readouterr().err
    assert not (tmp_path / "bad.png").exists()


def test_posteriors_png(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    post = softmax_rows(rng, 50, 60)
    ali = np.repeat(rng.choice(60, size=10, replace=False), 5)
    out = tmp_path / "post.png"
    plot_posteriors_vs_alignment(post, ali, out, title="utt1", max_pdfs=20)
    assert_png(out)
    with pytest.raises(ValueError, match="frames"):
        plot_posteriors_vs_alignment(post, ali[:-1], tmp_path / "x.png")
    with pytest.raises(ValueError, match="pdf ids"):
        plot_posteriors_vs_alignment(post, ali + 60, tmp_path / "x.png")


def test_select_pdfs_keeps_aligned_first() -> None:
    from pykaldi_distill.report.plots import _select_pdfs

    rng = np.random.default_rng(1)
    post = softmax_rows(rng, 30, 50)
    ali = np.array([7] * 10 + [3] * 10 + [40] * 10)
    rows = _select_pdfs(post, ali, 5)
    assert len(rows) == 5 and {7, 3, 40} <= set(rows.tolist())
    assert list(rows).index(7) < list(rows).index(3) < list(rows).index(40)  # time order
    assert list(_select_pdfs(post, ali, 2)) == [7, 3]  # only aligned pdfs when they fill it


def make_dirs(tmp_path: Path, frames: dict[str, int], n_target_frames: dict[str, int] | None = None,
              pdf_cols: int | None = None) -> tuple[Path, Path]:
    """An ali dir (toy final.mdl + tree + ali.1.gz) and a soft-targets dir (targets.scp)."""
    tm, am, tree = make_model()
    ali_dir = tmp_path / "ali"
    ali_dir.mkdir()
    model_io.write_gmm_model(ali_dir / "final.mdl", tm, am)
    model_io.write_tree(ali_dir / "tree", tree)
    info = hybrid.load_hmm_info(ali_dir)
    rng = np.random.default_rng(2)
    tids = rng.integers(1, info.tm.num_transition_ids + 1, size=(len(frames), max(frames.values())))
    write_int_vectors_gz(ali_dir / "ali.1.gz", [(utt, tids[i, :n])
                                                for i, (utt, n) in enumerate(frames.items())])
    (ali_dir / "num_jobs").write_text("1\n")
    n_target_frames = n_target_frames or frames
    cols = pdf_cols or info.num_pdfs
    targets = tmp_path / "targets"
    targets.mkdir()
    write_matrices(targets / "targets.1.ark", targets / "targets.scp",
                   [(utt, softmax_rows(rng, n, cols)) for utt, n in n_target_frames.items()])
    return targets, ali_dir


def test_posteriors_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    targets, ali = make_dirs(tmp_path, {"u2": 30, "u1": 25, "u3": 20},
                             {"u3": 20, "u2": 30, "u0": 10})
    out = tmp_path / "post.png"
    assert post_cli.main([str(targets), str(ali), str(out)]) == 0
    assert_png(out)
    assert "(u2)" in capsys.readouterr().err  # first utterance present in both
    assert post_cli.main(["--utt", "u3", str(targets), str(ali), str(out)]) == 0
    assert post_cli.main(["--utt", "u1", str(targets), str(ali), str(out)]) == 1
    assert "targets.scp" in capsys.readouterr().err
    assert post_cli.main(["--utt", "u0", str(targets), str(ali), str(out)]) == 1
    assert "ali.*.gz" in capsys.readouterr().err


@pytest.mark.parametrize("case", ["no_common", "frames", "pdfs"])
def test_posteriors_cli_mismatch(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 case: str) -> None:
    if case == "no_common":
        targets, ali = make_dirs(tmp_path, {"u1": 10}, {"u2": 10})
        expect = "no utterance in common"
    elif case == "frames":
        targets, ali = make_dirs(tmp_path, {"u1": 10}, {"u1": 12})
        expect = "12 frames"
    else:
        targets, ali = make_dirs(tmp_path, {"u1": 10}, pdf_cols=9)
        expect = "9 pdf columns"
    out = tmp_path / "post.png"
    assert post_cli.main([str(targets), str(ali), str(out)]) == 1
    err = capsys.readouterr().err
    assert expect in err and str(targets / "targets.scp") in err
    if case == "pdfs":
        assert "final.mdl" in err
    assert not out.exists()


def test_posteriors_cli_missing_targets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, ali = make_dirs(tmp_path, {"u1": 10})
    (tmp_path / "empty").mkdir()
    assert post_cli.main([str(tmp_path / "empty"), str(ali), str(tmp_path / "p.png")]) == 1
    assert str(tmp_path / "empty" / "targets.scp") in capsys.readouterr().err
